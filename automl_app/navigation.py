"""The app's pages and the links between them: the one place their file paths are written.

The page scripts live in ``app_pages/``, not ``pages/``: Streamlit treats a folder named
``pages/`` beside the entry point as its legacy multipage mode, which runs a page without the
entry point (no session defaults, no ``st.navigation``). Paths are relative to the entry point,
``streamlit_app.py``, which routes with ``st.navigation`` over :data:`PAGES`.
"""
from __future__ import annotations

from typing import NamedTuple

import streamlit as st


class PageInfo(NamedTuple):
    path: str
    title: str
    icon: str


DATA = PageInfo("app_pages/data.py", "Data", ":material/table:")
SEARCH = PageInfo("app_pages/search.py", "Search", ":material/travel_explore:")
LEADERBOARD = PageInfo("app_pages/leaderboard.py", "Leaderboard", ":material/leaderboard:")
EXPLAIN = PageInfo("app_pages/explain.py", "Explain", ":material/insights:")
PREDICT = PageInfo("app_pages/predict.py", "Predict", ":material/batch_prediction:")
HISTORY = PageInfo("app_pages/history.py", "History", ":material/history:")
PAGES = [DATA, SEARCH, LEADERBOARD, EXPLAIN, PREDICT, HISTORY]   # sidebar order; the first is the default


def link(page: PageInfo, label: str, icon: str | None = None) -> None:
    """A link to another page of the app."""
    st.page_link(page.path, label=label, icon=icon or page.icon)


def go_to_search() -> None:
    """The link a page shows when it has nothing to show before a search has run."""
    link(SEARCH, "Go to Search")
