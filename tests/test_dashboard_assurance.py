"""The dashboard's Assurance page through AppTest: draw a sample, answer an item, see the
estimates; personal data stays masked."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from dashboard_fixture import EMAIL, EMAIL_ITEM, Fixture, build

warnings.filterwarnings("ignore", message=".*pkg_resources.*")

from streamlit.testing.v1 import AppTest  # noqa: E402

APP = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"


@pytest.fixture(scope="module")
def fx(tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    return build(tmp_path_factory.mktemp("dashboard_assurance"))


def _page(fx: Fixture, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("AUDIT_DB", str(fx.db))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    return at.switch_page("views/assurance.py").run()


def _rendered(node) -> str:  # noqa: ANN001  (AppTest element tree)
    parts = [str(getattr(node, "proto", ""))]
    for child in getattr(node, "children", {}).values():
        parts.append(_rendered(child))
    return "\n".join(parts)


def _no_errors(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_draw_answer_and_estimate(fx: Fixture, monkeypatch: pytest.MonkeyPatch) -> None:
    from audit.store import open_store
    from dashboard.lib import assurance

    at = _page(fx, monkeypatch)
    _no_errors(at)
    assert any("No review sample" in i.value for i in at.info)
    at.selectbox(key="assure_d_pop").select("all")
    at.number_input(key="assure_d_n").set_value(100)  # every item: the fixture has 48
    at.number_input(key="assure_d_seed").set_value(3)
    at.button[0].click().run()  # the form's Draw button
    _no_errors(at)
    assert any("48 items" in s.value for s in at.success)

    at.sidebar.text_input(key="f_reviewer").input("Rita Reviewer").run()
    at.selectbox(key="assure_item").select(EMAIL_ITEM).run()
    item = EMAIL_ITEM
    shown = _rendered(at._tree)
    assert "EMAIL_ADDRESS" in shown and EMAIL not in shown, "personal data stays masked"
    at.radio(key=f"assure_{item}_PERSON").set_value("present")
    at.radio(key=f"assure_{item}_face").set_value("absent")
    record = next(b for b in at.button if b.label == "Record answers")
    record.click().run()
    _no_errors(at)
    assert assurance.item_answers(str(fx.db), item) == {"PERSON": True, "face": False}
    con = open_store(fx.db, read_only=True)
    who = con.execute("SELECT DISTINCT reviewer, source FROM review_answers").fetchall()
    con.close()
    assert who == [("Rita Reviewer", "dashboard")]

    at = _page(fx, monkeypatch)
    _no_errors(at)
    table = next(df.value for df in at.dataframe if "95% interval" in df.value.columns)
    person = table[table["category"] == "Names of private persons"].iloc[0]
    assert person["reviewed"] == 1 and person["present"] == 1
