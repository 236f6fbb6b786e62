"""Honest outcomes: what a search's result does not show by its numbers alone, as sentences.

Alerts for a target with very many classes, data checks that removed most rows, and a best score
near chance level; why an ensemble that was asked for is not the model; and the leaderboard as
the pages show it (a failed row says why, a single holdout has no ± std, a predicted score stays
within its metric's range). No streamlit here.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from automl_app.settings import COMBINING, final_model_of

STATUS_WORDS = {"ok": "ok", "timeout": "timed out", "failed": "failed", "memory": "out of memory",
                "cancelled": "cancelled"}
# the range of each metric as the engine orients it (higher is better; losses negated)
METRIC_RANGES = {"balanced_accuracy": (0.0, 1.0), "accuracy": (0.0, 1.0), "f1_macro": (0.0, 1.0),
                 "roc_auc": (0.0, 1.0), "log_loss": (-math.inf, 0.0), "r2": (-math.inf, 1.0),
                 "rmse": (-math.inf, 0.0), "mae": (-math.inf, 0.0)}
NEAR_CHANCE = 0.05          # within 5 % of the way from chance level to a perfect score
MANY_CLASSES = 50
ROWS_PER_CLASS = 5
MOST_ROWS = 0.5


def chance_level(metric: str, n_classes: int = 0, class_shares=None) -> float | None:
    """The score of a model that ignores the features (None where it depends on the data's spread)."""
    if metric == "balanced_accuracy" and n_classes >= 2:
        return 1.0 / n_classes
    if metric == "roc_auc":
        return 0.5
    if metric == "r2":
        return 0.0
    if metric == "accuracy" and class_shares is not None and len(class_shares):
        return float(max(class_shares))
    if metric == "accuracy" and n_classes >= 2:
        return 1.0 / n_classes
    return None


def near_chance(score: float | None, metric: str, n_classes: int = 0, class_shares=None) -> str | None:
    """A sentence when ``score`` is no better than chance level (or barely), else None."""
    chance = chance_level(metric, n_classes, class_shares)
    best = METRIC_RANGES.get(metric, (None, None))[1]
    if score is None or chance is None or best is None or not np.isfinite(score):
        return None
    if score > chance + NEAR_CHANCE * (best - chance):
        return None
    return (f"The best {metric} is {score:.4f}, about what a model that ignores every column gets ({chance:.4f}): "
            f"the columns barely predict the target. Check the target and the columns left out, or treat this "
            f"model as no better than a guess.")


def many_classes(n_classes: int, n_rows: int) -> str | None:
    """A sentence when the target has too many classes for the rows to learn them."""
    if n_classes <= 2 or (n_classes <= MANY_CLASSES and n_rows >= ROWS_PER_CLASS * n_classes):
        return None
    return (f"The target has {n_classes:,} classes for {n_rows:,} rows ({n_rows / n_classes:.1f} rows per class "
            f"on average): too few examples to learn most classes. Check that this column is the one to predict "
            f"(an identifier or free text is not a target), or group its rare values.")


def rows_removed(n_original: int | None, n_used: int | None, sampled: bool = False) -> str | None:
    """A sentence when the data checks removed most of the table's rows (not a deliberate sample)."""
    if sampled or not n_original or n_used is None or n_original - n_used <= MOST_ROWS * n_original:
        return None
    removed = n_original - n_used
    return (f"The data checks removed {removed:,} of the {n_original:,} rows ({100 * removed / n_original:.0f} %), "
            f"so the search learns from {n_used:,} rows only. Look at the checks marked fixed: a target with "
            f"mostly empty cells or a wrong column is the usual cause.")


def report_alert(report) -> str | None:
    """:func:`rows_removed` for a DataReport."""
    if report is None:
        return None
    sampling = report.get("sub_sampling") if hasattr(report, "get") else None
    sampled = sampling is not None and sampling.status != "passed"
    return rows_removed(report.n_rows_original, report.n_rows_used, sampled)


def search_alerts(automl, target_values: pd.Series | None = None) -> list[str]:
    """The alerts of a finished search (fitted AutoML): many classes, rows removed, near-chance score."""
    alerts = []
    report = getattr(automl, "data_report_", None)
    n_rows = getattr(report, "n_rows_used", None) or (0 if target_values is None else len(target_values))
    classes = getattr(automl, "classes_", None)
    n_classes = 0 if classes is None or getattr(automl, "task_", "") == "regression" else len(classes)
    if n_classes:
        alerts.append(many_classes(n_classes, n_rows))
    alerts.append(report_alert(report))
    board = getattr(automl, "leaderboard_", None)
    best = None if board is None or not len(board) else board["score"].max()
    shares = None
    if target_values is not None and n_classes:
        shares = target_values.value_counts(normalize=True).to_numpy()
    alerts.append(near_chance(best, getattr(automl, "metric_", ""), n_classes, shares))
    return [a for a in alerts if a]


def ensemble_missing(automl, settings: dict) -> str | None:
    """Why the model is not an ensemble although one was asked for (None if it is, or was not asked)."""
    if automl is None or not hasattr(automl, "leaderboard_") or getattr(automl, "ensemble_", None):
        return None
    if final_model_of(settings) not in COMBINING:
        return None
    history = getattr(automl, "history_", None) or []
    ok = [h for h in history if h.get("status") == "ok"]
    stats = getattr(automl, "search_stats_", None) or {}
    if len(ok) < 2:
        why = "fewer than two pipelines finished, and an ensemble needs at least two"
    elif stats.get("ensemble_candidates_skipped") and len(ok) - stats["ensemble_candidates_skipped"] < 2:
        why = "the time left could not refit its other members on all the data"
    else:
        why = ("no weighted combination of the best pipelines scored higher than the best pipeline alone "
               "(on the search's out-of-fold predictions)")
    return f"No ensemble: {why}. The model is the best single pipeline."


def clip_to_metric(value, metric: str):
    """``value`` clipped to the range ``metric`` can take (a predicted R² stays at most 1)."""
    low, high = METRIC_RANGES.get(metric, (-math.inf, math.inf))
    if value is None or not np.isfinite(value):
        return value
    return float(min(max(value, low), high))


def _value(value) -> float:
    """A finite float, or NaN (a blank cell in a number column)."""
    value = pd.to_numeric(value, errors="coerce")
    return float(value) if value is not None and np.isfinite(value) else np.nan


def board_display(board: pd.DataFrame, records: list[dict], metric: str | None) -> pd.DataFrame:
    """The leaderboard with number columns that sort as numbers: a failed row has no score and its
    status says why, ± std is blank with a single holdout, predicted scores stay within the metric's
    range; ``rows`` (the training rows a score was measured on) is kept when the search reports it."""
    folds = {int(r["iteration"]): len(r.get("fold_scores") or []) for r in records if "iteration" in r}
    with_rows = "rows" in board.columns and pd.to_numeric(board["rows"], errors="coerce").notna().any()
    rows = []
    for _, row in board.iterrows():
        status = str(row.get("status") or "")
        ok = status == "ok"
        iteration = int(row["iteration"]) if pd.notna(row.get("iteration")) else None
        single = folds.get(iteration) == 1 and row.get("family") != "ensemble"
        out = {
            "iteration": iteration, "description": row.get("description"), "family": row.get("family"),
            "score": _value(row.get("score")) if ok else np.nan,
            "± std": np.nan if single or not ok else _value(row.get("score_std")),
        }
        if with_rows:      # beside the score it qualifies
            out["rows"] = _value(row.get("rows"))
        out |= {
            "predicted": _value(clip_to_metric(_value(row.get("predicted_score")), metric or "")),
            "pred. std": _value(row.get("predicted_std")),
            "fit s": _value(row.get("fit_time")) if ok else np.nan,
        }
        out["status"] = STATUS_WORDS.get(status, status)
        out["source"] = row.get("source")
        rows.append(out)
    shown = pd.DataFrame(rows)
    if with_rows:
        shown["rows"] = shown["rows"].astype("Int64")
    return shown
