"""Warm start from the nearest past datasets in meta-feature space, as pure functions.

Fusi et al. (2018) seed each search with pipelines chosen on the training datasets that are
closest to the new one in meta-feature space (L1 distance between standardised meta-features).
The rule here ranks pipelines by their closeness-weighted mean standardised score over the 10
nearest datasets (:func:`neighbour_mean_scores`), shrunk to the prior mean where few neighbours
observed them, and hedges the picks across model families and kinds (:func:`capped_per_group`);
the same scores can also be a new dataset's GP prior mean (``PMFRecommender(neighbour_prior=True)``).

The rules are stateless: given the same observations they produce the same sequence, so calling
them again after the first pick was evaluated continues with the next pick. The paper's own rule
(the best of each nearest dataset) and a greedy portfolio, compared on the surrogate benchmark,
live in benchmarks/recommender_variants.py.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

__all__ = [
    "fit_standardiser",
    "standardise",
    "l1_distances",
    "nearest_datasets",
    "neighbour_mean_picks",
    "neighbour_mean_scores",
    "capped_per_group",
    "label_codes",
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
