"""Reviewer dashboard: every page through Streamlit's AppTest on a fully known fixture DB."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import duckdb
import pytest
from dashboard_fixture import (
    AGG_RULE,
    CAMERA_OWNER,
    CAMERA_SERIAL,
    EMAIL,
    EMAIL_ITEM,
    FACE_ITEMS,
    GPS,
    MEDIA_ITEM,
    NOFACE_ITEM,
    OTHER_FACE_ITEM,
    Fixture,
    agg_label,
    build,
    expected_groups,
    expected_kpis,
    expected_media,
)
from PIL import Image

warnings.filterwarnings("ignore", message=".*pkg_resources.*")

from streamlit.testing.v1 import AppTest  # noqa: E402

APP = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"
PAGES = ("overview", "rules", "groups", "items", "review", "lookup", "runs", "requests")
GROUP_KINDS = ("author", "platform", "subreddit", "source_file", "domain")


@pytest.fixture(scope="module")
def fx(tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    return build(tmp_path_factory.mktemp("dashboard"))


@pytest.fixture()
def app(fx: Fixture, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """A fresh session on the fixture DB (landing on the Overview)."""
    monkeypatch.setenv("AUDIT_DB", str(fx.db))
    return AppTest.from_file(str(APP), default_timeout=60).run()


def rendered(node) -> str:
    """Every rendered element's content (protos include table data), for leak checks."""
    parts = [str(getattr(node, "proto", ""))]
    for child in getattr(node, "children", {}).values():
        parts.append(rendered(child))
    return "\n".join(parts)


def goto(at: AppTest, page: str, **query: str) -> AppTest:
    at.query_params.update(query)
    return at.switch_page(f"views/{page}.py").run()


def no_errors(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def sign_in(at: AppTest, name: str = "Rita Reviewer") -> None:
    at.sidebar.text_input(key="f_reviewer").input(name)


def kpi_text(at: AppTest) -> str:
    return "".join(h.value for h in at.html if "ca-cards" in h.value)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders(app: AppTest, page: str) -> None:
    goto(app, page)
    no_errors(app)
    assert app.title, "every page has a title"


def test_overview_numbers_equal_fixture_and_follow_filters(app: AppTest, fx: Fixture) -> None:
    want = expected_kpis(fx)
    text = kpi_text(app)
    assert f">{want['items']}<" in text
    assert f"{want['flagged']} items with ≥1 flag" in text
    reddit = [i for i in fx.items if i["platform"] == "reddit"]
    app.sidebar.multiselect(key="f_platforms").select("reddit").run()
    no_errors(app)
    assert f">{len(reddit)}<" in kpi_text(app)
    app.sidebar.multiselect(key="f_severities").select("critical").run()
    flagged = {i for i, r in fx.flags["run-2"] if r == "consent.opted-out"} & {
        i["item_id"] for i in reddit
    }
    assert f"{len(flagged)} items with ≥1 flag" in kpi_text(app)


def test_filters_survive_a_page_switch(app: AppTest) -> None:
    app.sidebar.multiselect(key="f_platforms").select("bluesky").run()
    goto(app, "rules")
    goto(app, "overview")
    assert app.sidebar.multiselect(key="f_platforms").value == ["bluesky"]


def test_rule_opens_its_items(app: AppTest, fx: Fixture) -> None:
    goto(app, "rules")
    app.selectbox(key="rules_pick").select("minors.declared-under-18").run()
    app.button(key="rules_open").click().run()
    no_errors(app)
    table = app.dataframe[0].value
    want = {i for i, r in fx.flags["run-2"] if r == "minors.declared-under-18"}
    assert set(table["item_id"]) == want


def test_pii_masked_until_revealed_and_reveal_is_logged(app: AppTest, fx: Fixture) -> None:
    goto(app, "items", item=EMAIL_ITEM)
    no_errors(app)
    assert "EMAIL_ADDRESS" in rendered(app._tree)
    assert EMAIL not in rendered(app._tree)
    assert app.button(key=f"reveal_text_{EMAIL_ITEM}").disabled, "reveal needs a reviewer"
    sign_in(app)
    app.run()
    app.button(key=f"reveal_text_{EMAIL_ITEM}").click().run()
    no_errors(app)
    assert EMAIL in rendered(app._tree)
    with duckdb.connect(str(fx.db), read_only=True) as con:
        rows = con.execute(
            "SELECT reviewer, action, accessed_at FROM access_log WHERE item_id = ?", [EMAIL_ITEM]
        ).fetchall()
    assert ("Rita Reviewer", "reveal_text") in [(r[0], r[1]) for r in rows]
    assert all(r[2] is not None for r in rows)


def test_overview_shows_media_signals(app: AppTest, fx: Fixture) -> None:
    want = expected_media(fx)
    no_errors(app)
    text = kpi_text(app)
    assert f"{want['gps']:,} images with EXIF GPS" in text
    assert f"{want['reservation_prohibited']:,} prohibited" in text
    assert f"{want['stripped']:,} with no metadata" in text
    assert f"**{want['images']:,} images**, {want['analysed']:,} analysed" in "".join(
        m.value for m in app.markdown
    )


def test_media_metadata_masked_until_revealed_and_logged(app: AppTest, fx: Fixture) -> None:
    lat, lon = GPS
    goto(app, "items", item=MEDIA_ITEM)
    no_errors(app)
    tree = rendered(app._tree)
    assert str(round(lat, 2)) in tree and str(round(lon, 2)) in tree
    assert "prohibited" in tree
    for secret in (str(lat), str(lon), CAMERA_OWNER, CAMERA_SERIAL):
        assert secret not in tree, secret
    button = f"reveal_media_{MEDIA_ITEM}"
    assert app.button(key=button).disabled, "reveal needs a reviewer"
    sign_in(app)
    app.run()
    app.button(key=button).click().run()
    no_errors(app)
    tree = rendered(app._tree)
    for secret in (str(lat), str(lon), CAMERA_OWNER, CAMERA_SERIAL):
        assert secret in tree, secret
    with duckdb.connect(str(fx.db), read_only=True) as con:
        rows = con.execute(
            "SELECT reviewer, action FROM access_log WHERE item_id = ?", [MEDIA_ITEM]
        ).fetchall()
    assert ("Rita Reviewer", "reveal_media") in rows


def test_decision_is_appended_with_reviewer_and_time(app: AppTest, fx: Fixture) -> None:
    item = "it-005"
    goto(app, "items", item=item)
    sign_in(app, "Dana")
    app.run()
    app.selectbox(key="dec_items_rule").select("minors.declared-under-18")
    app.radio(key="dec_items_decision").set_value("needs_legal")
    app.text_area(key="dec_items_comment").input("age unclear")
    app.button[[b.label for b in app.button].index("Record decision")].click().run()
    no_errors(app)
    assert any("Recorded" in s.value for s in app.success)
    with duckdb.connect(str(fx.db), read_only=True) as con:
        rows = con.execute(
            "SELECT rule_id, decision, reviewer, comment, decided_at FROM decisions "
            "WHERE item_id = ?",
            [item],
        ).fetchall()
    assert rows[-1][:4] == ("minors.declared-under-18", "needs_legal", "Dana", "age unclear")
    assert rows[-1][4] is not None


def test_decision_without_reviewer_is_refused(app: AppTest, fx: Fixture) -> None:
    goto(app, "items", item="it-006")
    app.button[[b.label for b in app.button].index("Record decision")].click().run()
    assert any("Reviewer" in e.value for e in app.error)
    with duckdb.connect(str(fx.db), read_only=True) as con:
        assert (
            con.execute("SELECT count(*) FROM decisions WHERE item_id = 'it-006'").fetchone()[0]
            == 0
        )


def test_review_history_keeps_every_decision_and_exports(app: AppTest, fx: Fixture) -> None:
    from dashboard.lib import data

    data.append_decision(str(fx.db), "it-007", None, "confirmed", "Ann", "")
    data.append_decision(str(fx.db), "it-007", None, "false_positive", "Ben", "on second look")
    goto(app, "review")
    no_errors(app)
    hist = next(df.value for df in app.dataframe if "decision_id" in df.value.columns)
    mine = hist[hist["item_id"] == "it-007"]
    assert list(mine["reviewer"]) == ["Ben", "Ann"], "full history, newest first"
    csv = data.decisions_export(str(fx.db), "csv").decode()
    assert "on second look" in csv and csv.count("it-007") == 2
    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(data.decisions_export(str(fx.db), "parquet")))
    assert table.num_rows >= 2


def test_after_review_drops_false_positives(fx: Fixture) -> None:
    from dashboard.lib import data

    def figures(after_review: bool) -> dict[str, int]:
        v = data.decisions_version(str(fx.db))
        scope = data.Scope(db=str(fx.db), run_id="run-2", after_review=after_review, decisions_v=v)
        return data.kpis(scope)

    before_raw, before = figures(False), figures(True)
    data.append_decision(str(fx.db), "it-031", None, "false_positive", "Ann", "")
    assert figures(True)["flagged"] == before["flagged"] - 1
    assert figures(False) == before_raw, "without the toggle, decisions change nothing"


def test_unblur_is_logged(app: AppTest, fx: Fixture) -> None:
    item = FACE_ITEMS[0]
    goto(app, "items", item=item)
    no_errors(app)
    assert "faces blurred" in app.image[0].captions[0]
    sign_in(app)
    app.run()
    app.button(key=f"unblur_image_{item}").click().run()
    assert "faces shown" in app.image[0].captions[0]
    with duckdb.connect(str(fx.db), read_only=True) as con:
        actions = con.execute("SELECT action FROM access_log WHERE item_id = ?", [item]).fetchall()
    assert ("unblur_image",) in actions


def _jpeg(png: bytes, size: int) -> bytes:
    """The photo as a data subject would send it: resized and re-encoded."""
    buf = io.BytesIO()
    Image.open(io.BytesIO(png)).convert("RGB").resize((size, size)).save(buf, "JPEG", quality=85)
    return buf.getvalue()


def test_face_lookup_finds_that_face_and_not_others(app: AppTest, fx: Fixture) -> None:
    goto(app, "lookup")
    app.file_uploader(key="lookup_photo").upload(
        "me.jpg", _jpeg(fx.astronaut_png, 400), "image/jpeg"
    )
    app.run(timeout=120)
    no_errors(app)
    found = next(df.value for df in app.dataframe if "distance" in df.value.columns)
    assert set(found["item_id"]) == set(FACE_ITEMS)
    assert OTHER_FACE_ITEM not in set(found["item_id"]) and NOFACE_ITEM not in set(found["item_id"])
    assert (found["distance"] < 0.6).all()


def test_face_lookup_without_a_face_says_so(app: AppTest, fx: Fixture) -> None:
    goto(app, "lookup")
    app.file_uploader(key="lookup_photo").upload("cup.png", fx.noface_png, "image/png")
    app.run(timeout=120)
    assert any("No face found" in w.value for w in app.warning)


def test_author_lookup_by_handle(app: AppTest, fx: Fixture) -> None:
    goto(app, "lookup")
    app.text_input(key="lookup_author").input("@handle3").run()
    no_errors(app)
    found = next(df.value for df in app.dataframe if "item_id" in df.value.columns)
    assert set(found["item_id"]) == {i["item_id"] for i in fx.items if i["author_id"] == "user3"}


def test_runs_diff_shows_new_rule_flags(app: AppTest, fx: Fixture) -> None:
    goto(app, "runs")
    no_errors(app)
    new = [m for m in app.metric if m.label == "New flags"][0]
    faces = [f for f in fx.flags["run-2"] if f[1] == "faces.identifiable-face"]
    assert new.value == str(len(faces))


def test_requests_page_lists_unmatched_first(app: AppTest, fx: Fixture) -> None:
    goto(app, "requests")
    no_errors(app)
    table = next(df.value for df in app.dataframe if "request_id" in df.value.columns)
    assert list(table["request_id"]) == ["req-2", "req-1"]
    covered = {i["item_id"] for i in fx.items if i["author_id"] == "user3"}
    assert int(table.set_index("request_id").loc["req-1", "items"]) == len(covered)
    assert any("matched nothing" in w.value for w in app.warning)
    assert "x@y.org" not in table.to_string()  # subjects are never shown


def test_items_pagination_and_sort_happen_in_sql(fx: Fixture) -> None:
    from dashboard.lib import data

    scope = data.Scope(db=str(fx.db), run_id="run-2")
    iq = data.ItemQuery(flagged_only=False, sort="created_at", descending=False)
    assert data.items_count(scope, iq) == len(fx.items)
    pages = [data.items_page(scope, iq, p, 10) for p in range(5)]
    ids = [i for p in pages for i in p["item_id"]]
    assert len(ids) == len(set(ids)) == len(fx.items)
    dates = [d for p in pages for d in p["created_at"]]
    assert dates == sorted(dates)


def test_missing_database_gives_a_clear_message(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("AUDIT_DB", str(tmp_path / "nope.duckdb"))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert any("no audit database" in e.value for e in at.error)


@pytest.mark.parametrize("kind", GROUP_KINDS)
def test_group_figures_equal_the_fixture(fx: Fixture, kind: str) -> None:
    """Every group (min size 1), its counts and its rank, against the Python-derived groups."""
    from dashboard.lib import data

    scope = data.Scope(db=str(fx.db), run_id="run-2")
    assert data.group_kinds(scope) == list(GROUP_KINDS)
    want = expected_groups(fx, kind)
    got = data.records(data.groups(scope, kind, limit=1000, min_items=1))
    assert [(g["group_key"], g["platform"]) for g in got] == [
        (g["group_key"], g["platform"]) for g in want
    ]
    for g, w in zip(got, want, strict=True):
        assert (g["items"], g["flagged_items"], g["excluded_items"]) == (
            w["items"], w["flagged_items"], w["excluded_items"],
        )  # fmt: skip
        assert g["flagged_share"] == pytest.approx(w["flagged_items"] / w["items"])
        assert g["groups_total"] == len(want)
    assert [g["rank"] for g in got] == list(range(1, len(want) + 1))


def test_group_evidence_and_min_size(fx: Fixture) -> None:
    from dashboard.lib import data

    scope = data.Scope(db=str(fx.db), run_id="run-2")
    authors = data.records(data.groups(scope, "author", limit=1000, min_items=1))
    with_evidence = {(g["group_key"], g["platform"]) for g in authors if len(g["evidence"])}
    deleted_author = next(i for i in fx.items if i["deleted"])["author_id"]
    assert {a for a, _ in with_evidence} == {deleted_author}
    assert all(list(g["evidence"]) == [agg_label(fx.items)] for g in authors
               if (g["group_key"], g["platform"]) in with_evidence)  # fmt: skip
    # the aggregate rule flags every item of those groups, so it is among their top rules
    assert all(AGG_RULE in [r["rule_id"] for r in g["top_rules"]]
               for g in authors if g["group_key"] == deleted_author)  # fmt: skip
    # the subreddit rows never carry an author's evidence
    assert all(len(g["evidence"]) == 0 for g in data.records(data.groups(scope, "subreddit")))
    # a minimum size leaves smaller groups out; the limit cuts the list, not groups_total
    big = data.records(data.groups(scope, "author", limit=2, min_items=3))
    sizes = [g for g in expected_groups(fx, "author") if g["items"] >= 3]
    assert len(big) == 2 and big[0]["groups_total"] == len(sizes)
    assert [b["group_key"] for b in big] == [s["group_key"] for s in sizes[:2]]


@pytest.mark.parametrize("kind", ["author", "subreddit", "domain"])
def test_group_opens_exactly_its_items(app: AppTest, fx: Fixture, kind: str) -> None:
    goto(app, "groups")
    no_errors(app)
    app.segmented_control(key="groups_kind").set_value(kind).run()
    app.number_input(key="groups_min").set_value(1).run()
    no_errors(app)
    want = expected_groups(fx, kind)
    pick = 1 if len(want) > 1 else 0  # not just the first row
    app.selectbox(key="groups_pick").set_value(pick).run()
    assert app.button(key="groups_open").label.startswith(f"Open its {want[pick]['items']} items")
    app.button(key="groups_open").click().run()
    no_errors(app)
    table = app.dataframe[0].value
    assert set(table["item_id"]) == want[pick]["item_ids"]
    assert any(want[pick]["group_key"] in i.value for i in app.info)
    # clearing the group shows the unfiltered table again
    app.button(key="items_group_clear").click().run()
    no_errors(app)
    assert not any("Only the items of" in i.value for i in app.info)


def test_group_deep_link_filters_items(app: AppTest, fx: Fixture) -> None:
    author, platform = fx.items[5]["author_id"], fx.items[5]["platform"]
    goto(app, "items", group_kind="author", group=author, group_platform=platform)
    no_errors(app)
    want = {i["item_id"] for i in fx.items if (i["author_id"], i["platform"]) == (author, platform)}
    assert set(app.dataframe[0].value["item_id"]) == want


def test_groups_page_shows_no_raw_pii(app: AppTest) -> None:
    goto(app, "groups")
    for kind in GROUP_KINDS:
        app.segmented_control(key="groups_kind").set_value(kind).run()
        no_errors(app)
        tree = rendered(app._tree)
        assert EMAIL not in tree and "user:pw" not in tree


def test_rules_page_says_which_rules_were_skipped_or_partly_evaluated(
    fx: Fixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    db = tmp_path / "audit.duckdb"
    shutil.copy(fx.db, db)
    with duckdb.connect(str(db)) as con:
        con.execute(
            "UPDATE rule_catalog SET skip_reason = 'nothing left to evaluate without detector "
            "faces: did not run in this scan' WHERE rule_id = 'faces.identifiable-face'"
        )
        con.execute(
            "UPDATE rule_catalog SET partial_reason = 'evaluated without extra.over_18: not in "
            "this corpus' WHERE rule_id = 'visibility.not-public'"
        )
    monkeypatch.setenv("AUDIT_DB", str(db))
    at = goto(AppTest.from_file(str(APP), default_timeout=60).run(), "rules")
    no_errors(at)
    warnings_shown = "\n".join(w.value for w in at.warning)
    assert "1 rule(s) not evaluated in this run (their zero is not a finding)" in warnings_shown
    assert "`faces.identifiable-face`: nothing left to evaluate without detector faces" in (
        warnings_shown
    )
    assert "`visibility.not-public`: evaluated without extra.over_18" in warnings_shown
    table = at.dataframe[0].value
    status = dict(zip(table["rule_id"], table["evaluated"], strict=True))
    assert status["faces.identifiable-face"] == "skipped"
    assert status["visibility.not-public"] == "partly"
    assert status["consent.opted-out"] == "yes"
