"""RBFLinearKernel: covariance properties and gradients checked against finite differences."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import check_grad

from automl_engine.recommender.kernels import (
    NOISE_FLOOR,
    RBFLinearKernel,
    inverse_softplus,
    softplus,
)


def make_kernel(n_dims=3):
    return RBFLinearKernel.from_values(
        lengthscales=np.linspace(0.6, 2.0, n_dims), rbf_variance=0.8, linear_variance=0.3, noise=0.05
    )


def test_from_values_round_trip():
    k = RBFLinearKernel.from_values([0.5, 3.0], rbf_variance=1.7, linear_variance=0.2, noise=0.01)
    np.testing.assert_allclose(k.lengthscales, [0.5, 3.0])
    assert k.rbf_variance == pytest.approx(1.7)
    assert k.linear_variance == pytest.approx(0.2)
    assert k.noise == pytest.approx(0.01)
    assert k.n_dims == 2 and k.n_params == 5


def test_softplus_inverse():
    y = np.array([1e-8, 1e-3, 0.5, 1.0, 30.0, 800.0])
    np.testing.assert_allclose(softplus(inverse_softplus(y)), y, rtol=1e-10)


@given(st.lists(st.floats(-40, 40), min_size=5, max_size=5))
@settings(max_examples=50, deadline=None)
def test_any_raw_gives_positive_parameters(raw):
    k = RBFLinearKernel(raw)
    assert np.all(k.lengthscales > 0)
    assert k.rbf_variance > 0 and k.linear_variance > 0
    assert k.noise >= NOISE_FLOOR


def test_kernel_is_immutable_and_with_raw_copies():
    k = make_kernel()
    with pytest.raises(ValueError):
        k.raw[0] = 1.0
    k2 = k.with_raw(k.raw + 1.0)
    assert not np.allclose(k2.lengthscales, k.lengthscales)
    with pytest.raises(ValueError):
        k.with_raw(np.zeros(3))


def test_covariance_properties():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(15, 3))
    X2 = rng.normal(size=(4, 3))
    k = make_kernel()
    K = k.K(X)
    assert K.shape == (15, 15)
    np.testing.assert_allclose(K, K.T)
    assert np.linalg.eigvalsh(K).min() > 0
    np.testing.assert_allclose(np.diag(K), k.Kdiag(X, noise=True))
    # cross-covariance has no white noise, also when called with the same points
    np.testing.assert_allclose(k.K(X, X), K - k.noise * np.eye(15), atol=1e-12)
    np.testing.assert_allclose(np.diag(k.K(X, X)), k.Kdiag(X, noise=False))
    assert k.K(X, X2).shape == (15, 4)
    # explicit formula for one entry
    x, y = X[0], X2[1]
    expected = 0.8 * np.exp(-0.5 * np.sum((x - y) ** 2 / k.lengthscales**2)) + 0.3 * x @ y
    assert k.K(X, X2)[0, 1] == pytest.approx(expected)
    K_full, K_rbf = k.K_with_rbf(X)
    np.testing.assert_allclose(K_full, K)
    np.testing.assert_allclose(K_rbf, k.K_rbf(X))


def test_far_points_do_not_overflow():
    k = make_kernel(2)
    X = np.array([[0.0, 0.0], [1e3, -1e3], [1e5, 1e5]])
    K = k.K(X)
    assert np.all(np.isfinite(K))
    assert 0.0 <= k.K_rbf(X)[0, 2] < 1e-300


def test_wrong_input_shape():
    k = make_kernel(3)
    with pytest.raises(ValueError):
        k.K(np.zeros((4, 2)))


def _objective_and_grad(G, X, k):
    """L = sum(G * K(X)) and the kernel's gradients for it."""
    return float(np.sum(G * k.K(X))), k.gradients(X, G)


@pytest.mark.parametrize("symmetric", [False, True])
def test_gradient_wrt_X(symmetric):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(8, 3))
    G = rng.normal(size=(8, 8))
    if symmetric:
        G = G + G.T
    k = make_kernel()

    def f(x):
        return float(np.sum(G * k.K(x.reshape(X.shape))))

    def g(x):
        return k.gradients(x.reshape(X.shape), G, symmetric=symmetric)[0].ravel()

    assert check_grad(f, g, X.ravel(), epsilon=1e-6) < 1e-5 * max(1.0, np.abs(g(X.ravel())).max())


def test_gradient_wrt_raw_params():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(8, 3))
    G = rng.normal(size=(8, 8))
    k = make_kernel()

    def f(raw):
        return float(np.sum(G * k.with_raw(raw).K(X)))

    def g(raw):
        return k.with_raw(raw).gradients(X, G)[1]

    assert check_grad(f, g, np.array(k.raw), epsilon=1e-6) < 1e-5 * max(1.0, np.abs(g(k.raw)).max())


def test_precomputed_rbf_gives_same_gradients():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(6, 3))
    G = rng.normal(size=(6, 6))
    G = G + G.T
    k = make_kernel()
    dX, dr = k.gradients(X, G, symmetric=True)
    Krbf = k.K_rbf(X)
    dX2, dr2 = k.gradients(X, G, K_rbf=Krbf.copy(), symmetric=True, overwrite_K_rbf=True)
    dX3, dr3 = k.gradients(X, G, K_rbf=Krbf)
    np.testing.assert_allclose(dX, dX2)
    np.testing.assert_allclose(dr, dr2)
    np.testing.assert_allclose(dX, dX3)
    np.testing.assert_allclose(dr, dr3)
    np.testing.assert_allclose(Krbf, k.K_rbf(X))  # not overwritten without the flag
