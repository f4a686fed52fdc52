"""Reveal buttons for sensitive values (PII in text, faces, position and camera ids).

A reveal is per item and per kind of value. Clicking logs the access in ``access_log``
(reviewer, time) *before* anything is shown; if logging fails nothing is revealed.
"""

from __future__ import annotations

import streamlit as st

from dashboard.lib import data, state
from dashboard.lib.db import DatabaseBusy


def revealed() -> set[tuple[str, str]]:
    """``(item_id, action)`` pairs revealed in this session."""
    return st.session_state.setdefault("revealed", set())


def is_revealed(item_id: str, action: str) -> bool:
    """Whether ``action`` (an access_log action) was revealed for ``item_id``."""
    return (item_id, action) in revealed()


def reveal_button(db: str, item_id: str, action: str, label: str) -> None:
    """A button that logs the access and then reveals (or hides again)."""
    key = (item_id, action)
    if key in revealed():
        if st.button("Hide again", key=f"hide_{action}_{item_id}"):
            revealed().discard(key)
            st.rerun()
        return
    who = state.reviewer()
    clicked = st.button(
        label,
        key=f"{action}_{item_id}",
        disabled=not who,
        help="Logged with your name and the time." if who else "Enter your name in the sidebar.",
    )
    if clicked:
        try:
            data.log_access(db, item_id, action, who)
        except DatabaseBusy as exc:
            st.error(str(exc))
            return
        revealed().add(key)
        st.rerun()
