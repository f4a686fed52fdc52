"""`audit review sample|import` and `audit assurance` end to end on a small store whose truth
is known: the sample design is stored, answers are append-only and checked row by row, the
estimate's interval holds the true share, rule precision comes from decisions, and the
seeded SQL draw is uniform and reproducible."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from audit.assurance.sampling import draw_sample
from audit.assurance.summary import collect_assurance, rule_categories
from audit.cli import app
from audit.errors import AuditError
from audit.store import SCHEMA_VERSION, open_memory, open_store

RUN = "20250101T000000Z-test01"
ITEMS = 600
runner = CliRunner()


def _person(i: int) -> bool:
    """The truth: item i names a person."""
    return i % 10 == 0 or i % 7 == 0


def _excluded(i: int) -> bool:
    return i % 5 == 0


def build_store(con: duckdb.DuckDBPyConnection) -> None:
    """600 items on two platforms; the pii detector finds the person in even items only;
    every fifth item is excluded, items with a PERSON finding get a review flag."""
    con.execute(
        "INSERT INTO items (item_id, platform, visibility, text) SELECT printf('it-%04d', i),"
        " CASE WHEN i % 3 = 0 THEN 'reddit' ELSE 'bluesky' END, 'public',"
        " 'Anna wrote post ' || i FROM range($n) t(i)",
        {"n": ITEMS},
    )
    found = [i for i in range(ITEMS) if _person(i) and i % 2 == 0]
    con.executemany(
        'INSERT INTO findings (item_id, detector, entity_type, score, "start", "end")'
        " VALUES (?, 'pii', 'PERSON', 0.9, 0, 4)",
        [[f"it-{i:04d}"] for i in found],
    )
    con.execute("INSERT INTO analysed VALUES ('pii', '1', 'x', 'ok', NULL, 0, NULL)")
    rules = [("visibility.non-public", "visibility", "exclude", {"field": "visibility", "ne": "public"}),
             ("pii.names", "pii", "review", {"detector": "pii", "types": ["PERSON"]})]  # fmt: skip
    for rule_id, category, action, match in rules:
        con.execute(
            "INSERT INTO rule_catalog (run_id, rule_id, title, category, severity, action,"
            " match_json) VALUES (?, ?, ?, ?, 'high', ?, ?)",
            [RUN, rule_id, rule_id, category, action, json.dumps(match)],
        )
    flags = [
        (f"it-{i:04d}", "visibility.non-public", "exclude") for i in range(ITEMS) if _excluded(i)
    ]
    flags += [(f"it-{i:04d}", "pii.names", "review") for i in found]  # fmt: skip
    con.executemany(
        "INSERT INTO flags VALUES (?, ?, ?, 'high', ?, '{}')", [[RUN, *f] for f in flags]
    )
    con.execute(
        "INSERT INTO runs VALUES (?, '2025-01-01', '2025-01-01', 'complete', 'test', '{}')", [RUN]
    )


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    con = open_store(folder / "audit.duckdb")
    build_store(con)
    con.close()
    return folder


def _answer_file(path: Path, sample_csv: Path) -> Path:
    ids = [r["item_id"] for r in csv.DictReader(sample_csv.open())]
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["item_id", "category", "present"])
        for item_id in ids:
            w.writerow([item_id, "PERSON", "yes" if _person(int(item_id[3:])) else "no"])
    return path


def _cli(*args: object) -> tuple[int, str]:
    """Exit code and output as the console script gives them (audit.cli.run turns an
    AuditError into one line and its exit code)."""
    result = runner.invoke(app, [str(a) for a in args])
    if isinstance(result.exception, AuditError):
        return result.exception.exit_code, str(result.exception)
    return result.exit_code, result.output


def _ok(*args: object) -> str:
    code, output = _cli(*args)
    assert code == 0, output
    return output


def test_sample_import_assurance_end_to_end(out: Path, tmp_path: Path) -> None:
    sample = tmp_path / "sample.csv"
    # one draw (seed 6); whether intervals hold the truth often enough is tested over many
    # seeds in test_seeded_sql_draw_is_uniform_and_its_intervals_cover
    said = _ok("review", "sample", out, "--n", "120", "--seed", "6", "--population", "kept",
               "--to", sample)  # fmt: skip
    assert "Drew 120 of 480 kept items" in said
    rows = list(csv.DictReader(sample.open()))
    assert list(rows[0])[0] == "item_id" and len(rows) == 120
    assert all(not _excluded(int(r["item_id"][3:])) for r in rows)
    # the detected name is masked in the text the reviewer sees
    masked = [r for r in rows if int(r["item_id"][3:]) % 2 == 0 and _person(int(r["item_id"][3:]))]
    assert masked and all(r["text_masked"].startswith("██████ PERSON") for r in masked)
    template = sample.with_name("sample.answers.csv")
    assert len(list(csv.DictReader(template.open()))) == 120 * 7

    said = _ok("review", "import", out, _answer_file(tmp_path / "a.csv", sample),
               "--reviewer", "Rita")  # fmt: skip
    assert "Recorded 120 answers by Rita" in said
    result = json.loads(_ok("assurance", out, "--json"))
    person = result["categories"]["PERSON"]
    kept = [i for i in range(ITEMS) if not _excluded(i)]
    truth = sum(_person(i) for i in kept) / len(kept)
    assert person["population"] == 480 and person["reviewed"] == 120
    assert person["ci_low"] <= truth <= person["ci_high"]
    assert person["method"] == "wilson-fpc"
    assert result["population"] == "kept"
    # the pii detector misses the person in odd items: about half
    miss = next(m for m in result["detector_miss_rates"] if m["category"] == "PERSON")
    assert miss["detector"] == "pii" and 0.25 < miss["miss_rate"] < 0.75
    # precision of pii.names from the sample's answers (every flagged item names a person)
    rule = next(r for r in result["rule_precision"] if r["rule_id"] == "pii.names")
    assert rule["categories"] == ["PERSON"] and rule["from_reviews"]["precision"] == 1.0
    # the human table prints too
    assert "PERSON" in _ok("assurance", out)


def test_same_seed_same_items_and_design_is_stored(out: Path, tmp_path: Path) -> None:
    a, b, c = (tmp_path / f"{x}.csv" for x in "abc")
    for path, seed in ((a, 9), (b, 9), (c, 10)):
        _ok("review", "sample", out, "--n", "40", "--seed", seed, "--population", "all",
            "--stratify", "platform", "--to", path)  # fmt: skip
    ids = [[r["item_id"] for r in csv.DictReader(p.open())] for p in (a, b, c)]
    assert ids[0] == ids[1] != ids[2]
    con = open_store(out / "audit.duckdb", read_only=True)
    strata = con.execute(
        "SELECT stratum, st.population, sampled FROM review_sample_strata st JOIN review_samples s"
        " USING (sample_id) WHERE s.seed = 9 ORDER BY stratum"
    ).fetchall()
    samples = con.execute("SELECT count(*) FROM review_samples").fetchone()[0]
    con.close()
    assert strata == [("bluesky", 400, 27), ("reddit", 200, 13)]  # proportional: 2/3, 1/3
    assert samples == 2  # the repeated design is reused, not stored twice


def test_import_errors_name_file_and_line_and_record_nothing(out: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "item_id,category,present\n"
        "it-0001,PERSON,true\n"
        "it-0002,PERSONS,true\n"
        "it-0003,PERSON,maybe\n"
        "nope,PERSON,false\n"
        "it-0001,PERSON,false\n"
    )
    code, output = _cli("review", "import", out, bad, "--reviewer", "R")
    assert code == 2
    assert f"{bad}:3: unknown category 'PERSONS'; did you mean 'PERSON'?" in output
    assert f"{bad}:4: present 'maybe' is not true/false" in output
    assert f"{bad}:6: it-0001 / PERSON is answered again (first at line 2)" in output
    # unknown item ids in the same list, in line order, whatever else is wrong
    assert f"{bad}:5: unknown item id 'nope'" in output
    assert output.index(f"{bad}:4:") < output.index(f"{bad}:5:") < output.index(f"{bad}:6:")
    bad.write_text("item_id,category,present\nit-0001,face,1\nnope,PERSON,0\n")
    code, output = _cli("review", "import", out, bad, "--reviewer", "R")
    assert code == 2 and "bad.csv:3: unknown item id 'nope'" in output
    bad.write_text("item,category,present\n")
    code, output = _cli("review", "import", out, bad, "--reviewer", "R")
    assert code == 2 and "missing column(s) item_id" in output
    con = open_store(out / "audit.duckdb", read_only=True)
    assert con.execute("SELECT count(*) FROM review_answers").fetchone()[0] == 0
    con.close()


def test_blank_answers_are_counted_not_recorded(out: Path, tmp_path: Path) -> None:
    f = tmp_path / "a.csv"
    f.write_text("item_id,category,present\nit-0001,PERSON,\nit-0001,face,false\n")
    assert "1 rows left blank" in _ok("review", "import", out, f, "--reviewer", "R")


def test_fully_reviewed_population_has_zero_width(out: Path, tmp_path: Path) -> None:
    sample = tmp_path / "ex.csv"
    _ok("review", "sample", out, "--n", "1000", "--seed", "1", "--population", "excluded",
        "--to", sample)  # fmt: skip
    _ok("review", "import", out, _answer_file(tmp_path / "a.csv", sample), "--reviewer", "R")
    result = json.loads(_ok("assurance", out, "--json", "--population", "excluded"))
    person = result["categories"]["PERSON"]
    truth = sum(_person(i) for i in range(ITEMS) if _excluded(i)) / 120
    assert person["population"] == person["reviewed"] == 120
    assert person["ci_low"] == person["ci_high"] == pytest.approx(truth)


def test_rule_precision_from_decisions(out: Path) -> None:
    con = open_store(out / "audit.duckdb")
    flagged = [r[0] for r in con.execute(
        "SELECT item_id FROM flags WHERE rule_id = 'pii.names' ORDER BY item_id").fetchall()]  # fmt: skip
    decisions = [(flagged[0], "pii.names", "confirmed"), (flagged[1], "pii.names", "confirmed"),
                 (flagged[2], "pii.names", "false_positive"),
                 (flagged[3], None, "false_positive"),  # whole item: dismisses every flag
                 (flagged[4], "pii.names", "needs_legal"),
                 (flagged[5], "pii.names", "false_positive"),
                 (flagged[5], "pii.names", "confirmed")]  # newer verdict wins  # fmt: skip
    for i, (item, rule, decision) in enumerate(decisions):
        con.execute(
            "INSERT INTO decisions (item_id, rule_id, decision, reviewer, decided_at)"
            " VALUES (?, ?, ?, 'R', TIMESTAMP '2025-01-02' + to_seconds(?))",
            [item, rule, decision, i],
        )
    result = collect_assurance(con, RUN)
    con.close()
    rule = next(r for r in result["rule_precision"] if r["rule_id"] == "pii.names")
    assert (rule["confirmed"], rule["false_positive"], rule["needs_legal"]) == (3, 2, 1)
    assert rule["from_decisions"]["precision"] == pytest.approx(3 / 5)
    assert rule["from_decisions"]["ci_low"] < 0.6 < rule["from_decisions"]["ci_high"]
    assert result["categories"] == {}  # no sample yet


def test_rules_testing_for_missing_values_point_at_no_category() -> None:
    # "visibility unknown" flags missing information: its precision is not the share of
    # reviewed items that were private
    unknown = {"any": [{"field": "visibility", "eq": "unknown"},
                       {"field": "visibility", "is_null": True}]}  # fmt: skip
    assert rule_categories(unknown) == set()
    assert rule_categories({"field": "visibility", "in": ["unknown"]}) == set()
    non_public = {"field": "visibility", "in": ["followers", "private", "direct"]}
    assert rule_categories(non_public) == {"non_public"}


def test_bad_options_exit_2(out: Path, tmp_path: Path) -> None:
    to = tmp_path / "s.csv"
    for args in (["--population", "nope"], ["--stratify", "nope"], ["--n", "0"]):
        assert _cli("review", "sample", out, "--to", to, *args)[0] == 2, args
    code, output = _cli("review", "sample", out, "--to", to, "--n", "3", "--stratify",
                        "platform", "--population", "all")  # fmt: skip
    assert code == 2 and "too small for 2 strata" in output
    code, output = _cli("review", "sample", tmp_path / "none", "--to", to)
    assert code == 2 and "no audit database" in output
    assert _cli("assurance", out, "--population", "x")[0] == 2
    assert _cli("compliance", out)[0] == 2  # nothing asked for


def test_seeded_sql_draw_is_uniform_and_its_intervals_cover() -> None:
    """Over many seeds the SQL draw includes every item about equally often, and the
    intervals built from its draws hold the true share in about 95 % of them."""
    con = open_memory()
    build_store(con)
    kept = [i for i in range(ITEMS) if not _excluded(i)]
    truth = sum(_person(i) for i in kept) / len(kept)
    hits, seeds, counts = 0, 200, dict.fromkeys((f"it-{i:04d}" for i in kept), 0)
    for seed in range(seeds):
        design = draw_sample(con, RUN, population="kept", n=48, seed=seed)
        drawn = [r[0] for r in con.execute(
            "SELECT item_id FROM review_sample_items WHERE sample_id = ?", [design.sample_id]
        ).fetchall()]  # fmt: skip
        for item in drawn:
            counts[item] += 1
        present = sum(_person(int(x[3:])) for x in drawn)
        from audit.assurance.estimates import Stratum, estimate_share

        est = estimate_share([Stratum(len(kept), len(drawn), present)])
        hits += est.ci_low <= truth <= est.ci_high
    con.close()
    assert hits / seeds >= 0.9
    expected = seeds * 48 / len(kept)  # 20 inclusions per item
    assert min(counts.values()) > expected * 0.3 and max(counts.values()) < expected * 2.2
    assert abs(sum(counts.values()) / len(counts) - expected) < 1e-9


def test_old_schema_store_is_upgraded_and_read_only_still_reads(tmp_path: Path) -> None:
    db = tmp_path / "old" / "audit.duckdb"
    con = open_store(db)
    build_store(con)
    for table in (
        "review_answers",
        "review_sample_items",
        "review_sample_strata",
        "review_samples",
    ):
        con.execute(f"DROP TABLE {table}")
    con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    con.close()
    ro = open_store(db, read_only=True)
    assert collect_assurance(ro, RUN)["categories"] == {}  # no review tables: nothing to show
    ro.close()
    rw = open_store(db)
    version = rw.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
    rw.close()
    assert version == SCHEMA_VERSION


@pytest.mark.parametrize(
    "command", [["review", "sample"], ["review", "import"], ["assurance"], ["compliance"]]
)
def test_every_command_help_has_an_example(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0 and "Example:" in result.output
