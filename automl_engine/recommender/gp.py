"""Gaussian-process maths as pure functions: marginal likelihood, its gradients, posterior.

Everything here works on *standardised* scores (one dataset's observed scores, or the
residuals after subtracting a prior mean) at latent points ``X``; nothing is fitted or stored.
Covariances come from a kernel object such as
:class:`automl_engine.recommender.kernels.RBFLinearKernel`, which provides ``K``, ``Kdiag``
and ``gradients(X, dL_dK)``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.linalg import blas, lapack, solve_triangular

__all__ = [
    "safe_cholesky",
    "negative_log_marginal_likelihood",
    "nll_and_grad",
    "posterior",
]

_LOG_2PI = math.log(2.0 * math.pi)


def safe_cholesky(K, max_tries=6):
    """Lower Cholesky factor of a symmetric positive (semi-)definite matrix.

    Like GPyTorch's ``psd_safe_cholesky``: if the factorisation fails, jitter of
    ``1e-8, 1e-7, ...`` times the mean diagonal is added to the diagonal and it is retried.

    Parameters
    ----------
    K : array of shape (m, m)
    max_tries : int
        Number of jitter levels tried after the plain factorisation fails.

    Returns
    -------
    L : array of shape (m, m), lower triangular, ``L @ L.T ≈ K + jitter * I``
    jitter : float
        The jitter actually added (0.0 if none was needed).

    Raises
    ------
    numpy.linalg.LinAlgError
        If K is not positive definite even with the largest jitter, or is not finite.
    """
    K = np.asarray(K, dtype=float)
    if K.size == 0:
        return np.zeros_like(K), 0.0
    if not np.all(np.isfinite(K)):
        raise np.linalg.LinAlgError("covariance matrix has non-finite entries")
    L, info = lapack.dpotrf(K, lower=1, clean=1, overwrite_a=0)
    if info == 0:
        return L, 0.0
    scale = max(float(np.mean(np.abs(np.diag(K)))), 1e-12)
    for i in range(max_tries):
        jitter = scale * 10.0 ** (-8 + i)
        Kj = K.copy()
        Kj[np.diag_indices_from(Kj)] += jitter
        L, info = lapack.dpotrf(Kj, lower=1, clean=1, overwrite_a=1)
        if info == 0:
            return L, jitter
    raise np.linalg.LinAlgError("covariance matrix is not positive definite, even with jitter")


def _factor_own(K, kernel, X):
    """Cholesky factor of a freshly built ``K = kernel.K(X)``, computed in K's own memory.

    ``K.T`` is the Fortran-ordered view of the symmetric C-ordered K, so LAPACK factorises it
    without a copy (large temporaries are expensive: this runs once per dataset per step).
    If K is not numerically positive definite it is rebuilt and :func:`safe_cholesky` adds jitter.
    """
    L, info = lapack.dpotrf(K.T, lower=1, clean=1, overwrite_a=1)
    if info != 0:
        L, _ = safe_cholesky(kernel.K(X))
    return L


def _residual(y, mean, m):
    y = np.asarray(y, dtype=float).reshape(-1)
    if y.shape[0] != m:
        raise ValueError(f"y must have length {m}, got {y.shape[0]}.")
    if mean is not None:
        y = y - np.broadcast_to(np.asarray(mean, dtype=float), y.shape)
    return y


def negative_log_marginal_likelihood(kernel, X, y, mean=None):
    r"""Negative log marginal likelihood of ``y ~ N(mean, K(X))``.

    .. math:: \tfrac12 r^\top K^{-1} r + \tfrac12 \log|K| + \tfrac m2 \log 2\pi,
              \quad r = y - \mathrm{mean}

    Parameters
    ----------
    kernel : kernel object (``K(X)`` includes the white noise)
    X : array of shape (m, n_dims), latent points of the observed entries
    y : array of shape (m,), standardised observed scores
    mean : float or array of shape (m,), optional, prior mean (default 0)

    Returns
    -------
    float
    """
    X = np.asarray(X, dtype=float)
    m = X.shape[0]
    r = _residual(y, mean, m)
    if m == 0:
        return 0.0
    L = _factor_own(kernel.K(X), kernel, X)
    a, _ = lapack.dtrtrs(L, r, lower=1)
    return float(0.5 * a @ a + np.sum(np.log(np.diag(L))) + 0.5 * m * _LOG_2PI)


def nll_and_grad(kernel, X, y, mean=None):
    """Negative log marginal likelihood and its analytic gradients.

    ``d NLL / d K = (K^{-1} - a a^T) / 2`` with ``a = K^{-1} r``; the kernel's
    ``gradients`` applies the chain rule to the latent points and raw parameters.

    Parameters
    ----------
    kernel : kernel object with ``K_with_rbf`` and ``gradients``
    X : array of shape (m, n_dims)
    y : array of shape (m,)
    mean : float or array of shape (m,), optional, prior mean (held fixed)

    Returns
    -------
    nll : float
    dX : array of shape (m, n_dims), gradient w.r.t. the rows of X
    draw : array of shape (kernel.n_params,), gradient w.r.t. the raw kernel parameters
    """
    X = np.asarray(X, dtype=float)
    m = X.shape[0]
    r = _residual(y, mean, m)
    if m == 0:
        return 0.0, np.zeros_like(X), np.zeros(kernel.n_params)
    K, Krbf = kernel.K_with_rbf(X)
    L = _factor_own(K, kernel, X)
    alpha, _ = lapack.dpotrs(L, r, lower=1)
    nll = 0.5 * float(r @ alpha) + float(np.sum(np.log(np.diag(L)))) + 0.5 * m * _LOG_2PI
    W, info = lapack.dpotri(L, lower=1, overwrite_c=1)  # K^{-1}, lower triangle only
    if info != 0:  # pragma: no cover - dpotrf succeeded, so this is not expected
        raise np.linalg.LinAlgError("could not invert the covariance matrix")
    W = blas.dsyr(-1.0, alpha, lower=1, a=W, overwrite_a=1)  # K^{-1} - a a^T, lower triangle
    W += np.tril(W, -1).T  # the upper triangle held zeros (clean=1): now symmetric
    W *= 0.5
    # W is symmetric, so its transpose is the same matrix in C order (matches K_rbf's layout)
    dX, draw = kernel.gradients(X, W.T, K_rbf=Krbf, symmetric=True, overwrite_K_rbf=True)
    return nll, dX, draw


def posterior(kernel, X, observed_idx, y_observed, prior_mean=None, include_noise=False):
    """GP posterior at every latent point given scores at some of them.

    Parameters
    ----------
    kernel : kernel object with ``K``, ``Kdiag``
    X : array of shape (n, n_dims), all latent points
    observed_idx : int array of shape (m,), distinct indices into X (m may be 0)
    y_observed : array of shape (m,), observed (standardised) scores
    prior_mean : float or array of shape (n,), optional (default 0)
    include_noise : bool
        If True, the returned variance is that of a new noisy observation
        (latent variance + white noise); otherwise of the latent function.

    Returns
    -------
    mean : array of shape (n,)
    var : array of shape (n,), clipped at 0

    Notes
    -----
    Cholesky of ``K_oo + noise I`` (with jitter if needed), one triangular solve with the
    cross-covariance: ``O(m^3 + n m^2 + n m d)``.
    """
    X = np.asarray(X, dtype=float)
    n = X.shape[0]
    idx = np.asarray(observed_idx, dtype=np.intp).reshape(-1)
    y = np.asarray(y_observed, dtype=float).reshape(-1)
    if idx.shape != y.shape:
        raise ValueError("observed_idx and y_observed must have the same length.")
    if np.unique(idx).size != idx.size:
        raise ValueError("observed_idx must not repeat an index.")
    mu = np.zeros(n) if prior_mean is None else np.broadcast_to(np.asarray(prior_mean, float), (n,))
    var = kernel.Kdiag(X, noise=include_noise)
    if idx.size == 0:
        return mu.copy(), var
    Xo = X[idx]
    L, _ = safe_cholesky(kernel.K(Xo))
    alpha, _ = lapack.dpotrs(L, y - mu[idx], lower=1)
    Kxo = kernel.K(X, Xo)  # (n, m), noise-free cross-covariance
    mean = mu + Kxo @ alpha
    V = solve_triangular(L, Kxo.T, lower=True, check_finite=False)  # (m, n)
    var = var - np.einsum("ij,ij->j", V, V)
    np.maximum(var, 0.0, out=var)
    return mean, var
