"""Acquisition functions as pure functions of a Gaussian posterior (BoTorch style).

Scores are maximised (higher is better). Every function takes the posterior ``mean`` and
standard deviation ``std`` of the candidates and the incumbent ``best``; shapes broadcast
with numpy rules and no fitting is involved, so they can be tested with a fake posterior.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import erfcx, ndtr

__all__ = ["expected_improvement", "log_expected_improvement", "cost_aware_log_ei"]

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_LOG_SQRT_PI_OVER_2 = 0.5 * math.log(math.pi / 2.0)
_INV_SQRT2 = 1.0 / math.sqrt(2.0)
# Below this z the asymptotic series of h(z) is used (its truncation error is < 1e-20 there,
# while 1 - |z| Phi(z)/phi(z) ~ 1/z^2 would lose ~eps z^2 to cancellation).
_Z_ASYMPTOTIC = -1e3


def _prepare(mean, std, best, xi):
    mean = np.asarray(mean, dtype=float)
    std = np.asarray(std, dtype=float)
    best = np.asarray(best, dtype=float)
    if np.any(std < 0):
        raise ValueError("std must be non-negative.")
    mean, std, best = np.broadcast_arrays(mean, std, best)
    improvement = np.atleast_1d(mean - best - float(xi))
    return improvement, np.atleast_1d(std).copy(), mean.shape


def _log_h(z):
    """``log(phi(z) + z Phi(z))``, the log of EI for unit std, accurate for all finite z."""
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    upper = z > -1.0
    zu = z[upper]
    # For z > -1 there is no cancellation: h(z) >= h(-1) ~ 0.083.
    out[upper] = np.log(np.exp(-0.5 * zu * zu - _LOG_SQRT_2PI) + zu * ndtr(zu))
    zl = z[~upper]
    log_phi = -0.5 * zl * zl - _LOG_SQRT_2PI
    # h(z) = phi(z) (1 - |z| Phi(z)/phi(z)) and Phi(z)/phi(z) = sqrt(pi/2) erfcx(-z/sqrt 2),
    # which erfcx gives to full relative precision (log_ndtr(z) - log_phi(z) would subtract
    # two numbers of size z^2/2).
    far = zl < _Z_ASYMPTOTIC
    zm = np.where(far, -1.0, zl)  # keep erfcx away from the asymptotic branch
    w = np.log(-zm) + np.log(erfcx(-zm * _INV_SQRT2)) + _LOG_SQRT_PI_OVER_2  # log(|z| Phi/phi) < 0
    w = np.minimum(w, -1e-300)
    log1mexp = np.where(w > -math.log(2.0), np.log(-np.expm1(w)), np.log1p(-np.exp(w)))
    # far tail: 1 - |z| Phi/phi = z^-2 (1 - 3 z^-2 + 15 z^-4 - 105 z^-6 + ...)
    zf = np.where(far, zl, _Z_ASYMPTOTIC)
    u = 1.0 / (zf * zf)
    asym = -2.0 * np.log(-zf) + np.log1p(u * (-3.0 + u * (15.0 - 105.0 * u)))
    out[~upper] = log_phi + np.where(far, asym, log1mexp)
    return out


def expected_improvement(mean, std, best, xi=0.0):
    r"""Expected improvement of a Gaussian over an incumbent.

    .. math:: \mathrm{EI} = \sigma\,[\varphi(z) + z\,\Phi(z)], \quad z = (\mu - \mathrm{best} - \xi)/\sigma

    Parameters
    ----------
    mean : array of shape (n,) (or any shape), posterior means
    std : array broadcastable to ``mean``, posterior standard deviations (>= 0)
    best : float or array broadcastable to ``mean``, incumbent (best observed) value
    xi : float, minimum improvement that counts (exploration margin)

    Returns
    -------
    ei : array of the broadcast shape, >= 0. Where ``std == 0`` it is ``max(mean - best - xi, 0)``.

    Examples
    --------
    >>> import numpy as np
    >>> ei = expected_improvement(np.array([0.0, 1.0]), np.array([1.0, 1.0]), best=0.0)
    >>> np.round(ei, 4)
    array([0.3989, 1.0833])
    """
    imp, std, shape = _prepare(mean, std, best, xi)
    out = np.maximum(imp, 0.0)
    pos = std > 0
    if np.any(pos):
        s = std[pos]
        z = imp[pos] / s
        out[pos] = s * (np.exp(-0.5 * z * z - _LOG_SQRT_2PI) + z * ndtr(z))
    return np.maximum(out, 0.0).reshape(shape)


def log_expected_improvement(mean, std, best, xi=0.0):
    r"""Logarithm of the expected improvement, finite even when EI underflows.

    ``log EI = log sigma + log h(z)`` with ``h(z) = phi(z) + z Phi(z)``. For ``z > -1`` h is
    computed directly; below, ``h(z) = phi(z) (1 - |z| R(|z|))`` with the Mills ratio
    ``R = Phi/phi`` taken from ``scipy.special.erfcx`` (the log-EI of Ament et al., 2023,
    as in BoTorch), and for ``z < -1000`` the asymptotic form
    ``log phi(z) - 2 log|z| + log(1 - 3/z^2 + 15/z^4 - 105/z^6)``. At z = -40, EI itself underflows to 0 while
    this is about -808.3.

    Parameters
    ----------
    mean : array of shape (n,) (or any shape), posterior means
    std : array broadcastable to ``mean``, posterior standard deviations (>= 0)
    best : float or array broadcastable to ``mean``, incumbent value
    xi : float, exploration margin

    Returns
    -------
    log_ei : array of the broadcast shape. Where ``std == 0`` it is
        ``log(max(mean - best - xi, 0))`` (``-inf`` if there is no improvement).

    Examples
    --------
    >>> import numpy as np
    >>> float(np.round(log_expected_improvement(0.0, 1.0, best=40.0), 2))
    -808.3
    """
    imp, std, shape = _prepare(mean, std, best, xi)
    out = np.empty(imp.shape)
    pos = std > 0
    with np.errstate(divide="ignore"):
        out[~pos] = np.log(np.maximum(imp[~pos], 0.0))
    if np.any(pos):
        s = std[pos]
        out[pos] = np.log(s) + _log_h(imp[pos] / s)
    return out.reshape(shape)


def cost_aware_log_ei(mean, std, best, cost, xi=0.0):
    """Log of expected improvement per unit cost: ``log EI - log cost``.

    Parameters
    ----------
    mean, std, best, xi : as in :func:`log_expected_improvement`
    cost : array broadcastable to ``mean``, predicted cost (e.g. seconds), > 0

    Returns
    -------
    array of the broadcast shape
    """
    cost = np.asarray(cost, dtype=float)
    if np.any(~(cost > 0)) or not np.all(np.isfinite(cost)):
        raise ValueError("cost must be strictly positive and finite.")
    return log_expected_improvement(mean, std, best, xi) - np.log(cost)


def filled_costs(costs, n: int) -> np.ndarray:
    """``costs`` (one per pipeline) with missing or non-positive entries replaced by the median, floored at 1 µs.

    >>> filled_costs([2.0, float("nan"), 4.0, -1.0], 4).tolist()
    [2.0, 3.0, 4.0, 3.0]
    """
    c = np.array(costs, dtype=float).reshape(-1)
    if c.shape != (n,):
        raise ValueError(f"costs must have one entry per pipeline ({n}), got {c.shape[0]}.")
    ok = np.isfinite(c) & (c > 0)
    fill = float(np.median(c[ok])) if ok.any() else 1.0
    return np.maximum(np.where(ok, c, fill), 1e-6)
