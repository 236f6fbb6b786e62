"""Leaderboard table and predicted evaluation costs."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

LEADERBOARD_COLUMNS = ["pipeline_id", "description", "family", "score", "score_std", "predicted_score",
                       "predicted_std", "fit_time", "wall_time", "status", "source", "iteration"]
BUILD_ROWS, BUILD_FOLDS = 800, 3


def make_leaderboard(history: list[dict], ensemble: dict | None = None) -> pd.DataFrame:
    """One row per evaluated pipeline (plus the ensemble), best first, failures last."""
    rows = [{c: h.get(c) for c in LEADERBOARD_COLUMNS} for h in history]
    if ensemble is not None:
        names = ", ".join(f"{w:.2f}×{d.split(' → ')[-1]}" for w, d in ensemble["members"])
        rows.append({"pipeline_id": "ensemble", "description": f"Ensemble({names})", "family": "ensemble",
                     "score": ensemble["score"], "score_std": np.nan, "predicted_score": np.nan,
                     "predicted_std": np.nan, "fit_time": np.nan, "wall_time": np.nan, "status": "ok",
                     "source": "ensemble selection", "iteration": len(history) + 1})
    board = pd.DataFrame(rows, columns=LEADERBOARD_COLUMNS)
    board["score"] = board["score"].astype(float)
    return board.sort_values("score", ascending=False, na_position="last", kind="stable").reset_index(drop=True)


def predicted_costs(knowledge, n_rows: int, n_folds: int) -> np.ndarray | None:
    """Seconds each pipeline is expected to take here: its median build time, scaled by rows and folds."""
    walls = np.asarray(knowledge.wall_times, dtype=float)
    if walls.size == 0 or not np.isfinite(walls).any():
        return None
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # pipelines never timed yet: filled below
        median = np.exp(np.nanmedian(np.log(np.where(walls > 0, walls, np.nan)), axis=0))
        median = np.where(np.isfinite(median), median, np.nanmedian(median))
    return median * max(1.0, n_rows / BUILD_ROWS) * max(1.0, n_folds / BUILD_FOLDS)
