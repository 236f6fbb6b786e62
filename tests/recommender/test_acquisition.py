"""Acquisition functions on a fixed fake posterior: no fitting involved."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from automl_engine.recommender.acquisition import (
    cost_aware_log_ei,
    expected_improvement,
    log_expected_improvement,
)

# a fake posterior over 5 candidates
MEAN = np.array([0.2, 0.5, 0.9, 1.0, -3.0])
STD = np.array([0.1, 0.3, 0.05, 1.0, 0.5])
BEST = 0.8


def test_matches_closed_form():
    z = (MEAN - BEST) / STD
    expected = (MEAN - BEST) * norm.cdf(z) + STD * norm.pdf(z)
    np.testing.assert_allclose(expected_improvement(MEAN, STD, BEST), expected, rtol=1e-12)


def test_shapes_broadcast():
    assert expected_improvement(MEAN, STD, BEST).shape == (5,)
    assert log_expected_improvement(MEAN, 0.5, BEST).shape == (5,)
    assert expected_improvement(MEAN[:, None], STD[None, :], BEST).shape == (5, 5)
    assert np.ndim(expected_improvement(0.0, 1.0, 0.0)) == 0


def test_ei_vanishes_far_below_best_as_std_shrinks():
    stds = np.array([1.0, 0.1, 0.01, 1e-4, 0.0])
    ei = expected_improvement(-1.0, stds, best=0.0)
    assert np.all(np.diff(ei) <= 0)
    assert ei[-1] == 0.0 and ei[-2] < 1e-300
    # with zero std EI is the plain improvement
    assert expected_improvement(1.5, 0.0, best=1.0) == pytest.approx(0.5)


def test_ei_increases_with_std_and_mean():
    stds = np.linspace(0.01, 3.0, 50)
    for m in (-1.0, 0.0, 1.0):
        # non-decreasing everywhere; strictly increasing unless the improvement is already sure
        assert np.all(np.diff(expected_improvement(m, stds, best=0.0)) >= -1e-12)
        assert np.all(np.diff(log_expected_improvement(m, stds, best=0.0)) >= -1e-12)
    for m in (-1.0, 0.0):
        assert np.all(np.diff(expected_improvement(m, stds, best=0.0)) > 0)
        assert np.all(np.diff(log_expected_improvement(m, stds, best=0.0)) > 0)
    assert expected_improvement(1.0, 3.0, 0.0) > expected_improvement(1.0, 1.0, 0.0)
    means = np.linspace(-5, 5, 101)
    assert np.all(np.diff(log_expected_improvement(means, 1.0, best=0.0)) > 0)


def test_xi_is_a_margin():
    assert expected_improvement(1.0, 0.5, best=0.5, xi=0.2) == pytest.approx(
        expected_improvement(0.8, 0.5, best=0.5)
    )


def test_log_ei_equals_log_of_ei_where_both_finite():
    z = np.linspace(-30, 8, 400)
    ei = expected_improvement(z, 1.0, 0.0)
    ok = ei > 1e-290
    np.testing.assert_allclose(log_expected_improvement(z, 1.0, 0.0)[ok], np.log(ei[ok]), rtol=1e-9)
    # scaled posterior: log EI = log std + log h(z)
    np.testing.assert_allclose(
        log_expected_improvement(MEAN, STD, BEST), np.log(expected_improvement(MEAN, STD, BEST)), rtol=1e-9
    )


@pytest.mark.parametrize("z", [-40.0, -100.0, -1e4, -1e8, -1e12])
def test_log_ei_is_finite_deep_in_the_tail(z):
    value = log_expected_improvement(z, 1.0, 0.0)
    assert np.isfinite(value)
    # asymptotic series: h(z) = phi(z) / z^2 (1 - 3/z^2 + 15/z^4 - 105/z^6 + ...)
    u = 1.0 / z**2
    asym = -0.5 * z * z - 0.5 * math.log(2 * math.pi) - 2 * math.log(-z) + math.log1p(-3 * u + 15 * u**2 - 105 * u**3)
    assert value == pytest.approx(asym, rel=1e-12, abs=1e-8)
    assert expected_improvement(z, 1.0, 0.0) >= 0.0


def test_log_ei_continuous_at_branch_point():
    z = np.array([-1.0 - 1e-12, -1.0, -1.0 + 1e-12])
    v = log_expected_improvement(z, 1.0, 0.0)
    assert np.ptp(v) < 1e-9


def test_log_ei_with_zero_std():
    out = log_expected_improvement(np.array([2.0, 0.5]), np.array([0.0, 0.0]), best=1.0)
    assert out[0] == pytest.approx(0.0)
    assert out[1] == -np.inf


def test_rejects_negative_std():
    with pytest.raises(ValueError):
        expected_improvement(0.0, -1.0, 0.0)
    with pytest.raises(ValueError):
        log_expected_improvement(0.0, -1.0, 0.0)


def test_cost_aware():
    cost = np.array([1.0, 10.0, 0.5, 2.0, 1.0])
    np.testing.assert_allclose(
        cost_aware_log_ei(MEAN, STD, BEST, cost), log_expected_improvement(MEAN, STD, BEST) - np.log(cost)
    )
    with pytest.raises(ValueError):
        cost_aware_log_ei(MEAN, STD, BEST, np.zeros(5))
    with pytest.raises(ValueError):
        cost_aware_log_ei(MEAN, STD, BEST, np.full(5, np.nan))


@given(
    st.floats(-1e6, 1e6),
    st.floats(1e-8, 1e4),
    st.floats(-1e6, 1e6),
)
@settings(max_examples=200, deadline=None)
def test_never_nan(mean, std, best):
    ei = expected_improvement(mean, std, best)
    log_ei = log_expected_improvement(mean, std, best)
    assert ei >= 0 and not np.isnan(ei)
    assert np.isfinite(log_ei)
