"""Warm start from the nearest past datasets in meta-feature space, as pure functions.

Fusi et al. (2018) seed each search with the best pipelines of the training datasets that are
closest to the new one in meta-feature space (L1 distance between standardised
meta-features). The rule used here is "best of each nearest dataset, in order of distance":

* the nearest dataset contributes its best pipeline (by its observed score), then the second
  nearest its best, and so on; a pipeline already picked, already observed or excluded is
  skipped (that dataset contributes nothing in this round);
* if every dataset's best is taken, a second round takes each dataset's second best, etc.

The rule is stateless: given the same observations it produces the same sequence, so calling it
again after the first pick was evaluated continues with the next dataset's best.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

__all__ = [
    "fit_standardiser",
    "standardise",
    "l1_distances",
    "nearest_datasets",
    "warm_start_picks",
    "neighbour_mean_picks",
    "neighbour_mean_scores",
    "capped_per_group",
    "first_picks",
    "label_codes",
    "portfolio_next",
    "portfolio_picks",
]


def fit_standardiser(meta_features):
    """Column means and scales of a meta-feature matrix, ignoring NaN.

    Parameters
    ----------
    meta_features : array of shape (n_datasets, n_features), NaN = unknown

    Returns
    -------
    mean : array of shape (n_features,), 0 for an all-NaN column
    scale : array of shape (n_features,), the standard deviation, 1 where it is 0 or undefined
    """
    M = np.asarray(meta_features, dtype=float)
    if M.ndim != 2:
        raise ValueError("meta_features must be a 2-D array (n_datasets, n_features).")
    if np.any(np.isinf(M)):
        raise ValueError("meta_features must not contain infinite values.")
    finite = np.isfinite(M)
    count = finite.sum(axis=0)
    safe = np.where(finite, M, 0.0)
    mean = np.where(count > 0, safe.sum(axis=0) / np.maximum(count, 1), 0.0)
    dev = np.where(finite, M - mean, 0.0)
    std = np.sqrt((dev**2).sum(axis=0) / np.maximum(count, 1))
    scale = np.where(std > 1e-12, std, 1.0)
    return mean, scale


def standardise(meta_features, mean, scale):
    """``(M - mean) / scale`` with NaN replaced by 0 (the column mean).

    Parameters
    ----------
    meta_features : array of shape (n, n_features) or (n_features,)
    mean, scale : arrays of shape (n_features,), from :func:`fit_standardiser`

    Returns
    -------
    array of the same shape as ``meta_features``
    """
    M = np.asarray(meta_features, dtype=float)
    if M.shape[-1] != np.shape(mean)[0]:
        raise ValueError(
            f"expected {np.shape(mean)[0]} meta-features (the columns used in fit), got {M.shape[-1]}."
        )
    if np.any(np.isinf(M)):
        raise ValueError("meta_features must not contain infinite values.")
    Z = (M - mean) / scale
    return np.where(np.isfinite(Z), Z, 0.0)


def l1_distances(query, reference):
    """L1 distances from one standardised meta-feature vector to many.

    Parameters
    ----------
    query : array of shape (n_features,)
    reference : array of shape (n_datasets, n_features)

    Returns
    -------
    array of shape (n_datasets,)
    """
    q = np.asarray(query, dtype=float).reshape(-1)
    R = np.asarray(reference, dtype=float)
    return np.abs(R - q).sum(axis=1)


def nearest_datasets(query, reference, k=None):
    """Indices and L1 distances of the ``k`` nearest reference rows, nearest first.

    Ties are broken by the lower index (stable sort), so the order is deterministic.

    Parameters
    ----------
    query : array of shape (n_features,), standardised
    reference : array of shape (n_datasets, n_features), standardised
    k : int, optional (default: all rows)

    Returns
    -------
    indices : int array of shape (min(k, n_datasets),)
    distances : array of the same shape
    """
    d = l1_distances(query, reference)
    order = np.argsort(d, kind="stable")
    if k is not None:
        order = order[: max(int(k), 0)]
    return order, d[order]


def warm_start_picks(Y, dataset_order, n, taken=()):
    """Pipelines to try first: the best of each dataset, in the given order of datasets.

    Parameters
    ----------
    Y : array of shape (n_datasets, n_pipelines), training scores, NaN = unobserved,
        higher is better (each row in its own units; only the order within a row matters)
    dataset_order : int array, datasets nearest first (e.g. from :func:`nearest_datasets`)
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


def label_codes(labels, n, what):
    """Integer codes of one label per pipeline (the groups and kinds the warm start hedges over);
    None stays None. ``what`` names the argument in the error."""
    if labels is None:
        return None
    labels = np.asarray(labels)
    if labels.shape != (n,):
        raise ValueError(f"{what} must have one label per pipeline ({n}), got {labels.shape}.")
    return np.unique(labels, return_inverse=True)[1].astype(np.int64)


def neighbour_mean_scores(Y, row_mean, row_std, prior_mean, order, distances, k=10, pseudo_count=1.0):
    """Each pipeline's closeness-weighted mean standardised score over the ``k`` nearest datasets.

    Parameters
    ----------
    Y : array of shape (n_datasets, n_pipelines), training scores, NaN = unobserved
    row_mean, row_std : arrays of shape (n_datasets,), each row's standardisation (std 0 or NaN:
        the row is left out)
    prior_mean : array of shape (n_pipelines,), the score a pipeline is shrunk towards where few
        neighbours observed it (weight ``pseudo_count``)
    order, distances : nearest datasets first and their distances (:func:`nearest_datasets`)

    Returns
    -------
    ndarray of shape (n_pipelines,); a neighbour's weight is ``exp(-distance / median distance)``
    """
    near = np.asarray(order[:k], dtype=np.intp)
    d = np.asarray(distances[:k], dtype=float)
    weights = np.exp(-d / max(float(np.median(d)), 1e-9)) if d.size else d
    std = np.asarray(row_std, dtype=float)[near, None]
    with np.errstate(invalid="ignore", divide="ignore"):  # rows unusable in training: left out
        Z = np.where(std > 0, (np.asarray(Y, dtype=float)[near] - np.asarray(row_mean, dtype=float)[near, None]) / std,
                     np.nan)
    seen = np.isfinite(Z)
    total = np.where(seen, Z, 0.0).T @ weights + pseudo_count * np.asarray(prior_mean, dtype=float)
    return total / (seen.T.astype(float) @ weights + pseudo_count)


def neighbour_mean_picks(Y, row_mean, row_std, prior_mean, order, distances, n, blocked, k=10, pseudo_count=1.0,
                         groups=None, per_group=0, taken=(), kinds=None):
    """Top ``n`` unblocked pipelines by :func:`neighbour_mean_scores` (same first seven parameters).

    Parameters
    ----------
    n : int, picks wanted
    blocked : bool array of shape (n_pipelines,), pipelines that must not be picked
    groups : int array of shape (n_pipelines,), optional, e.g. each pipeline's model family
    per_group : int, with ``groups``: at most this many picks per group (0: no cap), so the
        first picks hedge across families instead of spending them all on the family that is
        best on average
    taken : pipelines already evaluated on the new dataset; they count towards their group's cap
    kinds : int array of shape (n_pipelines,), optional, a coarser label (e.g. linear, kernel
        and tree models): the kinds take turns (:func:`capped_per_group`)

    Returns
    -------
    list of at most ``n`` pipeline indices, best first
    """
    score = neighbour_mean_scores(Y, row_mean, row_std, prior_mean, order, distances, k, pseudo_count)
    score[np.asarray(blocked, dtype=bool)] = -np.inf
    ranked = [int(j) for j in np.argsort(-score, kind="stable") if np.isfinite(score[j])]
    if (groups is None or not per_group) and kinds is None:
        return ranked[:n]
    return capped_per_group(ranked, None if groups is None else np.asarray(groups), per_group, n, taken,
                            kinds=None if kinds is None else np.asarray(kinds))


def capped_per_group(ranked, groups, per_group, n, taken=(), kinds=None):
    """The first ``n`` of ``ranked`` taking at most ``per_group`` from each group, counting the
    ``taken`` pipelines too (then, if the groups run out, the best of the rest).

    With ``kinds`` (a coarser label per pipeline), the kinds also take turns: in round r a kind
    may hold at most r picks (``taken`` included), so the next pick is the best one of a kind
    that is behind; the round rises once no such kind has an eligible pipeline. ``groups=None``
    or ``per_group=0``: no cap per group.

    Examples
    --------
    >>> groups = np.array([0, 0, 1, 1, 2])
    >>> capped_per_group([4, 3, 2, 1, 0], groups, 1, 3), capped_per_group([4, 3, 2, 1, 0], groups, 1, 4)
    ([4, 3, 1], [4, 3, 1, 2])
    >>> capped_per_group([3, 2, 1, 0], groups, 1, 2, taken=[4])  # group 2 already has a pick
    [3, 1]
    >>> kinds = np.array([0, 0, 0, 0, 1])  # groups 0 and 1 are of one kind, group 2 of another
    >>> capped_per_group([3, 1, 2, 0, 4], groups, 1, 3, kinds=kinds)  # kinds take turns: 4 comes second
    [3, 4, 1]
    """
    group_counts: Counter = Counter()
    kind_counts: Counter = Counter()

    def count(j):
        if groups is not None:
            group_counts[int(groups[j])] += 1
        if kinds is not None:
            kind_counts[int(kinds[j])] += 1

    for j in taken:
        count(j)
    capped = groups is not None and per_group > 0
    picks: list[int] = []
    chosen: set[int] = set()
    round_ = 1
    while len(picks) < n:
        pick, behind_only_by_kind = None, False
        for j in ranked:
            if j in chosen or (capped and group_counts[int(groups[j])] >= per_group):
                continue
            if kinds is None or kind_counts[int(kinds[j])] < round_:
                pick = j
                break
            behind_only_by_kind = True
        if pick is None:
            if not behind_only_by_kind:  # a later round would find nothing more
                break
            round_ += 1
            continue
        picks.append(pick)
        chosen.add(pick)
        count(pick)
    return picks + [j for j in ranked if j not in chosen][:n - len(picks)]


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


def first_picks(method, Y, row_mean, row_std, prior_mean, order, distances, n, blocked, scored, taken=(),
                groups=None, per_group=0, kinds=None):
    """The warm-start picks of ``method`` ("neighbour_mean", "portfolio" or "nearest_best").

    ``order``, ``distances``: every training dataset, nearest first; ``scored``: the pipelines
    with a finite score on the new dataset so far; ``taken``: all those evaluated (failures
    included); ``blocked`` marks them and any others that must not be picked. ``groups``,
    ``per_group`` and ``kinds`` hedge the "neighbour_mean" picks (:func:`neighbour_mean_picks`).
    """
    if method == "neighbour_mean":
        return neighbour_mean_picks(Y, row_mean, row_std, prior_mean, order, distances, n, blocked,
                                    groups=groups, per_group=per_group, taken=taken, kinds=kinds)
    if method == "portfolio":
        return portfolio_picks(Y, row_mean, row_std, prior_mean, list(scored), n, np.array(blocked, copy=True))
    return warm_start_picks(Y, order, n, taken=np.flatnonzero(blocked))
