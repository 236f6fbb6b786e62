"""Showing user text (column names, class labels, file names) safely in Streamlit.

Streamlit renders labels and messages as Markdown; user text must not become links, images,
colours, LaTeX or emoji shortcodes, and HTML is never enabled. Tables (st.dataframe) and
charts (Vega) show text as text and need none of this.
"""
from __future__ import annotations

import string

_MD_SPECIAL = set(string.punctuation)


def short(text, limit: int = 60) -> str:
    """``text`` as a string of at most ``limit`` characters (an ellipsis marks the cut)."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def md(text, limit: int | None = 200) -> str:
    """``text`` escaped for Markdown (every ASCII punctuation backslashed), shortened to ``limit``."""
    text = short(text, limit) if limit else " ".join(str(text).split())
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in text)


def duration(seconds) -> str:
    """``75`` → ``"1 min 15 s"``; None → ``"—"``."""
    if seconds is None:
        return "—"
    seconds = max(0, int(round(float(seconds))))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
