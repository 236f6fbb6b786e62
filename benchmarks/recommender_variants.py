"""Research variants of the PMF recommender, for the benchmarks only (none of them ships).

Until 2026-12-06 these were settings of ``PMFRecommender`` (``units``, ``warm_start``,
``row_scores``) that no shipped recommender used; the engine now has one rule for each, and the
alternatives compared on the surrogate benchmark (docs/BENCHMARKS.md) live here as small
subclasses that override one public seam of the recommender each:

========================  =======================  ===============  =================================
setting (``--variant``)   class                    seam             the engine's rule
========================  =======================  ===============  =================================
warm_start=nearest_best   NearestBestWarmStart     first_picks      closeness-weighted neighbour mean
warm_start=portfolio      PortfolioWarmStart       first_picks      (same)
units=prior               PriorUnits               user_units       own std, mean at the prior mean
row_scores=standardised   StandardisedRows         training_rows    normal scores of the ranks
========================  =======================  ===============  =================================

:func:`variant_class` combines them (``warm_start=portfolio,units=prior``); a setting given its
engine value (``warm_start=neighbour_mean``) is the plain ``PMFRecommender``.
:func:`load_variant` reads a recommender file saved before 2026-12-06 with one of these settings
(the engine refuses such files).
"""
from __future__ import annotations

import functools

import numpy as np

from automl_engine.recommender import PMFRecommender
from automl_engine.recommender.state import RETIRED_PARAMS

__all__ = [
    "NearestBestWarmStart", "PortfolioWarmStart", "PriorUnits", "StandardisedRows", "VARIANTS", "load_variant",
    "portfolio_next", "portfolio_picks", "prior_fit_units", "refits", "split_params", "variant_class",
    "warm_start_picks",
]


def warm_start_picks(Y, dataset_order, n, taken=()):
    """Pipelines to try first: the best of each dataset, in the given order of datasets.

    The nearest dataset contributes its best pipeline (by its observed score), then the second
    nearest its best, and so on; a pipeline already picked, observed or excluded is skipped (that
    dataset contributes nothing in this round); if every dataset's best is taken, a second round
    takes each one's second best, etc. Stateless: called again after the first pick was
    evaluated, it continues with the next dataset's best.

    Parameters
    ----------
    Y : array of shape (n_datasets, n_pipelines), training scores, NaN = unobserved,
        higher is better (each row in its own units; only the order within a row matters)
    dataset_order : int array, datasets nearest first (e.g. from ``warmstart.nearest_datasets``)
    n : int, number of picks wanted
    taken : iterable of int, pipelines that must not be picked (observed, excluded)

    Returns
    -------
    list of at most ``n`` distinct pipeline indices (fewer only if the datasets in
    ``dataset_order`` have no other observed pipelines)

    Examples
    --------
    >>> import numpy as np
    >>> Y = np.array([[0.9, 0.1, np.nan], [0.2, 0.8, 0.5]])
    >>> warm_start_picks(Y, [1, 0], n=2)
    [1, 0]
    >>> warm_start_picks(Y, [1, 0], n=2, taken={1})   # dataset 1's best is taken
    [0, 2]
    """
    Y = np.asarray(Y, dtype=float)
    order = [int(i) for i in np.asarray(dataset_order, dtype=np.intp).reshape(-1)]
    blocked = {int(t) for t in taken}
    picks: list[int] = []
    if n <= 0:
        return picks
    ranked: dict[int, np.ndarray] = {}

    def ranking(d):  # computed on first use: usually only the first few datasets are visited
        if d not in ranked:
            row = Y[d]
            finite = np.flatnonzero(np.isfinite(row))
            # best first; ties -> lower pipeline index
            ranked[d] = finite[np.argsort(-row[finite], kind="stable")]
        return ranked[d]

    rank = 0
    while True:
        any_left = False
        for d in order:
            r = ranking(d)
            if rank >= len(r):
                continue
            any_left = True
            j = int(r[rank])
            if j in blocked:
                continue
            picks.append(j)
            blocked.add(j)
            if len(picks) == n:
                return picks
        if not any_left:
            return picks
        rank += 1




def portfolio_next(C, chosen, blocked):
    """The pipeline that most lowers the summed regret of a portfolio over the training datasets.

    Greedy portfolio construction (as in Auto-sklearn 2.0): with ``chosen`` already in the
    portfolio, pick the pipeline minimising ``sum_d (max_j C[d, j] - max(best chosen on d, C[d, j]))``.
    Unlike "best on average", the second pick covers the datasets where the first one is weak.

    Parameters
    ----------
    C : array of shape (n_datasets, n_pipelines), finite, higher is better (e.g. standardised
        scores with unobserved entries imputed)
    chosen : sequence of int, pipelines already in the portfolio (observed)
    blocked : bool array of shape (n_pipelines,), pipelines that must not be picked

    Returns
    -------
    int, or None if every pipeline is blocked

    Examples
    --------
    >>> import numpy as np
    >>> C = np.array([[1.0, 0.9, 0.0], [0.0, 0.5, 1.0]])  # pipeline 1 is best on average
    >>> portfolio_next(C, [], np.zeros(3, bool)), portfolio_next(C, [1], np.zeros(3, bool))
    (1, 2)
    """
    C = np.asarray(C, dtype=float)
    blocked = np.asarray(blocked, dtype=bool)
    if blocked.all():
        return None
    chosen = [int(j) for j in chosen]
    current = C[:, chosen].max(axis=1) if chosen else np.full(C.shape[0], -np.inf)
    loss = (C.max(axis=1)[:, None] - np.maximum(current[:, None], C)).sum(axis=0)
    loss[blocked] = np.inf
    return int(np.argmin(loss))


def portfolio_picks(Y, row_mean, row_std, prior_mean, chosen, n, blocked, shrink=0.5):
    """``n`` greedy portfolio picks (:func:`portfolio_next`) continuing from ``chosen``.

    The training rows are standardised, shrunk by ``shrink`` towards ``prior_mean`` (a pipeline
    seen on few datasets is not trusted to be their best), and unobserved entries take the prior
    mean. Rows with no spread (std 0 or NaN) are left out.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        Z = (np.asarray(Y, dtype=float) - np.asarray(row_mean)[:, None]) / np.asarray(row_std)[:, None]
    usable = np.isfinite(np.asarray(row_std, dtype=float)) & (np.asarray(row_std, dtype=float) > 0)
    prior = np.asarray(prior_mean, dtype=float)
    C = np.where(np.isfinite(Z), (1.0 - shrink) * Z + shrink * prior, prior)[usable]
    blocked = np.array(blocked, dtype=bool)
    blocked[np.asarray(list(chosen), dtype=np.intp)] = True
    picks: list[int] = []
    for _ in range(n):
        j = portfolio_next(C, list(chosen) + picks, blocked) if len(C) else None
        if j is None:
            break
        picks.append(j)
        blocked[j] = True
    return picks


def prior_fit_units(vals, prior_observed, scale, strength=2.0):
    """Fit ``vals ≈ c + s * prior_observed``: the slope ``s`` shrunk towards the training
    ``scale`` (weight ``strength``, clipped to 0.2–5 times it), then ``c``.

    Meant to stay unbiased when the first observations are not a random sample (the warm start
    picks pipelines that are good on average).
    """
    vals = np.asarray(vals, dtype=float)
    m = np.asarray(prior_observed, dtype=float)
    spread = float(np.sum((m - m.mean()) ** 2))
    s = scale
    if vals.size >= 3 and spread > 0:
        slope = float(np.sum((m - m.mean()) * (vals - vals.mean())) / spread)
        s = (spread * slope + strength * scale) / (spread + strength)
        s = float(np.clip(s, 0.2 * scale, 5.0 * scale))
    return float(np.mean(vals - s * m)), s


class NearestBestWarmStart(PMFRecommender):
    """Warm start by the best pipeline of each nearest training dataset, nearest first (the PMF
    paper's rule, :func:`warm_start_picks`); was ``PMFRecommender(warm_start="nearest_best")``."""

    def first_picks(self, order, distances, n, blocked, scored, taken):
        return warm_start_picks(self.Y_, order, n, taken=np.flatnonzero(blocked))


class PortfolioWarmStart(PMFRecommender):
    """Warm start by a greedy portfolio over all training datasets (:func:`portfolio_picks`),
    continuing from the pipelines scored so far; was ``PMFRecommender(warm_start="portfolio")``."""

    def first_picks(self, order, distances, n, blocked, scored, taken):
        return portfolio_picks(self.Y_, self.row_mean_, self.row_std_, self.prior_mean_, list(scored), n,
                               np.array(blocked, copy=True))


class PriorUnits(PMFRecommender):
    """A new dataset's scores mapped to standardised units by :func:`prior_fit_units` (with no
    score, as the engine does); was ``PMFRecommender(units="prior")``."""

    def user_units(self, scores, prior_observed):
        if np.size(scores):
            return prior_fit_units(scores, prior_observed, self.score_scale_)
        return super().user_units(scores, prior_observed)


class StandardisedRows(PMFRecommender):
    """The training rows fitted standardised (the fit standardises each row) instead of as the
    normal scores of their ranks; was ``PMFRecommender(row_scores="standardised")``. Changes the fit."""

    def training_rows(self, Y):
        return Y


VARIANTS = {
    ("warm_start", "nearest_best"): NearestBestWarmStart,
    ("warm_start", "portfolio"): PortfolioWarmStart,
    ("units", "prior"): PriorUnits,
    ("row_scores", "standardised"): StandardisedRows,
}
"""(retired setting, research value) → the subclass that implements it."""


def variant_class(settings) -> type:
    """The recommender class of the retired ``settings`` (a dict over :data:`RETIRED_PARAMS`' names).

    Examples
    --------
    >>> variant_class({}) is PMFRecommender, variant_class({"units": "prior"}) is PriorUnits
    (True, True)
    >>> variant_class({"warm_start": "portfolio", "units": "prior"}).__name__
    'PriorUnits+PortfolioWarmStart'
    >>> variant_class({"warm_start": "neighbour_mean"}) is PMFRecommender   # the engine's own rule
    True
    """
    return _combined(tuple(sorted(settings.items())))


@functools.cache
def _combined(settings: tuple) -> type:
    bases = []
    for name, value in settings:
        if name not in RETIRED_PARAMS:
            raise ValueError(f"{name} is not a research setting; research settings: {sorted(RETIRED_PARAMS)}.")
        if value == RETIRED_PARAMS[name]:
            continue
        if (name, value) not in VARIANTS:
            choices = [RETIRED_PARAMS[name]] + [v for (n, v) in VARIANTS if n == name]
            raise ValueError(f"{name} must be one of {choices}, got {value!r}.")
        bases.append(VARIANTS[name, value])
    if not bases:
        return PMFRecommender
    if len(bases) == 1:
        return bases[0]
    return type("+".join(b.__name__ for b in bases), tuple(bases), {"__doc__": "Combined research variants."})


def split_params(params: dict) -> tuple[type, dict]:
    """``(class, engine parameters)``: the research settings of ``params`` as a class (:func:`variant_class`),
    the rest as PMFRecommender parameters."""
    research = {k: v for k, v in params.items() if k in RETIRED_PARAMS}
    return variant_class(research), {k: v for k, v in params.items() if k not in RETIRED_PARAMS}


def refits(cls: type) -> bool:
    """Whether the variant changes the fit (the others only change suggestions: no refit needed)."""
    return issubclass(cls, StandardisedRows)


def load_variant(state):
    """A recommender from a state dict or npz file saved with a research setting (before 2026-12-06)."""
    state = {k: state[k] for k in state.keys()}
    research = {name: np.asarray(state.pop(f"param_{name}")).item()
                for name in RETIRED_PARAMS if f"param_{name}" in state}
    return variant_class(research).from_state(state)
