"""Fitting the GP-LVM: PCA initialisation, the summed likelihood, and Adam on mini-batches of datasets.

Pure functions of arrays and a kernel; :class:`~automl_engine.recommender.gplvm.PMFRecommender`
calls them and keeps the results.
"""

from __future__ import annotations

import logging

import numpy as np
from scipy.special import ndtri
from scipy.stats import rankdata

from . import gp
from .kernels import RBFLinearKernel

logger = logging.getLogger(__name__)


def svd_flip(V):
    """Deterministic signs: the largest-magnitude entry of each column is positive."""
    if V.size == 0:
        return V
    rows = np.argmax(np.abs(V), axis=0)
    signs = np.sign(V[rows, np.arange(V.shape[1])])
    signs[signs == 0] = 1.0
    return V * signs


def pca_initialisation(R, observed, q):
    """PCA embeddings and a kernel matched to the data's scale.

    ``R`` is the mean-imputed residual matrix (usable datasets x pipelines); PCA treats
    datasets as samples, so its principal axes are directions in pipeline space and each
    pipeline's embedding is its loading ``V S``. The first latent dimension is scaled to
    unit mean square; the linear variance is set so ``c X X^T`` explains half the observed
    residual variance, the RBF and the noise a quarter each.
    """
    n_pipelines = R.shape[1]
    if R.size and np.any(R):
        _, S, Vt = np.linalg.svd(R, full_matrices=False)
        V = svd_flip(Vt[:q].T)
        S = S[:q]
        X0 = np.zeros((n_pipelines, q))
        X0[:, : V.shape[1]] = V * (S / S[0]) * np.sqrt(n_pipelines)
    else:
        X0 = np.zeros((n_pipelines, q))

    resid = R[observed] if R.size else np.empty(0)
    v_obs = float(np.mean(resid**2)) if resid.size else 1.0
    v_obs = max(v_obs, 1e-3)
    msq = float(np.mean(np.sum(X0**2, axis=1)))
    lin = 0.5 * v_obs / msq if msq > 0 else 0.5 * v_obs
    # median heuristic on (up to 500, evenly spaced) embeddings
    sub = X0[np.linspace(0, n_pipelines - 1, min(n_pipelines, 500)).astype(int)]
    sq = np.sum((sub[:, None, :] - sub[None, :, :]) ** 2, axis=-1)
    med = float(np.median(sq[np.triu_indices(len(sub), 1)])) if len(sub) > 1 else 0.0
    ls = np.sqrt(med) if med > 1e-12 else 1.0
    kernel = RBFLinearKernel.from_values(
        lengthscales=np.full(q, ls),
        rbf_variance=0.25 * v_obs,
        linear_variance=lin,
        noise=0.25 * v_obs,
    )
    return X0, kernel

def total_nll(kernel, X, rows, targets):
    """Summed NLL over datasets, per observed entry (NaN if there is nothing to score)."""
    n = sum(len(r) for r in rows)
    if n == 0:
        return float("nan")
    total = 0.0
    for idx, y in zip(rows, targets):
        total += gp.negative_log_marginal_likelihood(kernel, X[idx], y)
    return total / n

def optimise(X, kernel, rows, targets, counts, rng, *, n_iter, batch_size, learning_rate, latent_prior):
    """Adam on mini-batches of datasets, maximising the marginal likelihood (+ prior on X).

    Objective: ``sum_d NLL_d + latent_prior / 2 * sum_j |x_j|^2``. The prior of pipeline
    j is split evenly over the ``counts[j]`` datasets that observe it, so each dataset's
    term carries its share and a mini-batch estimate stays unbiased. Gradients are
    divided by the number of observed entries in the batch.

    Kernel parameters: plain Adam. Embeddings: sparse ("lazy") Adam with one second-moment
    estimate per *row*: a row is only updated (and its moments only decayed) at steps where
    a dataset of the batch observed that pipeline, with bias correction by the row's own
    step count; a per-row (rather than per-coordinate) step size moves an embedding along
    its gradient, so weak PCA directions are not inflated to the size of strong ones
    (per-coordinate Adam does that and overfits noticeably with n_latent=20).
    """
    X = X.copy()
    curve = []
    if not rows or n_iter == 0:
        return X, kernel, np.asarray(curve, dtype=float)
    lr, b1, b2, eps = float(learning_rate), 0.9, 0.999, 1e-8
    prior = float(latent_prior)
    theta = np.array(kernel.raw)
    m_t = np.zeros_like(theta)
    v_t = np.zeros_like(theta)
    m_X = np.zeros_like(X)
    v_X = np.zeros(X.shape[0])
    t_X = np.zeros(X.shape[0])
    prior_share = prior / np.maximum(counts, 1)
    n_rows = len(rows)
    size = min(int(batch_size), n_rows)
    for step in range(1, int(n_iter) + 1):
        batch = rng.choice(n_rows, size=size, replace=False)
        gX = np.zeros_like(X)
        g_t = np.zeros_like(theta)
        touched = np.zeros(X.shape[0], dtype=bool)
        loss = 0.0
        n_entries = 0
        for b in batch:
            idx = rows[b]
            Xb = X[idx]
            try:
                nll, dX, dth = gp.nll_and_grad(kernel, Xb, targets[b])
            except np.linalg.LinAlgError:
                logger.debug("skipping dataset %d at step %d: covariance not PD", b, step)
                continue
            if prior:
                dX += prior_share[idx, None] * Xb
            gX[idx] += dX
            g_t += dth
            touched[idx] = True
            loss += nll
            n_entries += len(idx)
        if n_entries == 0 or not (np.all(np.isfinite(g_t)) and np.all(np.isfinite(gX))):
            logger.debug("skipping step %d: no finite gradient", step)
            continue
        g_t /= n_entries
        curve.append(loss / n_entries)

        m_t = b1 * m_t + (1 - b1) * g_t
        v_t = b2 * v_t + (1 - b2) * g_t**2
        theta -= lr * (m_t / (1 - b1**step)) / (np.sqrt(v_t / (1 - b2**step)) + eps)
        kernel = kernel.with_raw(theta)

        r = np.flatnonzero(touched)
        g = gX[r] / n_entries
        t_X[r] += 1
        m_X[r] = b1 * m_X[r] + (1 - b1) * g
        v_X[r] = b2 * v_X[r] + (1 - b2) * np.mean(g * g, axis=1)
        m_hat = m_X[r] / (1 - b1 ** t_X[r])[:, None]
        v_hat = v_X[r] / (1 - b2 ** t_X[r])
        X[r] -= lr * m_hat / (np.sqrt(v_hat) + eps)[:, None]
    return X, kernel, np.asarray(curve, dtype=float)


def normal_score_rows(Y):
    """Replace each row's observed scores by their normal scores ``Φ⁻¹((rank − ½) / n)``.

    A Gaussian-copula transform (as in quantile-based hyper-parameter transfer, Salinas et al.,
    2020): only the order within a dataset is kept, so a few catastrophic scores (R² far below
    0) no longer squeeze the good pipelines together. Ties share their average rank; rows with
    fewer than 2 observations are returned unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> np.round(normal_score_rows(np.array([[0.9, np.nan, -50.0, 0.8]])), 3)
    array([[ 0.967,    nan, -0.967,  0.   ]])
    """
    Y = np.array(Y, dtype=float)
    out = Y.copy()
    for d, row in enumerate(Y):
        seen = np.isfinite(row)
        n = int(seen.sum())
        if n >= 2:
            out[d, seen] = ndtri((rankdata(row[seen]) - 0.5) / n)
    return out


def standardise_rows(Y):
    """Standardise each row over its observed entries.

    Returns ``Z`` (NaN where unobserved or where the row is unusable), the row means and
    standard deviations (NaN for rows with no observation), and the usable-row mask: rows with
    at least 2 observed entries and a non-zero spread.
    """
    finite = np.isfinite(Y)
    count = finite.sum(axis=1)
    safe = np.where(finite, Y, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = safe.sum(axis=1) / count
        dev = np.where(finite, Y - mean[:, None], 0.0)
        std = np.sqrt((dev**2).sum(axis=1) / count)
    spread = std > 1e-12 * np.maximum(1.0, np.abs(np.nan_to_num(mean)))
    usable = (count >= 2) & spread
    Z = np.full(Y.shape, np.nan)
    Z[usable] = dev[usable] / std[usable, None]
    Z[~finite] = np.nan
    return Z, mean, std, usable
