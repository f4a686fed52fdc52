"""Data of the dashboard's Assurance page: review samples, the queue, answers, estimates.

Everything goes through audit/assurance (the same code as `audit review` and `audit
assurance`) on the dashboard's short-lived connections; answers are appended with the
reviewer's name and source 'dashboard', never updated.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from audit.assurance.answers import Answer, append_answers
from audit.assurance.sampling import SampleDesign, draw_sample
from audit.assurance.summary import collect_assurance
from audit.store import has_table, query
from audit.vocabulary import REVIEW_CATEGORIES
from dashboard.lib.db import bind, reader, writer

SQL = "assurance.sql"


def _frame(db: str, name: str, **params: Any) -> pd.DataFrame:
    sql = query(SQL, name)
    with reader(db) as con:
        if not has_table(con, "review_samples"):  # an older store opened read-only
            return pd.DataFrame()
        return con.execute(sql, bind(sql, params)).df()


def version(db: str) -> int:
    """Changes with every answer or sample: the cache key of the estimates."""
    df = _frame(db, "answers_version")
    return 0 if df.empty else int(df.iloc[0, 0])


@st.cache_data(ttl="10m", max_entries=64, show_spinner=False)
def estimates(db: str, run_id: str, population: str | None, v: int) -> dict[str, Any]:
    """audit assurance's figures (``v`` only keys the cache)."""
    with reader(db) as con:
        return collect_assurance(con, run_id, population=population)


def samples(db: str, run_id: str) -> pd.DataFrame:
    """The samples drawn for the run, newest first."""
    return _frame(db, "samples", run_id=run_id)


def queue(db: str, sample_id: str) -> pd.DataFrame:
    """The sample's items in draw order with how many categories are answered."""
    return _frame(db, "sample_queue", sample_id=sample_id, categories=len(REVIEW_CATEGORIES))


def item_answers(db: str, item_id: str) -> dict[str, bool]:
    """The current answer per category of one item."""
    df = _frame(db, "item_answers", item_id=item_id)
    return {} if df.empty else dict(zip(df["category"], df["present"].astype(bool), strict=True))


def draw(
    db: str, run_id: str, population: str, n: int, seed: int, stratify: str | None
) -> SampleDesign:
    """Draw (or reuse) a sample and record its design."""
    with writer(db) as con:
        return draw_sample(con, run_id, population=population, n=n, seed=seed, stratify=stratify)


def record(db: str, item_id: str, answers: dict[str, bool], reviewer: str) -> int:
    """Append one item's answers (source 'dashboard'); returns how many."""
    rows = [Answer(item_id, cat, present, "dashboard") for cat, present in answers.items()]
    with writer(db) as con:
        return append_answers(con, rows, reviewer)
