"""The new-dataset kernel (latent + catalogue descriptors + noise) and the descriptors themselves."""
import numpy as np
import pytest

from automl_engine.catalogue import load_catalogue
from automl_engine.catalogue.descriptors import pipeline_descriptors
from automl_engine.recommender import PMFRecommender
from automl_engine.recommender.kernels import RBFLinearKernel
from automl_engine.recommender.transfer import TransferKernel


def _points(rng, n=12, q=3, d=5):
    return rng.normal(size=(n, q)), rng.normal(size=(n, d))


def test_transfer_kernel_is_latent_plus_descriptor_plus_noise():
    rng = np.random.default_rng(0)
    X, D = _points(rng)
    latent = RBFLinearKernel.from_values(np.ones(3), rbf_variance=0.7, linear_variance=0.2, noise=0.9)
    kernel = TransferKernel(latent, 3, descriptor_variance=0.5, descriptor_lengthscale=2.0, noise=0.3)
    P = np.hstack([X, D])
    K = kernel.K(P)
    sq = ((D[:, None, :] - D[None, :, :]) ** 2).sum(-1)
    expected = latent.K(X, X) + 0.5 * np.exp(-sq / 8.0) + 0.3 * np.eye(len(P))
    np.testing.assert_allclose(K, expected, atol=1e-10)
    np.testing.assert_allclose(K, K.T)
    assert np.linalg.eigvalsh(K).min() > 0
    np.testing.assert_allclose(kernel.Kdiag(P, noise=True), np.diag(K), atol=1e-10)
    np.testing.assert_allclose(kernel.K(P[:4], P[4:]), expected[:4, 4:], atol=1e-10)  # cross: no noise


def test_transfer_kernel_without_descriptors_uses_the_latent_kernel_only():
    rng = np.random.default_rng(1)
    X, _ = _points(rng)
    latent = RBFLinearKernel.from_values(np.ones(3), noise=0.9)
    kernel = TransferKernel(latent, 3, descriptor_variance=0.5, descriptor_lengthscale=2.0, noise=0.3)
    np.testing.assert_allclose(kernel.K(X), latent.K(X, X) + 0.3 * np.eye(len(X)), atol=1e-10)
    with pytest.raises(ValueError):
        TransferKernel(latent, 3, descriptor_variance=0.5, descriptor_lengthscale=2.0, noise=0.0)


def test_descriptors_are_standardised_and_keep_families_together():
    catalogue = load_catalogue("classification")
    D = pipeline_descriptors(catalogue)
    assert D.shape[0] == len(catalogue) and D.shape[1] > 20
    np.testing.assert_allclose(D.mean(axis=0), 0, atol=1e-9)
    # every 5th pipeline: a sample of every family (the first 200 covered three families, and the
    # ratio there sat at 0.497 before catalogue 1.1; over every family it is 0.41)
    families = np.array([spec.family for spec in catalogue])[::5]
    D = D[::5]
    sq = ((D[:, None, :] - D[None, :, :]) ** 2).sum(-1)
    same = families[:, None] == families[None, :]
    off_diagonal = ~np.eye(len(families), dtype=bool)
    assert sq[same & off_diagonal].mean() < 0.5 * sq[~same].mean()


def _grouped_scores(seed=0, n_datasets=40, n_pipelines=60, density=0.15):
    """Two groups of pipelines whose advantage flips from dataset to dataset, sparsely observed."""
    rng = np.random.default_rng(seed)
    group = np.arange(n_pipelines) % 2
    effect = rng.choice([-1.0, 1.0], size=(n_datasets + 1, 1))
    F = 0.7 + 0.05 * np.where(group == 0, effect, -effect) + 0.01 * rng.normal(size=(n_datasets + 1, n_pipelines))
    Y = F[:-1].copy()
    Y[rng.random(Y.shape) > density] = np.nan
    descriptors = np.column_stack([group, 1 - group]).astype(float) * 3.0
    return Y, F[-1], group, descriptors


def test_descriptors_carry_a_score_to_the_pipelines_relatives():
    # the training matrix links no pipelines (pure noise); on the new dataset group 0 wins
    rng = np.random.default_rng(0)
    Y, _, group, descriptors = _grouped_scores()
    Y = 0.7 + 0.01 * rng.normal(size=Y.shape)
    new_row = 0.7 + 0.05 * (group == 0) + 0.005 * rng.normal(size=len(group))
    seen = list(range(6))
    observed = {j: float(new_row[j]) for j in seen}
    unseen = np.setdiff1d(np.arange(len(group)), seen)

    def gap(descriptor_variance):
        rec = PMFRecommender(n_latent=2, n_iter=0, random_state=0, descriptor_variance=descriptor_variance)
        rec.fit(Y, pipeline_features=descriptors)
        mean, _ = rec.predict(observed)
        return mean[unseen][group[unseen] == 0].mean() - mean[unseen][group[unseen] == 1].mean()

    with_descriptors, without = gap(1.0), gap(0.0)
    assert with_descriptors > 0.01  # the winning group is predicted above the other (true gap 0.05)
    assert abs(without) < 0.3 * with_descriptors, (with_descriptors, without)


def test_scores_of_good_pipelines_keep_them_above_unobserved_average_ones():
    rng = np.random.default_rng(3)
    quality = np.r_[np.full(5, 1.0), np.zeros(45)]  # pipelines 0-4 are better everywhere
    Y = 0.7 + 0.05 * quality + 0.01 * rng.normal(size=(30, 50))
    rec = PMFRecommender(n_latent=2, n_iter=0, random_state=0).fit(Y)
    mean, _ = rec.predict({0: 0.80, 1: 0.78})  # the two observed good pipelines
    assert mean[5:].max() < 0.78  # average pipelines are predicted below both


def test_state_round_trip_keeps_the_descriptors(tmp_path):
    Y, new_row, _, descriptors = _grouped_scores(seed=2)
    rec = PMFRecommender(n_latent=2, n_iter=5, random_state=0).fit(Y, pipeline_features=descriptors)
    np.savez(tmp_path / "rec.npz", **rec.get_state())
    with np.load(tmp_path / "rec.npz") as npz:
        loaded = PMFRecommender.from_state(npz)
    np.testing.assert_array_equal(loaded.pipeline_features_, descriptors)
    observed = {1: float(new_row[1]), 4: float(new_row[4])}
    for a, b in zip(rec.predict(observed), loaded.predict(observed)):
        np.testing.assert_array_equal(a, b)


def test_pipeline_features_must_match_the_matrix():
    Y, _, _, descriptors = _grouped_scores()
    with pytest.raises(ValueError, match="pipeline_features"):
        PMFRecommender(n_iter=0).fit(Y, pipeline_features=descriptors[:-1])
    with pytest.raises(ValueError, match="posterior_noise"):
        PMFRecommender(n_iter=0, posterior_noise=0.0).fit(Y)


def test_with_params_changes_suggest_time_parameters_without_refitting():
    Y, new_row, _, descriptors = _grouped_scores(seed=4)
    rec = PMFRecommender(n_latent=2, n_iter=5, random_state=0).fit(Y, pipeline_features=descriptors)
    plain = rec.with_params(descriptor_variance=0.0)
    np.testing.assert_array_equal(plain.embeddings_, rec.embeddings_)
    assert plain.descriptor_variance == 0.0 and rec.descriptor_variance == 0.5
    observed = {0: float(new_row[0]), 3: float(new_row[3])}
    assert not np.allclose(plain.predict(observed)[0], rec.predict(observed)[0])
    with pytest.raises(ValueError, match="refitting"):
        rec.with_params(n_latent=3)
