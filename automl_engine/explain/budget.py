"""How much an explanation computes: sizes from a model-row budget and, optionally, a time budget.

The permutation explainer evaluates the model on about ``rows × (2 × columns + 1) × background ×
permutations`` recombined rows ("model rows"). ``AGNOSTIC_BUDGET`` caps that count: the background
is cut down to it first (not below ``MIN_AGNOSTIC_BACKGROUND``), then permutations are added while
they fit; the explained rows are never cut by it, so the sizes depend only on the inputs.

With a time budget (``explain(..., time_budget=seconds)``, ``TIME_BUDGET_SECONDS`` by default) the
explainer is first run on ``PROBE_ROWS`` rows with the smallest background and one permutation, to
measure seconds per model row on this machine, now (model, preprocessing, shap's own work, thread
and load effects all included). When the sizes above would not fit in the time left, the model-row
budget is lowered to what fits, which removes permutations, then background rows (down to the
minimum); a cut plan is timed again at its background, and only then are explained rows dropped
(a seeded random subset, never fewer than ``MIN_EXPLAINED_ROWS`` or the rows asked for if fewer).
The permutation explainer then explains its rows in a seeded random order, in 20 chunks, and stops
after the chunk that ends past the deadline (once the minimum is done), so a run slower than its
timing (load changes, costlier rows) overshoots by about a chunk. The tree explainer has no background:
TreeSHAP is timed on ``TREE_PROBE_ROWS`` rows and only the row count is cut. The minimum sizes
make a very slow model take longer than the budget rather than explain almost nothing.

Sizes chosen under a time budget depend on the measured speed (so on the machine and its load);
``time_budget=None`` gives sizes that depend only on the inputs. For given sizes and
``random_state`` the values are reproducible either way.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

TIME_BUDGET_SECONDS = 20.0
"""Seconds an explanation aims to take from the call (target: 30 s for 1,000 rows × 30 columns on
2 cores; the rest is slack for measurement error and for computing the model's own output)."""
AGNOSTIC_BUDGET = 640_000
"""Model rows the permutation explainer evaluates at most (rows × coalitions × background rows ×
permutations): 1,000 rows × 30 columns get one antithetic permutation over 10 background rows."""
MIN_AGNOSTIC_BACKGROUND = 10
MAX_PERMUTATIONS = 10
MIN_EXPLAINED_ROWS = 200
"""A time budget never cuts the explained rows below this (nor below the rows asked for if fewer)."""
PROBE_ROWS = 3
TREE_PROBE_ROWS = 8

clock: Callable[[], float] = time.perf_counter


@dataclass(frozen=True)
class Sizes:
    """How much a permutation explanation computes."""

    rows: int
    background: int
    permutations: int

    def model_rows(self, n_columns: int) -> int:
        """Nominal model evaluations: rows × (2 × columns + 1) × background × permutations."""
        return self.rows * (2 * n_columns + 1) * self.background * self.permutations


class Deadline:
    """Seconds left of a time budget started at construction (never negative)."""

    def __init__(self, seconds: float):
        self.seconds = float(seconds)
        self.start = clock()

    def remaining(self) -> float:
        return max(0.0, self.seconds - (clock() - self.start))


def timed(fn: Callable[[], object]) -> float:
    """Seconds ``fn()`` takes."""
    start = clock()
    fn()
    return clock() - start


def sizes_for(budget: float, n_rows: int, n_background: int, n_columns: int, min_rows: int | None = None) -> Sizes:
    """Sizes whose model rows fit ``budget``: background first, then permutations; rows only when
    even the smallest background does not fit, and then not below ``min_rows`` (default: no cut)."""
    per_row = 2 * n_columns + 1
    n_rows = max(1, n_rows)
    background = min(n_background, max(MIN_AGNOSTIC_BACKGROUND, int(budget // (n_rows * per_row))))
    background = max(1, background)
    permutations = int(min(MAX_PERMUTATIONS, max(1, budget // (n_rows * per_row * background))))
    rows = n_rows
    if min_rows is not None and n_rows * per_row * background > budget:
        rows = max(min(n_rows, min_rows), min(n_rows, int(budget // (per_row * background))))
    return Sizes(rows, background, permutations)


def plan_permutation(n_rows: int, n_background: int, n_columns: int,
                     seconds_per_row: Callable[[Sizes], float] | None = None,
                     deadline: Deadline | None = None) -> tuple[Sizes, bool]:
    """(sizes, whether the time budget cut them) for a permutation explanation.

    Parameters
    ----------
    seconds_per_row : callable(sizes) -> float, optional
        Measures seconds per explained row at ``sizes.background`` and ``sizes.permutations``
        (``sizes.rows`` is ignored). None: the model-row budget alone decides.
    deadline : Deadline, optional
        The time left; needed with ``seconds_per_row``.

    The model is first timed at the smallest sizes (cheap even for a slow model); seconds per model
    row there, applied to larger backgrounds, over-estimate their cost (per-call costs do not grow
    with the background), so a plan that fits by that estimate fits. A cut plan is timed again at
    its own background before its rows are counted.
    """
    fixed = sizes_for(AGNOSTIC_BUDGET, n_rows, n_background, n_columns)
    if seconds_per_row is None or deadline is None:
        return fixed, False
    smallest = Sizes(1, min(n_background, MIN_AGNOSTIC_BACKGROUND), 1)
    per_row = seconds_per_row(smallest)
    affordable = deadline.remaining() / max(per_row / smallest.model_rows(n_columns), 1e-12)
    if fixed.model_rows(n_columns) <= affordable:
        return fixed, False
    sizes = sizes_for(min(AGNOSTIC_BUDGET, affordable), n_rows, n_background, n_columns, min_rows=MIN_EXPLAINED_ROWS)
    if (sizes.background, sizes.permutations) != (smallest.background, smallest.permutations):
        per_row = seconds_per_row(sizes)
    floor = min(n_rows, MIN_EXPLAINED_ROWS)
    rows = int(min(sizes.rows, max(floor, deadline.remaining() // max(per_row, 1e-12))))
    return Sizes(rows, sizes.background, sizes.permutations), True


def plan_rows(n_rows: int, seconds_per_row: float, deadline: Deadline | None) -> int:
    """Rows that fit the time left at ``seconds_per_row`` (not below ``MIN_EXPLAINED_ROWS``)."""
    if deadline is None:
        return n_rows
    fit = deadline.remaining() // max(seconds_per_row, 1e-12)
    return int(min(n_rows, max(min(n_rows, MIN_EXPLAINED_ROWS), fit)))
