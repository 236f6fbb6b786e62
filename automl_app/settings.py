"""The Search page's settings: their widget keys, defaults, and a run's settings put back into them.

The widgets keep their values across pages (``persist_state="session"``); their values are set
here through ``st.session_state`` before the widgets are drawn, so the widgets take no default.
"""
from __future__ import annotations

import streamlit as st

FINAL_MODELS = {"auto": "Ensemble of the best pipelines, if it beats the best alone (measured default)",
                "refit": "The best pipeline, refitted on every row",
                "bagging": "The best pipeline's cross-validation fold models, averaged",
                "ensemble": "Ensemble of the best pipelines, if it beats the best alone",
                "bagged-ensemble": "Ensemble of the best pipelines, each its fold models",
                "stacking": "Stack of the best pipelines (a linear model on their predictions)"}
"""The final-model choices (``AutoML(final_model=...)``) as the Search page names them."""
COMBINING = ("auto", "ensemble", "bagged-ensemble", "stacking")
"""Final models that combine pipelines: the Leaderboard says why when the model is a single one."""

DEFAULTS = {"opt_strategy": "pmf", "opt_seconds": 120, "opt_max_evals": 25, "opt_final": "auto",
            "opt_folds": "auto", "opt_seed": 0, "opt_learn": True}
METRIC_KEYS = ("opt_metric_classification", "opt_metric_regression")


def metric_key(task_type: str) -> str:
    return f"opt_metric_{task_type}"


def ensure_defaults(max_workers: int) -> None:
    """Put the default of every setting not set yet into the session (before the widgets are drawn)."""
    ss = st.session_state
    for key, value in DEFAULTS.items():
        ss.setdefault(key, value)
    for key in METRIC_KEYS:
        ss.setdefault(key, "auto")
    ss.setdefault("opt_workers", max_workers)
    ss["opt_workers"] = max(1, min(int(ss["opt_workers"]), max_workers))


def reset() -> None:
    """Back to the defaults (a new table): the next page run sets them again."""
    ss = st.session_state
    for key in (*DEFAULTS, *METRIC_KEYS, "opt_workers"):
        ss.pop(key, None)


def widget_values(settings: dict, task_type: str | None) -> dict:
    """The widget values that reproduce a run's ``settings`` (AutoML keyword arguments)."""
    values = {
        "opt_strategy": settings.get("strategy") or "pmf",
        "opt_seconds": int(settings.get("time_budget") or 0),
        "opt_max_evals": int(settings.get("max_evals") or 0),
        "opt_final": final_model_of(settings),
        "opt_folds": settings.get("n_folds") or "auto",
        "opt_seed": int(settings.get("random_state") or 0),
        "opt_learn": bool(settings.get("learn", True)),
    }
    if settings.get("n_jobs"):
        values["opt_workers"] = int(settings["n_jobs"])
    if task_type:
        values[metric_key(task_type)] = settings.get("metric") or "auto"
    return values


def final_model_of(settings: dict) -> str:
    """A run's final-model choice; runs from before the choice existed have only ``ensemble`` (True / False)."""
    chosen = settings.get("final_model") or "auto"
    if chosen not in FINAL_MODELS:
        return "auto"
    return chosen if chosen != "auto" or settings.get("ensemble", True) else "refit"


def apply(settings: dict, task_type: str | None) -> None:
    """Set the Search widgets to a run's settings (a reopened or restored run)."""
    st.session_state.update(widget_values(settings, task_type))
