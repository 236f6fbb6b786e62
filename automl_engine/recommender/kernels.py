"""Covariance function of the pipeline latent space.

One small kernel object, in the spirit of GPyTorch: its positive parameters are stored as
unconstrained ("raw") values and mapped through softplus, and it knows how to turn the
gradient of any scalar objective with respect to its covariance matrix, ``dL/dK``, into
gradients with respect to the inputs and the raw parameters (the chain rule GPy calls
``update_gradients_full`` / ``gradients_X``). The marginal likelihood itself lives in
:mod:`automl_engine.recommender.gp`.

The kernel is immutable: :meth:`RBFLinearKernel.with_raw` returns a new one, so an optimiser
can hold a plain raw-parameter array.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

__all__ = ["RBFLinearKernel", "softplus", "inverse_softplus"]

#: Smallest white-noise variance the kernel can express (keeps ``K`` positive definite).
NOISE_FLOOR = 1e-6


def softplus(x):
    """``log(1 + exp(x))``, computed without overflow."""
    return np.logaddexp(0.0, x)


def inverse_softplus(y):
    """Inverse of :func:`softplus` for ``y > 0``: ``log(exp(y) - 1)``, stable for small and large y."""
    y = np.asarray(y, dtype=float)
    if np.any(y <= 0):
        raise ValueError("inverse_softplus needs strictly positive values.")
    return y + np.log(-np.expm1(-y))


class RBFLinearKernel:
    r"""ARD squared-exponential + linear + white-noise covariance.

    .. math::

        k(x, x') = s_\mathrm{rbf} \exp\Big(-\tfrac12 \sum_k (x_k - x'_k)^2 / \ell_k^2\Big)
                   + s_\mathrm{lin}\, x^\top x' + \sigma^2 [x \text{ is } x']

    The white-noise term only appears in ``K(X)`` (covariance of a set of points with itself,
    on the diagonal), never in a cross-covariance ``K(X, X2)`` — the GPy convention.

    Parameters
    ----------
    raw : array of shape (n_dims + 3,)
        Unconstrained parameters ``[raw_lengthscales (n_dims), raw_rbf_variance,
        raw_linear_variance, raw_noise]``. Each positive parameter is ``softplus(raw)``
        (the noise additionally has a floor of ``NOISE_FLOOR``).

    Examples
    --------
    >>> import numpy as np
    >>> k = RBFLinearKernel.from_values(lengthscales=[1.0, 2.0], rbf_variance=1.0,
    ...                                 linear_variance=0.5, noise=0.1)
    >>> X = np.array([[0.0, 0.0], [1.0, 0.0]])
    >>> K = k.K(X)
    >>> K.shape, bool(np.allclose(K, K.T))
    ((2, 2), True)
    >>> round(float(K[0, 0]), 6)    # rbf variance + noise at the origin
    1.1
    """

    def __init__(self, raw):
        raw = np.array(raw, dtype=float).reshape(-1)
        if raw.size < 4:
            raise ValueError("raw must hold n_dims lengthscales followed by 3 variances (n_dims >= 1).")
        if not np.all(np.isfinite(raw)):
            raise ValueError("raw kernel parameters must be finite.")
        raw.setflags(write=False)
        self._raw = raw

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_values(cls, lengthscales, rbf_variance=1.0, linear_variance=1.0, noise=0.1):
        """Build a kernel from positive (constrained) parameter values."""
        ls = np.atleast_1d(np.asarray(lengthscales, dtype=float))
        noise = float(noise)
        if noise <= NOISE_FLOOR:
            raise ValueError(f"noise must exceed {NOISE_FLOOR}.")
        raw = np.concatenate(
            [
                inverse_softplus(ls),
                inverse_softplus([rbf_variance, linear_variance, noise - NOISE_FLOOR]),
            ]
        )
        return cls(raw)

    def with_raw(self, raw):
        """A new kernel with the given raw parameters (same layout)."""
        raw = np.asarray(raw, dtype=float)
        if raw.shape != self._raw.shape:
            raise ValueError(f"raw must have shape {self._raw.shape}, got {raw.shape}.")
        return type(self)(raw)

    # ------------------------------------------------------------------ parameters
    @property
    def raw(self):
        """Read-only view of the unconstrained parameters, shape (n_dims + 3,)."""
        return self._raw

    @property
    def n_dims(self):
        return self._raw.size - 3

    @property
    def n_params(self):
        return self._raw.size

    @property
    def lengthscales(self):
        return softplus(self._raw[: self.n_dims])

    @property
    def rbf_variance(self):
        return float(softplus(self._raw[-3]))

    @property
    def linear_variance(self):
        return float(softplus(self._raw[-2]))

    @property
    def noise(self):
        return float(softplus(self._raw[-1])) + NOISE_FLOOR

    def get_params(self):
        """Constrained parameter values as a plain dict (for display and logs)."""
        return {
            "lengthscales": self.lengthscales,
            "rbf_variance": self.rbf_variance,
            "linear_variance": self.linear_variance,
            "noise": self.noise,
        }

    def __repr__(self):
        ls = np.array2string(self.lengthscales, precision=3, threshold=6)
        return (
            f"RBFLinearKernel(lengthscales={ls}, rbf_variance={self.rbf_variance:.4g}, "
            f"linear_variance={self.linear_variance:.4g}, noise={self.noise:.4g})"
        )

    # ------------------------------------------------------------------ covariances
    def _check_X(self, X):
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != self.n_dims:
            raise ValueError(f"X must have shape (n, {self.n_dims}), got {X.shape}.")
        return X

    def K_rbf(self, X, X2=None):
        """The squared-exponential part only, shape (n, n2)."""
        X = self._check_X(X)
        ls = self.lengthscales
        A = X / ls
        B = A if X2 is None else self._check_X(X2) / ls
        # in place on one (n, n2) buffer: large temporaries are costly (page faults)
        sq = A @ B.T
        sq *= -2.0
        sq += np.einsum("ij,ij->i", A, A)[:, None]
        sq += np.einsum("ij,ij->i", B, B)[None, :]
        np.maximum(sq, 0.0, out=sq)
        if X2 is None:
            np.fill_diagonal(sq, 0.0)
        np.multiply(sq, -0.5, out=sq)
        # exp is ~50x slower when its result is subnormal; below e^-700 the value is 0 anyway
        np.maximum(sq, -700.0, out=sq)
        np.exp(sq, out=sq)
        sq *= self.rbf_variance
        return sq

    def K(self, X, X2=None):
        """Covariance matrix.

        Parameters
        ----------
        X : array of shape (n, n_dims)
        X2 : array of shape (n2, n_dims), optional
            If omitted, the covariance of ``X`` with itself, *including* white noise on the
            diagonal; if given, the noise-free cross-covariance.

        Returns
        -------
        K : array of shape (n, n) or (n, n2)
        """
        if X2 is None:
            return self.K_with_rbf(X)[0]
        X = self._check_X(X)
        X2 = self._check_X(X2)
        K = self.K_rbf(X, X2)
        K += self.linear_variance * (X @ X2.T)
        return K

    def K_with_rbf(self, X):
        """``(K(X), K_rbf(X))``: the full covariance and its RBF part, computed once
        (the RBF part is reused by :meth:`gradients`)."""
        X = self._check_X(X)
        Krbf = self.K_rbf(X)
        K = X @ X.T
        K *= self.linear_variance
        K += Krbf
        K[np.diag_indices_from(K)] += self.noise
        return K, Krbf

    def Kdiag(self, X, *, noise: bool):
        """Diagonal of ``K(X)``, shape (n,); ``noise=False`` leaves out the white-noise term."""
        X = self._check_X(X)
        d = self.rbf_variance + self.linear_variance * np.einsum("ij,ij->i", X, X)
        if noise:
            d = d + self.noise
        return d

    # ------------------------------------------------------------------ gradients
    def gradients(self, X, dL_dK, K_rbf=None, symmetric=False, overwrite_K_rbf=False):
        """Chain rule from ``dL/dK`` (where ``K = self.K(X)``) to X and the raw parameters.

        Parameters
        ----------
        X : array of shape (n, n_dims)
        dL_dK : array of shape (n, n)
            Gradient of a scalar ``L`` with respect to the entries of ``K(X)`` treated as
            independent (it need not be symmetric).
        K_rbf : array of shape (n, n), optional
            ``self.K_rbf(X)`` if already computed.
        symmetric : bool
            Promise that ``dL_dK`` is symmetric (saves a transpose-add).
        overwrite_K_rbf : bool
            Allow ``K_rbf`` to be used as work space (it is then destroyed).

        Returns
        -------
        dL_dX : array of shape (n, n_dims)
        dL_draw : array of shape (n_dims + 3,)
            Gradient with respect to the raw (pre-softplus) parameters, same layout as ``raw``.
        """
        X = self._check_X(X)
        G = np.asarray(dL_dK, dtype=float)
        if G.shape != (X.shape[0], X.shape[0]):
            raise ValueError("dL_dK must have shape (n, n).")
        # Every off-diagonal entry of K appears twice (K_pj = K_jp); with H the symmetric part
        # of G, L changes by sum_ij H_ij dK_ij, and x_p enters row p and column p.
        H = G if symmetric else 0.5 * (G + G.T)
        ls = self.lengthscales
        if K_rbf is None:
            B = self.K_rbf(X)
            B *= H
        elif overwrite_K_rbf:
            B = np.multiply(K_rbf, H, out=K_rbf)
        else:
            B = K_rbf * H

        # --- squared-exponential part: dK_pj/dx_pk = -K_pj (x_pk - x_jk) / l_k^2
        # B = H * K_rbf is symmetric
        b = B.sum(axis=1)
        BX = B @ X
        dX = (-2.0 / ls**2) * (b[:, None] * X - BX)
        # dL/dl_k = sum_ij B_ij (x_ik - x_jk)^2 / l_k^3 = 2 (b . x_k^2 - x_k^T B x_k) / l_k^3
        d_ls = 2.0 * (b @ (X * X) - np.einsum("ij,ij->j", X, BX)) / ls**3
        d_rbf_var = float(b.sum()) / self.rbf_variance

        # --- linear part: K_pj = c x_p . x_j
        HX = H @ X
        dX += (2.0 * self.linear_variance) * HX
        d_lin_var = float(np.einsum("ij,ij->", X, HX))

        # --- white noise (diagonal of K(X))
        d_noise = float(np.trace(G))

        d_values = np.concatenate([d_ls, [d_rbf_var, d_lin_var, d_noise]])
        # softplus'(raw) = sigmoid(raw); the noise floor is a constant shift.
        return dX, d_values * expit(self._raw)
