"""The covariance used for a new dataset: the learned latent kernel plus what the catalogue knows.

Training the GP-LVM fits the training datasets, whose rows it has seen; a new dataset is
different. Measured on held-out datasets (docs/BENCHMARKS.md), conditioning on a new dataset's
scores with the fitted kernel alone *lowered* the rank correlation between the predicted and the
true scores of its other pipelines (the fitted noise collapses towards zero on a sparse matrix, so
a handful of observations is over-trusted). :class:`TransferKernel` therefore adds

* a noise level for the new dataset's observations chosen on held-out datasets, and
* a squared-exponential kernel over the pipelines' catalogue descriptors
  (:func:`automl_engine.catalogue.descriptors.pipeline_descriptors`), which lets a score inform
  the pipeline's near relatives even where the matrix has not linked them.

Points are rows of ``[embeddings | descriptors]``; it has the ``K`` / ``Kdiag`` interface of
:func:`automl_engine.recommender.gp.posterior`.
"""
from __future__ import annotations

import numpy as np

__all__ = ["TransferKernel"]


def _squared_distances(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    sq = np.einsum("ij,ij->i", A, A)[:, None] + np.einsum("ij,ij->i", B, B)[None, :] - 2.0 * (A @ B.T)
    return np.maximum(sq, 0.0)


class TransferKernel:
    """``K_latent(x, x') + v_d exp(-|d - d'|^2 / 2 l_d^2) + noise [same point]``.

    Parameters
    ----------
    latent_kernel : RBFLinearKernel, the fitted GP-LVM kernel (its own noise is not used)
    n_latent : int, number of leading point columns that are latent coordinates
    descriptor_variance : float >= 0, weight of the descriptor kernel (0 switches it off)
    descriptor_lengthscale : float > 0, in units of the standardised descriptors
    noise : float > 0, observation noise variance of the new dataset (standardised units)
    """

    def __init__(self, latent_kernel, n_latent: int, descriptor_variance: float, descriptor_lengthscale: float,
                 noise: float):
        if noise <= 0 or descriptor_lengthscale <= 0 or descriptor_variance < 0:
            raise ValueError("noise and descriptor_lengthscale must be > 0, descriptor_variance >= 0.")
        self.latent_kernel = latent_kernel
        self.n_latent = int(n_latent)
        self.descriptor_variance = float(descriptor_variance)
        self.descriptor_lengthscale = float(descriptor_lengthscale)
        self.noise = float(noise)

    def _descriptor_part(self, A: np.ndarray, B: np.ndarray) -> np.ndarray:
        if self.descriptor_variance == 0 or A.shape[1] == self.n_latent:
            return 0.0
        da, db = A[:, self.n_latent:], B[:, self.n_latent:]
        return self.descriptor_variance * np.exp(-0.5 * _squared_distances(da, db) / self.descriptor_lengthscale ** 2)

    def K(self, P, P2=None):
        """Covariance of points ``P`` with themselves (noise on the diagonal) or, given ``P2``,
        the noise-free cross-covariance."""
        P = np.asarray(P, dtype=float)
        Q = P if P2 is None else np.asarray(P2, dtype=float)
        q = self.n_latent
        K = self.latent_kernel.K(P[:, :q], Q[:, :q]) + self._descriptor_part(P, Q)
        if P2 is None:
            K = 0.5 * (K + K.T)
            K[np.diag_indices_from(K)] += self.noise
        return K

    def Kdiag(self, P, *, noise: bool):
        """Prior variances of the points (plus the noise if ``noise``)."""
        P = np.asarray(P, dtype=float)
        d = self.latent_kernel.Kdiag(P[:, : self.n_latent], noise=False)
        if self.descriptor_variance and P.shape[1] > self.n_latent:
            d = d + self.descriptor_variance
        return d + self.noise if noise else d
