"""Nearest-dataset maths for the warm start (pure functions)."""

import numpy as np
import pytest

from automl_engine.recommender.warmstart import (
    capped_per_group,
    fit_standardiser,
    l1_distances,
    nearest_datasets,
    neighbour_mean_scores,
    standardise,
)


def test_standardiser_handles_constant_and_missing_columns():
    M = np.array([[1.0, 5.0, np.nan], [3.0, 5.0, np.nan], [np.nan, 5.0, np.nan]])
    mean, scale = fit_standardiser(M)
    np.testing.assert_allclose(mean, [2.0, 5.0, 0.0])
    np.testing.assert_allclose(scale, [1.0, 1.0, 1.0])
    Z = standardise(M, mean, scale)
    np.testing.assert_allclose(Z, [[-1.0, 0, 0], [1.0, 0, 0], [0.0, 0, 0]])
    with pytest.raises(ValueError):
        standardise(np.zeros((1, 2)), mean, scale)
    with pytest.raises(ValueError):
        fit_standardiser(np.array([[np.inf, 1.0]]))


def test_l1_and_nearest_order():
    ref = np.array([[0.0, 0.0], [1.0, 1.0], [0.5, -0.5], [0.0, 0.0]])
    q = np.array([0.1, 0.0])
    np.testing.assert_allclose(l1_distances(q, ref), [0.1, 1.9, 0.9, 0.1])
    idx, dist = nearest_datasets(q, ref, k=3)
    assert idx.tolist() == [0, 3, 2]  # tie broken by the lower index
    np.testing.assert_allclose(dist, [0.1, 0.1, 0.9])
    idx, _ = nearest_datasets(q, ref)
    assert len(idx) == 4


def test_kinds_take_turns_and_the_family_cap_still_holds():
    groups = np.array([0, 0, 1, 1, 2, 3])
    kinds = np.array([0, 0, 0, 0, 1, 1])  # groups 0 and 1 are one kind, groups 2 and 3 another
    ranked = [0, 2, 1, 3, 4, 5]
    assert capped_per_group(ranked, groups, 1, 2) == [0, 2]  # families alone: two of kind 0
    assert capped_per_group(ranked, groups, 1, 4, kinds=kinds) == [0, 4, 2, 5]
    assert capped_per_group(ranked, groups, 1, 2, taken=[0], kinds=kinds) == [4, 2]  # kind 0 holds one already
    assert capped_per_group(ranked, None, 0, 3, kinds=kinds) == [0, 4, 2]  # kinds without a family cap
    # every family capped: the rest follows in rank order instead of rounds that find nothing
    assert capped_per_group(ranked, groups, 1, 6, kinds=kinds) == [0, 4, 2, 5, 1, 3]


def test_neighbour_mean_scores_weigh_nearer_datasets_more_and_shrink_to_the_prior():
    Y = np.array([[1.0, 0.0, np.nan],    # nearest
                  [0.0, 1.0, np.nan],    # twice as far
                  [5.0, 5.0, 5.0]])      # beyond k
    row_mean, row_std = np.zeros(3), np.ones(3)
    prior = np.array([0.0, 0.0, 0.3])
    scores = neighbour_mean_scores(Y, row_mean, row_std, prior, order=[0, 1, 2], distances=[1.0, 2.0, 3.0], k=2,
                                   pseudo_count=1.0)
    w_near, w_far = np.exp(-1.0 / 1.5), np.exp(-2.0 / 1.5)  # exp(-distance / median distance)
    np.testing.assert_allclose(scores, [w_near / (w_near + w_far + 1), w_far / (w_near + w_far + 1), 0.3])
    assert scores[0] > scores[1]
    # a row with no spread says nothing: it is left out
    flat = neighbour_mean_scores(Y, row_mean, np.array([0.0, 1.0, 1.0]), prior, [0, 1], [1.0, 2.0], k=2)
    np.testing.assert_allclose(flat[:2], [0.0, w_far / (w_far + 1)])
