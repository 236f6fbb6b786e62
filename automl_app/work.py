"""The background work of the Leaderboard and Explain pages, started and found again per run.

Keys: ``(owner, run id, "diagnostics")`` and ``(owner, run id, "shap", rows, class index)`` on the
server's :class:`~automl_app.background.TaskBoard`; :func:`wait_block` is the polled progress a page
shows while its task runs (the page reruns when it ends).
"""
from __future__ import annotations

from dataclasses import replace

import streamlit as st

from automl_app.background import TaskBoard
from automl_app.text import duration, md


@st.cache_resource
def task_board() -> TaskBoard:
    """The server's one board of background tasks (diagnostics, SHAP values), shared by its sessions."""
    return TaskBoard(keep=64)


def diagnostics_key(run_id: str) -> tuple:
    return (st.session_state["owner"], run_id, "diagnostics")


def shap_key(run_id: str, n_rows: int, class_index: int | None) -> tuple:
    return (st.session_state["owner"], run_id, "shap", int(n_rows), class_index)


POSITIVE_LABELS = ("+", "yes", "y", "true", "t", "positive", "pos")
"""Labels that read as the positive outcome (numbers are left to their order: 0/1 and -1/1 put it second)."""


def default_class(classes: list) -> int | None:
    """The class Explain shows first: of two, the one whose label reads as the positive outcome
    (``+``, ``yes``, ``true``…), else the second (scikit-learn's positive class); of more, the first."""
    if not classes:
        return None
    if len(classes) != 2:
        return 0
    positive = [i for i, c in enumerate(classes) if str(c).strip().lower() in POSITIVE_LABELS]
    return positive[0] if len(positive) == 1 else 1


def mirrored(e, label):
    """The explanation of the other class of a binary model, from this class's: no recomputation.

    p(other) = 1 - p(this) and a log-odds is the other's negated, so every SHAP value changes sign
    (the explainers are linear in the explained output) and the base value and output follow.
    None for other outputs (a raw score of one class says nothing exact about the other).
    """
    if e.output_kind == "probability":
        base, output = 1.0 - e.base_value, 1.0 - e.output
    elif e.output_kind == "log-odds":
        base, output = -e.base_value, -e.output
    else:
        return None
    return replace(e, values=-e.values, base_value=base, output=output, class_label=label)


SAME_PASS = "same pass"
"""The message of a class's SHAP task kept from another class's computation (the tree explainer gives
every class of a multiclass model in one pass)."""


def explanation_task(run_id: str, n_rows: int, class_index: int | None, classes: list, compute,
                     retry: bool = False):
    """The SHAP task of one run, row count and class: found, derived from the other class of a binary
    model when that one is computed, or started (``compute(progress)``, an Explanation). When the
    explanation carries other classes computed in the same pass, they are kept as those classes' tasks.
    A failed task stays failed (the page shows its sentence) until ``retry``: rerunning the page does
    not silently start it again."""
    board = task_board()
    key = shap_key(run_id, n_rows, class_index)
    siblings = {index: shap_key(run_id, n_rows, index) for index in range(len(classes))}

    def compute_and_keep_the_others(progress):
        explanation = compute(progress)
        for index, other in getattr(explanation, "other_classes", {}).items():
            if board.get(siblings[index]) is None:
                board.put(siblings[index], other, message=SAME_PASS)
        return explanation

    task = board.get(key)
    if task is None and len(classes) == 2:
        other = board.get(shap_key(run_id, n_rows, 1 - class_index))
        derived = mirrored(other.result, classes[class_index]) if other is not None and other.status == "done" \
            else None
        if derived is not None:
            return key, board.put(key, derived)
    return key, board.start(key, compute_and_keep_the_others, sentence("SHAP values"), retry_failed=retry)


def sentence(what: str):
    """An error describer: ``exc`` → "The {what} could not be computed: ..." (one sentence)."""
    def describe(exc: Exception) -> str:
        from automl_engine.errors import DataError

        detail = str(exc) if isinstance(exc, (DataError, ValueError)) else f"{type(exc).__name__}: {exc}"
        return f"The {what} could not be computed: {' '.join(detail.split())[:400]}"
    return describe


def wait_block(key: tuple, label: str) -> None:
    """While the task of ``key`` runs: its progress, polled each second; the page reruns when it ends."""
    @st.fragment(run_every=1.0)
    def poll() -> None:
        task = task_board().get(key)
        if task is None or not task.running:
            st.rerun()
        st.progress(task.fraction, text=md(f"{label}: {task.message} · {duration(task.elapsed())} so far "
                                           "(it goes on if you open another page)", limit=None))
    poll()
