"""GP maths: marginal likelihood, analytic gradients, posterior."""

import numpy as np
import pytest
from scipy.optimize import check_grad
from scipy.stats import multivariate_normal

from automl_engine.recommender import gp
from automl_engine.recommender.kernels import RBFLinearKernel


@pytest.fixture
def setup():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(10, 3))
    y = rng.normal(size=10)
    mean = 0.3 * rng.normal(size=10)
    k = RBFLinearKernel.from_values([0.7, 1.3, 2.0], rbf_variance=0.8, linear_variance=0.4, noise=0.2)
    return k, X, y, mean


def test_nll_matches_scipy(setup):
    k, X, y, mean = setup
    expected = -multivariate_normal(mean, k.K(X)).logpdf(y)
    assert gp.negative_log_marginal_likelihood(k, X, y, mean) == pytest.approx(expected, rel=1e-10)
    nll, _, _ = gp.nll_and_grad(k, X, y, mean)
    assert nll == pytest.approx(expected, rel=1e-10)


def test_nll_without_points():
    k = RBFLinearKernel.from_values([1.0], 1.0, 1.0, 0.1)
    assert gp.negative_log_marginal_likelihood(k, np.zeros((0, 1)), np.zeros(0)) == 0.0
    nll, dX, draw = gp.nll_and_grad(k, np.zeros((0, 1)), np.zeros(0))
    assert nll == 0.0 and dX.shape == (0, 1) and np.all(draw == 0)


@pytest.mark.parametrize("with_mean", [False, True])
def test_gradient_wrt_latent_points(setup, with_mean):
    k, X, y, mean = setup
    mean = mean if with_mean else None

    def f(x):
        return gp.negative_log_marginal_likelihood(k, x.reshape(X.shape), y, mean)

    def g(x):
        return gp.nll_and_grad(k, x.reshape(X.shape), y, mean)[1].ravel()

    err = check_grad(f, g, X.ravel(), epsilon=1e-6)
    assert err < 1e-5 * max(1.0, np.linalg.norm(g(X.ravel())))


def test_gradient_wrt_kernel_params(setup):
    k, X, y, mean = setup

    def f(raw):
        return gp.negative_log_marginal_likelihood(k.with_raw(raw), X, y, mean)

    def g(raw):
        return gp.nll_and_grad(k.with_raw(raw), X, y, mean)[2]

    raw0 = np.array(k.raw)
    err = check_grad(f, g, raw0, epsilon=1e-6)
    assert err < 1e-5 * max(1.0, np.linalg.norm(g(raw0)))


def test_gradient_central_differences_one_coordinate(setup):
    """An explicit central difference, for readers who don't trust check_grad."""
    k, X, y, mean = setup
    _, dX, _ = gp.nll_and_grad(k, X, y, mean)
    h = 1e-5
    Xp, Xm = X.copy(), X.copy()
    Xp[3, 1] += h
    Xm[3, 1] -= h
    num = (gp.negative_log_marginal_likelihood(k, Xp, y, mean)
           - gp.negative_log_marginal_likelihood(k, Xm, y, mean)) / (2 * h)
    assert dX[3, 1] == pytest.approx(num, rel=1e-6, abs=1e-8)


def test_posterior_interpolates_observed_points():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 2))
    k = RBFLinearKernel.from_values([1.0, 1.0], rbf_variance=1.0, linear_variance=0.1, noise=1e-5)
    idx = np.array([0, 5, 9, 17])
    y = rng.normal(size=4)
    mean, var = gp.posterior(k, X, idx, y)
    assert mean.shape == (30,) and var.shape == (30,)
    np.testing.assert_allclose(mean[idx], y, atol=1e-3)
    assert np.all(var[idx] < 1e-4)
    assert np.all(var >= 0)
    # unobserved points keep more uncertainty
    others = np.setdiff1d(np.arange(30), idx)
    assert var[others].max() > 10 * var[idx].max()


def test_posterior_matches_textbook_formula():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(12, 2))
    k = RBFLinearKernel.from_values([0.8, 1.5], 0.7, 0.2, 0.1)
    idx = np.array([1, 4, 7])
    y = rng.normal(size=3)
    prior = rng.normal(size=12)
    mean, var = gp.posterior(k, X, idx, y, prior_mean=prior, include_noise=True)
    Kinv = np.linalg.inv(k.K(X[idx]))
    Kxo = k.K(X, X[idx])
    np.testing.assert_allclose(mean, prior + Kxo @ Kinv @ (y - prior[idx]))
    expected_var = k.Kdiag(X, noise=True) - np.einsum("ij,jk,ik->i", Kxo, Kinv, Kxo)
    np.testing.assert_allclose(var, expected_var, atol=1e-12)


def test_posterior_without_observations_is_prior():
    X = np.random.default_rng(3).normal(size=(5, 2))
    k = RBFLinearKernel.from_values([1.0, 1.0], 0.5, 0.5, 0.1)
    mean, var = gp.posterior(k, X, [], [], prior_mean=2.0)
    np.testing.assert_allclose(mean, 2.0)
    np.testing.assert_allclose(var, k.Kdiag(X, noise=False))
    with pytest.raises(ValueError):
        gp.posterior(k, X, [0, 0], [1.0, 2.0])


def test_posterior_with_duplicate_latent_points_is_safe():
    """Identical embeddings and a tiny noise make K singular: jitter must save the day."""
    X = np.zeros((6, 2))
    k = RBFLinearKernel.from_values([1.0, 1.0], 1.0, 1.0, 2e-6)
    mean, var = gp.posterior(k, X, [0, 1, 2], [0.5, 0.5, 0.5])
    assert np.all(np.isfinite(mean)) and np.all(np.isfinite(var))


def test_safe_cholesky_adds_jitter_only_when_needed():
    A = np.array([[1.0, 1.0], [1.0, 1.0]])  # singular PSD
    L, jitter = gp.safe_cholesky(A)
    assert jitter > 0
    np.testing.assert_allclose(L @ L.T, A + jitter * np.eye(2), atol=1e-12)
    L, jitter = gp.safe_cholesky(np.eye(3))
    assert jitter == 0.0
    with pytest.raises(np.linalg.LinAlgError):
        gp.safe_cholesky(np.array([[1.0, 0.0], [0.0, -5.0]]))
