"""The leaderboard table."""
from __future__ import annotations

import numpy as np
import pandas as pd

LEADERBOARD_COLUMNS = ["pipeline_id", "description", "family", "score", "score_std", "predicted_score",
                       "predicted_std", "fit_time", "wall_time", "status", "source", "iteration"]


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


def skipped_sentence(skipped: dict[str, int]) -> str:
    """The pipelines a search did not start as too slow (``{family: count}``), as one sentence; "" if none."""
    if not skipped:
        return ""
    parts = ", ".join(f"{n} {family}" for family, n in skipped.items())
    return (f"Not started, predicted to take more than half the time budget on this table: {parts} "
            "pipeline(s).")
