"""PMFRecommender: probabilistic matrix factorisation of a datasets x pipelines score matrix.

Fusi, Sheth & Elibol, "Probabilistic Matrix Factorization for Automated Machine Learning"
(NeurIPS 2018). Every pipeline gets a latent vector; the (standardised) scores of one dataset
are a Gaussian process over the latent space, all datasets sharing one kernel. A new dataset
is one more GP: conditioning on the scores observed so far gives a mean and a standard
deviation for every pipeline, and expected improvement picks the next one to try.

Model, in the units of one dataset's standardised scores ``z``::

    z_d[I_d] ~ N(mu[I_d], K(X[I_d]) + noise * I)     for each training dataset d

* ``X`` (n_pipelines, n_latent): the pipeline embeddings, ``embeddings_``;
* ``K``: :class:`~automl_engine.recommender.kernels.RBFLinearKernel` (ARD RBF + linear + noise);
* ``mu`` (n_pipelines,): the **prior mean**, fixed to each pipeline's average standardised score
  over the training datasets (0 — the average pipeline — for a pipeline never observed).
  It is the GP prior mean both in training (the GP models deviations from it) and, by default,
  for a new dataset, so with no observations the ranking is "best on average first". With
  ``neighbour_prior=True`` and the new dataset's meta-features, its prior mean is instead the
  closeness-weighted mean over the nearest training datasets (the paper's warm start, as a prior).

Fitting: PCA of the mean-imputed standardised matrix gives the initial embeddings; Adam on
mini-batches of datasets then maximises the summed log marginal likelihood of the observed
entries (plus a weak N(0, I) prior on the embeddings, see ``latent_prior``), with the analytic
gradients of :func:`automl_engine.recommender.gp.nll_and_grad`.
"""

from __future__ import annotations

import logging
import numbers
from collections.abc import Mapping

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from . import gp
from .acquisition import cost_aware_log_ei, filled_costs, log_expected_improvement
from .kernels import RBFLinearKernel
from .protocol import EXPECTED_IMPROVEMENT, WARM_START, suggestions
from .state import SUGGEST_TIME_PARAMS, recommender_state, restore_recommender
from .training import normal_score_rows, optimise, pca_initialisation, standardise_rows, svd_flip, total_nll
from .transfer import TransferKernel
from .units import own_units
from .warmstart import (
    fit_standardiser,
    label_codes,
    nearest_datasets,
    neighbour_mean_picks,
    neighbour_mean_scores,
    standardise,
)

__all__ = ["PMFRecommender"]

logger = logging.getLogger(__name__)


def _check_index(j, n, what):
    if isinstance(j, (bool, np.bool_)) or not isinstance(j, (numbers.Integral, np.integer)):
        raise ValueError(f"{what} must be integer pipeline indices, got {j!r}.")
    j = int(j)
    if not 0 <= j < n:
        raise ValueError(f"{what} index {j} is out of range for {n} pipelines.")
    return j


class PMFRecommender(BaseEstimator):
    """Recommender of ML pipelines by GP-LVM probabilistic matrix factorisation.

    Parameters
    ----------
    n_latent : int, default 20
        Dimension of the pipeline embeddings (capped by the size of the training matrix).
    n_iter : int, default 300
        Number of Adam steps; each step uses one mini-batch of datasets.
    batch_size : int, default 32
        Datasets per mini-batch.
    learning_rate : float, default 0.05
        Adam step size, for the embeddings and the raw kernel parameters.
    n_warm_start : int, default 5
        While fewer observations than this exist and meta-features are given, ``suggest``
        picks the best pipelines of the nearest training datasets.
    random_state : int, numpy Generator or None
        Seeds the mini-batch sampling (the only randomness).
    latent_prior : float, default 1.0
        Precision of the standard GP-LVM Gaussian prior ``N(0, I / latent_prior)`` on the
        embeddings (MAP estimate); 0 gives pure maximum likelihood. The PCA initialisation
        scales the first latent dimension to unit mean square, so 1.0 is a weak prior that
        keeps weakly determined directions from overfitting.
    posterior_noise : float, default 0.5
        Noise variance (standardised units) of a *new* dataset's observations when conditioning
        on them. The noise fitted on the training rows collapses towards 0 on a sparse matrix,
        which over-trusts a handful of scores; this value was chosen on held-out datasets.
    descriptor_variance : float, default 0.5
        Weight of a squared-exponential kernel over the pipelines' catalogue descriptors (passed
        to ``fit`` as ``pipeline_features``) added to the latent kernel for a new dataset, so a
        score also informs the pipeline's relatives; 0 switches it off
        (:class:`~automl_engine.recommender.transfer.TransferKernel`).
    descriptor_lengthscale : float, default 8.0
        Lengthscale of that kernel, in standardised descriptor units.
    warm_start_per_group : int, default 1
        With ``pipeline_groups`` given to ``fit`` (e.g. model families), the warm start takes at
        most this many picks per group, hedging across families; 0: no cap.
    warm_start_balance_kinds : bool, default True
        With ``pipeline_kinds`` given to ``fit`` (a coarser label, e.g. linear, kernel and tree
        models), the warm-start picks also take turns across kinds, so that five tree
        ensembles of five families do not use up the warm start
        (:func:`~automl_engine.recommender.warmstart.capped_per_group`).
    neighbour_prior : bool, default False
        With meta-features given to ``suggest`` / ``predict``, the GP prior mean of the new
        dataset is each pipeline's closeness-weighted mean score over the 10 nearest training
        datasets (:func:`~automl_engine.recommender.warmstart.neighbour_mean_scores`) instead of
        its average over all of them, so the meta-features inform every pick, not only the
        ``n_warm_start`` first ones. With ``n_warm_start=0`` this is the whole warm start: the
        first pick maximises expected improvement under the neighbours' prior.

    Attributes
    ----------
    embeddings_ : ndarray of shape (n_pipelines, n_latent_)
    n_latent_ : int, the latent dimension used
    kernel_ : RBFLinearKernel, the fitted kernel; ``kernel_raw_`` its raw parameters
    prior_mean_ : ndarray of shape (n_pipelines,)
        Average standardised score of each pipeline over the training datasets (0 if never
        observed); the GP prior mean for every dataset, including a new one.
    pipeline_counts_ : ndarray of shape (n_pipelines,), training observations per pipeline
        (usable rows only). Pipelines with 0 keep their initial embedding and are predicted
        with the prior mean and a high std (the largest prior std of any trained pipeline).
    Y_ : ndarray of shape (n_datasets, n_pipelines), the training scores as fitted (after :meth:`training_rows`)
    row_mean_, row_std_ : ndarrays of shape (n_datasets,), per-dataset standardisation
    score_center_, score_scale_ : float, median raw training row mean / std, the units used for
        a new dataset with fewer than 2 observations
    pipeline_features_ : ndarray of shape (n_pipelines, n_descriptors) or None, as given to ``fit``
    pipeline_groups_ : int ndarray of shape (n_pipelines,) or None, codes of the groups given to ``fit``
    pipeline_kinds_ : int ndarray of shape (n_pipelines,) or None, codes of the kinds given to ``fit``
    meta_features_ : ndarray of shape (n_datasets, n_features) or None, standardised;
        ``meta_mean_``, ``meta_scale_`` the scaler
    nll_init_, nll_ : float, negative log marginal likelihood per observed entry at the PCA
        initialisation and after training
    loss_curve_ : ndarray of shape (n_iter,), mini-batch NLL per observed entry at each step

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> Y = rng.normal(size=(30, 3)) @ rng.normal(size=(3, 50))
    >>> Y[rng.random(Y.shape) < 0.5] = np.nan
    >>> rec = PMFRecommender(n_latent=3, n_iter=20, random_state=0).fit(Y)
    >>> rec.embeddings_.shape
    (50, 3)
    >>> mean, std = rec.predict({4: 0.8, 7: -0.3})
    >>> mean.shape, float(mean[4]), float(std[4])
    ((50,), 0.8, 0.0)
    >>> picks = rec.suggest({4: 0.8, 7: -0.3}, n=3)
    >>> len(set(picks)), 4 in picks, 7 in picks
    (3, False, False)
    """

    def __init__(
        self,
        n_latent=20,
        n_iter=300,
        batch_size=32,
        learning_rate=0.05,
        n_warm_start=5,
        random_state=None,
        latent_prior=1.0,
        posterior_noise=0.5,
        descriptor_variance=0.5,
        descriptor_lengthscale=8.0,
        warm_start_per_group=1,
        warm_start_balance_kinds=True,
        neighbour_prior=False,
    ):
        self.n_latent = n_latent
        self.n_iter = n_iter
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.n_warm_start = n_warm_start
        self.random_state = random_state
        self.latent_prior = latent_prior
        self.posterior_noise = posterior_noise
        self.descriptor_variance = descriptor_variance
        self.descriptor_lengthscale = descriptor_lengthscale
        self.warm_start_per_group = warm_start_per_group
        self.warm_start_balance_kinds = warm_start_balance_kinds
        self.neighbour_prior = neighbour_prior

    # ================================================================== fitting
    def _check_params(self):
        for name in ("n_latent", "batch_size"):
            v = getattr(self, name)
            if not isinstance(v, numbers.Integral) or isinstance(v, bool) or v < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {v!r}.")
        for name in ("n_iter", "n_warm_start", "warm_start_per_group"):
            v = getattr(self, name)
            if not isinstance(v, numbers.Integral) or isinstance(v, bool) or v < 0:
                raise ValueError(f"{name} must be an integer >= 0, got {v!r}.")
        lr = self.learning_rate
        if not isinstance(lr, numbers.Real) or not np.isfinite(lr) or lr <= 0:
            raise ValueError(f"learning_rate must be a positive number, got {lr!r}.")
        for name in ("warm_start_balance_kinds", "neighbour_prior"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ValueError(f"{name} must be True or False, got {getattr(self, name)!r}.")
        lp = self.latent_prior
        if not isinstance(lp, numbers.Real) or not np.isfinite(lp) or lp < 0:
            raise ValueError(f"latent_prior must be a number >= 0, got {lp!r}.")
        for name, low in (("posterior_noise", 0.0), ("descriptor_lengthscale", 0.0), ("descriptor_variance", None)):
            v = getattr(self, name)
            ok = isinstance(v, numbers.Real) and not isinstance(v, bool) and np.isfinite(v)
            if not ok or (v <= low if low is not None else v < 0):
                raise ValueError(f"{name} must be a number {'> 0' if low is not None else '>= 0'}, got {v!r}.")

    def fit(self, Y, meta_features=None, pipeline_features=None, pipeline_groups=None, pipeline_kinds=None):
        """Learn pipeline embeddings and the kernel from a score matrix.

        Parameters
        ----------
        Y : array-like of shape (n_datasets, n_pipelines)
            Scores, higher is better, NaN = not observed. Each row is standardised over its
            observed entries; rows with fewer than 2 observed entries (or all equal) are not
            used in the likelihood or the prior mean, but are kept for the warm start.
        meta_features : array-like of shape (n_datasets, n_features), optional
            Dataset meta-features for the warm start (NaN allowed); standardised here.
        pipeline_features : array-like of shape (n_pipelines, n_descriptors), optional
            Catalogue descriptors of the pipelines
            (:func:`~automl_engine.catalogue.descriptors.pipeline_descriptors`), used for new
            datasets through ``descriptor_variance``; finite, ideally standardised.
        pipeline_groups : array-like of shape (n_pipelines,), optional
            A label per pipeline (e.g. its model family) for ``warm_start_per_group``.
        pipeline_kinds : array-like of shape (n_pipelines,), optional
            A coarser label per pipeline (e.g. linear / kernel / tree models) for
            ``warm_start_balance_kinds``.

        Returns
        -------
        self

        Notes
        -----
        Each optimisation step costs one Cholesky factorisation and one inverse per dataset of
        the batch, ``O(m^3)`` for m observed entries. BLAS is limited to one thread during
        fit (threadpoolctl): the matrices are small, and extra BLAS threads competing with
        other work on the machine slowed it down about tenfold in our measurements.
        """
        self._check_params()
        Y = np.array(Y, dtype=float)
        if Y.ndim != 2 or Y.shape[0] < 1 or Y.shape[1] < 1:
            raise ValueError(f"Y must be a non-empty 2-D array (n_datasets, n_pipelines), got shape {Y.shape}.")
        if np.any(np.isinf(Y)):
            raise ValueError("Y must not contain infinite values (use NaN for unobserved entries).")
        n_datasets, n_pipelines = Y.shape

        meta = None
        if meta_features is not None:
            meta = np.array(meta_features, dtype=float)
            if meta.ndim != 2 or meta.shape[0] != n_datasets:
                raise ValueError(
                    f"meta_features must have shape ({n_datasets}, n_features), got {meta.shape}."
                )

        features = None
        if pipeline_features is not None:
            features = np.array(pipeline_features, dtype=float)
            if features.ndim != 2 or features.shape[0] != n_pipelines or not np.all(np.isfinite(features)):
                raise ValueError(f"pipeline_features must be a finite array of shape ({n_pipelines}, n_descriptors).")
        groups = label_codes(pipeline_groups, n_pipelines, "pipeline_groups")
        kinds = label_codes(pipeline_kinds, n_pipelines, "pipeline_kinds")
        with threadpool_limits(limits=1, user_api="blas"):
            self._fit(self.training_rows(Y), meta)
        _, raw_mean, raw_std, usable = standardise_rows(Y)  # the users' units, for 0 or 1 observations
        self.score_center_ = float(np.median(raw_mean[usable])) if usable.any() else 0.0
        self.score_scale_ = float(np.median(raw_std[usable])) if usable.any() else 1.0
        self.pipeline_features_ = features
        self.pipeline_groups_ = groups
        self.pipeline_kinds_ = kinds
        self._finalise()
        return self

    def training_rows(self, Y):
        """``Y`` (as given to ``fit``) as fitted: each row's observed scores replaced by the normal
        scores of their ranks (:func:`~automl_engine.recommender.training.normal_score_rows`), so
        a few catastrophic scores do not squeeze the good pipelines together (on the surrogate
        benchmark's 5-fold replay this lowered the mean regret at 10 evaluations by 12–14% in both
        task types). A seam for research: benchmarks/recommender_variants.py fits standardised rows."""
        return normal_score_rows(Y)

    def _fit(self, Y, meta):
        n_datasets, n_pipelines = Y.shape
        rng = np.random.default_rng(self.random_state)
        Z, row_mean, row_std, usable = standardise_rows(Y)
        observed = np.isfinite(Z)
        counts = observed.sum(axis=0)
        prior_mean = np.where(counts > 0, np.nansum(Z, axis=0) / np.maximum(counts, 1), 0.0)

        # ---- PCA initialisation on the mean-imputed matrix (residuals from the prior mean)
        R = np.where(observed, Z - prior_mean, 0.0)[usable]
        q = int(max(1, min(self.n_latent, R.shape[0], n_pipelines)))
        X0, kernel = pca_initialisation(R, observed[usable], q)

        rows = [np.flatnonzero(observed[d]) for d in np.flatnonzero(usable)]
        targets = [Z[d, idx] - prior_mean[idx] for d, idx in zip(np.flatnonzero(usable), rows)]

        self.nll_init_ = total_nll(kernel, X0, rows, targets)
        X, kernel, curve = optimise(X0, kernel, rows, targets, counts, rng, n_iter=self.n_iter,
                                    batch_size=self.batch_size, learning_rate=self.learning_rate,
                                    latent_prior=self.latent_prior)
        self.nll_ = total_nll(kernel, X, rows, targets)
        logger.info(
            "PMFRecommender fitted on %d x %d (%d usable rows): NLL/entry %.4f -> %.4f",
            n_datasets, n_pipelines, len(rows), self.nll_init_, self.nll_,
        )

        self.embeddings_ = X
        self.n_latent_ = q
        self.kernel_raw_ = np.array(kernel.raw)
        self.Y_ = Y
        self.prior_mean_ = prior_mean
        self.pipeline_counts_ = counts.astype(np.int64)
        self.row_mean_ = row_mean
        self.row_std_ = row_std
        self.loss_curve_ = curve
        if meta is not None:
            self.meta_mean_, self.meta_scale_ = fit_standardiser(meta)
            self.meta_features_ = standardise(meta, self.meta_mean_, self.meta_scale_)
        else:
            self.meta_features_ = self.meta_mean_ = self.meta_scale_ = None

    def _finalise(self):
        """Derived, non-learned caches (rebuilt after fit and from_state)."""
        self.kernel_ = RBFLinearKernel(self.kernel_raw_)
        self._trained = self.pipeline_counts_ > 0
        features = getattr(self, "pipeline_features_", None)
        self._points = self.embeddings_ if features is None else np.hstack([self.embeddings_, features])
        self._transfer = TransferKernel(self.kernel_, self.embeddings_.shape[1], self.descriptor_variance,
                                        self.descriptor_lengthscale, self.posterior_noise)
        prior_var = self._transfer.Kdiag(self._points, noise=True)
        self._unseen_var = float(prior_var[self._trained].max()) if self._trained.any() else float(prior_var.max())

    # ================================================================== prediction
    def _parse_observed(self, observed):
        if observed is None:
            observed = {}
        if not isinstance(observed, Mapping):
            raise ValueError("observed must be a dict {pipeline index: score}.")
        n = self.embeddings_.shape[0]
        keys = np.array([_check_index(k, n, "observed") for k in observed], dtype=np.intp)
        vals = np.array([float(v) for v in observed.values()], dtype=float)
        finite = np.isfinite(vals)
        return keys, keys[finite], vals[finite]

    def _new_dataset_prior(self, meta_features):
        """The GP prior mean of a new dataset (standardised units), one entry per pipeline."""
        if not self.neighbour_prior or meta_features is None or self.meta_features_ is None:
            return self.prior_mean_
        order, distances = self.warm_start_neighbours(meta_features, k=None)
        return neighbour_mean_scores(self.Y_, self.row_mean_, self.row_std_, self.prior_mean_, order, distances)

    def user_units(self, scores, prior_observed):
        """``(c, s)`` mapping a new dataset's finite scores to standardised units, ``z = (scores - c) / s``:
        their own std, their mean at their pipelines' average prior mean ``prior_observed``
        (:func:`~automl_engine.recommender.units.own_units`). A seam for research:
        benchmarks/recommender_variants.py fits ``scores ≈ c + s * prior_observed`` instead."""
        return own_units(scores, prior_observed, self.score_center_, self.score_scale_)

    def first_picks(self, order, distances, n, blocked, scored, taken):
        """At most ``n`` warm-start picks: the best unblocked pipelines by their closeness-weighted mean
        standardised score over the 10 nearest datasets (good on several neighbours, not on one),
        hedged across groups and kinds (:func:`~automl_engine.recommender.warmstart.neighbour_mean_picks`).

        ``order``, ``distances``: every training dataset, nearest first (:meth:`warm_start_neighbours`);
        ``blocked``: bool mask of pipelines not to pick (not modified); ``scored``: pipelines with a
        finite score so far; ``taken``: all those evaluated. A seam for research:
        benchmarks/recommender_variants.py has the paper's rule (best of each nearest dataset) and a
        greedy portfolio."""
        kinds = self.pipeline_kinds_ if self.warm_start_balance_kinds else None
        return neighbour_mean_picks(self.Y_, self.row_mean_, self.row_std_, self.prior_mean_, order, distances, n,
                                    blocked, groups=self.pipeline_groups_, per_group=self.warm_start_per_group,
                                    taken=taken, kinds=kinds)

    def _posterior_z(self, idx, z, prior):
        """Predictive mean and variance (incl. noise) in standardised units, all pipelines, around ``prior``.

        ``idx`` must only hold trained pipelines (their embeddings carry information).
        """
        mean, var = gp.posterior(
            self._transfer, self._points, idx, z, prior_mean=prior, include_noise=True
        )
        untrained = ~self._trained
        if untrained.any():
            mean[untrained] = prior[untrained]
            var[untrained] = self._unseen_var
        return mean, var

    def _conditioning(self, observed, prior):
        keys, idx, vals = self._parse_observed(observed)
        c, s = self.user_units(vals, prior[idx])
        z = (vals - c) / s
        keep = self._trained[idx]
        return keys, idx, vals, z, idx[keep], z[keep], c, s

    def predict(self, observed, meta_features=None):
        """Predicted score and standard deviation of every pipeline on a new dataset.

        Parameters
        ----------
        observed : dict {pipeline index: score}
            Scores observed so far on the new dataset, in the user's units (higher is better).
            Non-finite scores (failed evaluations) are ignored here.
        meta_features : array-like of shape (n_features,), optional
            Raw meta-features of the new dataset; used only with ``neighbour_prior=True``.

        Returns
        -------
        mean : ndarray of shape (n_pipelines,)
        std : ndarray of shape (n_pipelines,)
            In the user's units: the observed scores are scaled by their own std, their mean
            placed at their pipelines' average prior mean (with fewer than 2, the median training
            row std is the scale). Observed pipelines get their
            observed score and std 0; the std of the others is that of a new observation
            (latent variance + noise).
        """
        check_is_fitted(self, "embeddings_")
        prior = self._new_dataset_prior(meta_features)
        _, idx, vals, _, cidx, cz, c, s = self._conditioning(observed, prior)
        mean_z, var_z = self._posterior_z(cidx, cz, prior)
        mean = c + s * mean_z
        std = s * np.sqrt(var_z)
        mean[idx] = vals
        std[idx] = 0.0
        return mean, std

    # ================================================================== suggestions
    def warm_start_neighbours(self, meta_features, k=5):
        """The training datasets nearest to a new one in meta-feature space.

        Parameters
        ----------
        meta_features : array-like of shape (n_features,), raw, same columns as in ``fit``
            (NaN = unknown, treated as the training mean)
        k : int or None, number of neighbours (None: all training datasets, in order)

        Returns
        -------
        indices : int ndarray of shape (min(k, n_datasets),), training rows, nearest first
        distances : ndarray of the same shape, L1 distances between standardised meta-features
        """
        check_is_fitted(self, "embeddings_")
        if self.meta_features_ is None:
            raise ValueError("this recommender was fitted without meta_features; pass them to fit.")
        q = standardise(np.asarray(meta_features, dtype=float).reshape(-1), self.meta_mean_, self.meta_scale_)
        return nearest_datasets(q, self.meta_features_, k=k)

    def suggest(self, observed, n=1, meta_features=None, costs=None, exclude=()):
        """Next pipelines to evaluate on a new dataset.

        Parameters
        ----------
        observed : dict {pipeline index: score}
            Scores so far (user's units, higher is better). A non-finite score marks a pipeline
            that was tried and failed: it is never suggested again and not conditioned on.
        n : int, number of distinct pipelines wanted (a batch for parallel workers)
        meta_features : array-like of shape (n_features,), optional
            Raw meta-features of the new dataset (same columns as in ``fit``). While fewer than
            ``n_warm_start`` finite scores are observed, picks come from the nearest training
            datasets (:meth:`first_picks`); with ``neighbour_prior``, those datasets also set
            the GP prior mean of every later pick.
        costs : array-like of shape (n_pipelines,), optional
            Predicted cost (seconds) of each pipeline; the acquisition becomes expected
            improvement per second, ``log EI - log cost``. Missing or non-positive entries are
            replaced by the median cost.
        exclude : iterable of int
            Pipelines never to suggest.

        Returns
        -------
        list of Suggestion (``int`` indices with their source and predicted score)
            ``min(n, number of pipelines not observed nor excluded)`` distinct pipelines.

        Notes
        -----
        After the warm start, picks maximise log expected improvement over the best observed
        standardised score (with nothing observed, over the best predicted mean). A batch is
        built greedily with the *kriging believer*: each pick (warm-start picks included) is
        added to the conditioning set with its predicted mean as a fantasy value, which keeps
        the means and shrinks the std of similar pipelines, so the batch spreads out.
        """
        check_is_fitted(self, "embeddings_")
        if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 1:
            raise ValueError(f"n must be an integer >= 1, got {n!r}.")
        n_pipelines = self.embeddings_.shape[0]
        prior = self._new_dataset_prior(meta_features)
        keys, idx, vals, z, cidx, cz, _, _ = self._conditioning(observed, prior)
        blocked = np.zeros(n_pipelines, dtype=bool)
        blocked[keys] = True
        for e in exclude:
            blocked[_check_index(e, n_pipelines, "exclude")] = True
        n_eff = int(min(n, n_pipelines - blocked.sum()))
        picks: list[int] = []
        if n_eff <= 0:
            return picks
        cost = None if costs is None else filled_costs(costs, n_pipelines)

        if meta_features is not None and vals.size < self.n_warm_start:
            if self.meta_features_ is None:
                logger.warning("meta_features given but the recommender has none; no warm start.")
            else:
                order, distances = self.warm_start_neighbours(meta_features, k=None)
                n_warm = min(n_eff, self.n_warm_start - vals.size)
                picks = self.first_picks(order, distances, n_warm, blocked, idx, keys)
                blocked[picks] = True
        n_warm = len(picks)
        cond_idx = list(cidx)
        cond_z = list(cz)
        best = float(z.max()) if z.size else None
        if picks and len(picks) < n_eff:  # believe the warm-start picks too (fantasies at their mean)
            mean, _ = self._posterior_z(np.asarray(cond_idx, np.intp), np.asarray(cond_z), prior)
            fantasy = float(mean[picks].max())
            best = fantasy if best is None else max(best, fantasy)
            for j in picks:
                if self._trained[j]:
                    cond_idx.append(j)
                    cond_z.append(float(mean[j]))
        while len(picks) < n_eff:
            mean, var = self._posterior_z(np.asarray(cond_idx, np.intp), np.asarray(cond_z), prior)
            cand = np.flatnonzero(~blocked)
            if best is None:
                best = float(mean[cand].max())
            std = np.sqrt(var[cand])
            score = (log_expected_improvement(mean[cand], std, best) if cost is None
                     else cost_aware_log_ei(mean[cand], std, best, cost[cand]))
            score = np.where(np.isnan(score), -np.inf, score)
            j = int(cand[np.argmax(score)])
            picks.append(j)
            blocked[j] = True
            if self._trained[j]:
                cond_idx.append(j)
                cond_z.append(float(mean[j]))
            best = max(best, float(mean[j]))
        mean, std = self.predict(observed, meta_features=meta_features)  # the honest prediction, no fantasies
        return suggestions(picks[:n_warm], WARM_START, mean, std) + suggestions(picks[n_warm:], EXPECTED_IMPROVEMENT,
                                                                               mean, std)

    # ================================================================== display
    def project_2d(self):
        """PCA projection of the embeddings for plotting.

        Returns
        -------
        ndarray of shape (n_pipelines, 2)
            Scores on the first two principal components (zero-padded if n_latent_ < 2).
        """
        check_is_fitted(self, "embeddings_")
        E = self.embeddings_ - self.embeddings_.mean(axis=0)
        out = np.zeros((E.shape[0], 2))
        if np.any(E):
            U, S, Vt = np.linalg.svd(E, full_matrices=False)
            k = min(2, S.size)
            out[:, :k] = E @ svd_flip(Vt[:k].T)
        return out

    # ================================================================== persistence
    def get_state(self):
        """The fitted model as a flat dict of numpy arrays (``np.savez(path, **state)``); see
        :func:`~automl_engine.recommender.state.recommender_state`."""
        check_is_fitted(self, "embeddings_")
        return recommender_state(self)

    @classmethod
    def from_state(cls, state):
        """Rebuild a fitted recommender from :meth:`get_state` output (a dict or an NpzFile)."""
        rec = restore_recommender(cls, state)
        rec._finalise()
        return rec

    def with_params(self, **params):
        """A copy sharing this fitted model with new *suggest-time* parameters
        (:data:`~automl_engine.recommender.state.SUGGEST_TIME_PARAMS`): compare them without refitting."""
        unknown = set(params) - SUGGEST_TIME_PARAMS
        if unknown:
            raise ValueError(f"only suggest-time parameters can change without refitting, not {sorted(unknown)}.")
        rec = type(self).from_state(self.get_state())
        rec.set_params(**params)
        rec._check_params()
        rec._finalise()
        return rec
