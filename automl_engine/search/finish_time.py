"""Time for what follows the search: refitting the chosen pipelines on all the data.

A time budget covers the whole ``AutoML.fit``. The search keeps back the predicted refit time of
its best pipelines so far, and the finish refits only the ensemble members whose predicted refit
still fits. A refit is predicted from the pipeline's measured per-fold fit time, scaled by
rows (all the data against one fold's training rows) and a safety factor. With multi-fidelity the
scaling is learned: a family whose pipelines were timed on two rungs grows as they did
(``rows_exponents``); others grow linearly. Linear growth from a rung-0 fit of 11,000 rows predicted
a LightGBM refit on 800,000 rows at several times its cost (a boosted tree's small fits are mostly
fixed work), and that reserve would end the search early.
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

REFIT_SAFETY = 1.5  # most learners grow faster than linearly in rows; err on the long side
ENSEMBLE_RESERVE_MEMBERS = 3  # refits kept back for an ensemble: the best and two more
RESERVE_FLOOR_FRACTION = 0.05  # at least this share of the budget is kept back for the finish
ENSEMBLE_RESERVE_SHARE = 0.15
"""At most this share of the budget is kept back for the ensemble's members beyond the best: on a
1,000,000-row table three predicted refits kept back half of a 300 s budget and the search stopped at
153 s (the finish then took 38 s). The finish refits only the members that still fit anyway."""


def refit_seconds(record: dict, n_rows: int, folds: Sequence, exponents: dict[str, float] | None = None) -> float:
    """Predicted seconds to refit ``record``'s pipeline on ``n_rows`` rows (0 if its fit time is unknown).

    The fit time was measured on the record's ``rows`` (a multi-fidelity rung), else on ``folds``; it
    grows as ``rows ** exponents[family]`` (linearly for a family not in ``exponents``).
    """
    fit_time = record.get("fit_time")
    if fit_time is None or not math.isfinite(fit_time) or fit_time <= 0:
        return 0.0
    train_rows = record.get("rows") or (float(np.mean([len(train) for train, _ in folds])) if len(folds)
                                        else float(n_rows))
    exponent = (exponents or {}).get(record.get("family"), 1.0)
    return REFIT_SAFETY * float(fit_time) * (n_rows / max(train_rows, 1.0)) ** exponent


MIN_EXPONENT, MAX_EXPONENT = 0.7, 2.0
"""Learned exponents are kept within these bounds: small fits are partly fixed work, so a slope measured
between two small rungs understates the growth to all the rows."""


def rows_exponents(history: list[dict]) -> dict[str, float]:
    """Per family, how fit time grew with rows in this run: the median slope (log time against log rows,
    lowest to highest rung) over its pipelines timed successfully on two or more rungs, within bounds."""
    timings: dict[tuple[str, str], dict[int, float]] = {}
    for h in history:
        fit_time, rows = h.get("fit_time"), h.get("rows")
        if h["status"] == "ok" and rows and fit_time is not None and math.isfinite(fit_time) and fit_time > 0:
            timings.setdefault((h.get("family"), h["pipeline_id"]), {})[int(rows)] = float(fit_time)
    slopes: dict[str, list[float]] = {}
    for (family, _), by_rows in timings.items():
        if len(by_rows) >= 2:
            low, high = min(by_rows), max(by_rows)
            slopes.setdefault(family, []).append(math.log(by_rows[high] / by_rows[low]) / math.log(high / low))
    return {family: min(max(float(np.median(v)), MIN_EXPONENT), MAX_EXPONENT) for family, v in slopes.items()}


def best_records(history: list[dict], n: int | None = None) -> list[dict]:
    """The ``n`` best successful records (all of them if ``n`` is None) of the highest rung reached, best first.

    With multi-fidelity a score on more rows outranks any on fewer (records without a ``rung`` are rung 0).
    """
    ok = [h for h in history if h["status"] == "ok"]
    top = max((h.get("rung", 0) for h in ok), default=0)
    return sorted((h for h in ok if h.get("rung", 0) == top), key=lambda h: -h["score"])[:n]


def finish_reserve(history: list[dict], n_rows: int, folds: Sequence, ensemble: bool,
                   time_budget: float | None = None) -> float:
    """Seconds the search keeps back for the finish: refits of the best pipeline(s) found so far.

    With a ``time_budget``, the members beyond the best keep back at most ``ENSEMBLE_RESERVE_SHARE`` of
    it, and the reserve is never less than ``RESERVE_FLOOR_FRACTION`` of it: on small data the
    predicted refits take a fraction of a second, and the last evaluation (which may run over the
    search's deadline by its timeout floor) would otherwise leave nothing for the ensemble members.
    """
    n = ENSEMBLE_RESERVE_MEMBERS if ensemble else 1
    exponents = rows_exponents(history)
    refits = [refit_seconds(h, n_rows, folds, exponents) for h in best_records(history, n)]
    members = sum(refits[1:])
    if time_budget:
        members = min(members, ENSEMBLE_RESERVE_SHARE * time_budget)
    floor = RESERVE_FLOOR_FRACTION * time_budget if time_budget else 0.0
    return max(sum(refits[:1]) + members, floor)


def affordable_members(candidates: list[dict], n_rows: int, folds: Sequence, seconds_left: float,
                       fitted: Sequence[dict] = (), exponents: dict[str, float] | None = None,
                       cost: Callable[[dict], float] | None = None) -> list[dict]:
    """The candidates (best first) whose refits fit in ``seconds_left`` one after another (``cost``: the
    seconds a candidate takes, when it is not one refit, e.g. its fold models).

    Those in ``fitted`` (already refitted, e.g. the best pipeline) are always kept, at no cost,
    even past the deadline; a candidate that does not fit is skipped, and cheaper ones after it
    may still be taken.
    """
    kept, spent = [], 0.0
    for record in candidates:
        if any(record is f for f in fitted):
            kept.append(record)
            continue
        seconds = cost(record) if cost is not None else refit_seconds(record, n_rows, folds, exponents)
        if spent + seconds <= seconds_left:
            kept.append(record)
            spent += seconds
    return kept
