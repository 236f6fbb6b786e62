"""The leaderboard table."""
from __future__ import annotations

import numpy as np
import pandas as pd

LEADERBOARD_COLUMNS = ["pipeline_id", "description", "family", "score", "score_std", "rows", "predicted_score",
                       "predicted_std", "fit_time", "wall_time", "status", "source", "iteration", "rung"]


def make_leaderboard(history: list[dict], ensemble: dict | None = None) -> pd.DataFrame:
    """One row per evaluated pipeline (plus the ensemble), best first, failures last.

    With multi-fidelity a pipeline's row is its evaluation on the most rows that succeeded (``rows``,
    ``rung``), and a score on more rows ranks above any on fewer, as the final choice does.
    """
    latest: dict[str, dict] = {}
    for h in history:
        shown = latest.get(h["pipeline_id"])
        if shown is None or _rank(h) >= _rank(shown):
            latest[h["pipeline_id"]] = h
    rows = [{c: h.get(c) for c in LEADERBOARD_COLUMNS} for h in latest.values()]
    if ensemble is not None:
        names = ", ".join(f"{w:.2f}×{d.split(' → ')[-1]}" for w, d in ensemble["members"])
        kind = ensemble.get("kind", "ensemble")  # "ensemble", "bagged ensemble" or "stack" (search/final.py)
        if kind == "stack":
            names = ", ".join(d.split(" → ")[-1] for _, d in ensemble["members"])
        rows.append({"pipeline_id": "ensemble", "description": f"{kind.capitalize()}({names})", "family": "ensemble",
                     "score": ensemble["score"], "score_std": np.nan, "rows": ensemble.get("rows"),
                     "predicted_score": np.nan, "predicted_std": np.nan, "fit_time": np.nan, "wall_time": np.nan,
                     "status": "ok", "source": "stacking" if kind == "stack" else "ensemble selection",
                     "iteration": len(history) + 1, "rung": ensemble.get("rung", 0)})
    board = pd.DataFrame(rows, columns=LEADERBOARD_COLUMNS)
    board["score"] = board["score"].astype(float)
    board["rung"] = board["rung"].fillna(0).astype(int)
    order = board.assign(_failed=board["score"].isna()).sort_values(
        ["_failed", "rung", "score"], ascending=[True, False, False], kind="stable")
    return board.loc[order.index].reset_index(drop=True)


def _rank(record: dict) -> tuple:
    """Which of a pipeline's evaluations its leaderboard row shows: a success on the most rows, else the last."""
    return (record["status"] == "ok", record.get("rung", 0))


def skipped_sentence(skipped: dict[str, int]) -> str:
    """The pipelines a search did not start as too slow (``{family: count}``), as one sentence; "" if none."""
    if not skipped:
        return ""
    parts = ", ".join(f"{n} {family}" for family, n in skipped.items())
    return (f"Not started, predicted to take more than half the time budget on this table: {parts} "
            "pipeline(s).")
