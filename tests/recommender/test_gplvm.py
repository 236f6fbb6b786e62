"""PMFRecommender end to end on small synthetic matrices (each fit takes about a second)."""

import doctest

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from automl_engine.recommender import PMFRecommender, acquisition, gplvm, kernels, warmstart

N_DATASETS, N_PIPELINES, RANK = 60, 200, 3


def low_rank_scores(n_datasets, n_pipelines, rank=RANK, density=0.3, n_new=10, seed=0):
    """Scores from true latents, in per-dataset "accuracy" units; the last n_new rows are new datasets."""
    rng = np.random.default_rng(seed)
    n = n_datasets + n_new
    U = rng.normal(size=(n, rank))
    V = rng.normal(size=(n_pipelines, rank))
    bias = 0.7 * rng.normal(size=n_pipelines)
    F = U @ V.T + bias + 0.1 * rng.normal(size=(n, n_pipelines))
    F = rng.uniform(0.5, 0.9, size=(n, 1)) + rng.uniform(0.02, 0.1, size=(n, 1)) * F
    Y = F[:n_datasets].copy()
    Y[rng.random(Y.shape) > density] = np.nan
    meta = np.column_stack([U[:n_datasets], rng.normal(size=(n_datasets, 2))])
    return Y, F[n_datasets:], meta


@pytest.fixture(scope="module")
def data():
    return low_rank_scores(N_DATASETS, N_PIPELINES)


@pytest.fixture(scope="module")
def model(data):
    Y, _, meta = data
    return PMFRecommender(n_latent=10, n_iter=150, batch_size=16, random_state=0).fit(Y, meta_features=meta)


def test_fitted_attributes(model, data):
    Y, _, meta = data
    assert model.embeddings_.shape == (N_PIPELINES, 10)
    assert model.n_latent_ == 10
    assert model.prior_mean_.shape == (N_PIPELINES,)
    assert model.Y_.shape == Y.shape
    assert model.meta_features_.shape == meta.shape
    np.testing.assert_allclose(model.meta_features_.mean(axis=0), 0, atol=1e-12)
    assert len(model.loss_curve_) == 150
    assert np.all(np.isfinite(model.embeddings_))
    assert model.kernel_.n_dims == 10


def test_marginal_likelihood_improves_over_pca(model):
    assert model.nll_ < model.nll_init_ - 0.1


def test_predictions_beat_the_per_pipeline_mean(model, data):
    _, new_rows, _ = data
    rng = np.random.default_rng(1)
    model_corr, base_corr = [], []
    for row in new_rows:
        seen = rng.choice(N_PIPELINES, size=10, replace=False)
        held = np.setdiff1d(np.arange(N_PIPELINES), seen)
        mean, std = model.predict({int(j): float(row[j]) for j in seen})
        assert np.all(std[held] > 0)
        model_corr.append(np.corrcoef(mean[held], row[held])[0, 1])
        base_corr.append(np.corrcoef(model.prior_mean_[held], row[held])[0, 1])
    assert np.mean(model_corr) > np.mean(base_corr) + 0.2, (np.mean(model_corr), np.mean(base_corr))


def test_predict_returns_observed_values_in_user_units(model, data):
    _, new_rows, _ = data
    row = new_rows[0]
    observed = {3: float(row[3]), 50: float(row[50]), 120: float(row[120])}
    mean, std = model.predict(observed)
    assert mean.shape == std.shape == (N_PIPELINES,)
    for j, v in observed.items():
        assert mean[j] == v and std[j] == 0.0
    # predictions live on the scale of the observed scores, not of the standardised ones
    spread = np.ptp(row)
    assert np.all(np.abs(mean - row.mean()) < 5 * spread)


@pytest.mark.parametrize("observed", [{}, {7: 0.8}, {7: 0.8, 9: 0.8}, {7: 0.8, 9: float("nan")}])
def test_predict_with_few_observations(model, observed):
    mean, std = model.predict(observed)
    assert np.all(np.isfinite(mean)) and np.all(np.isfinite(std))
    unobserved = [j for j in range(N_PIPELINES) if j not in observed or not np.isfinite(observed[j])]
    assert np.all(std[unobserved] > 0)
    if 7 in observed:
        assert mean[7] == 0.8
    if not observed:  # the prior mean orders the pipelines
        assert np.argmax(mean) == np.argmax(model.prior_mean_)


@given(
    observed=st.dictionaries(st.integers(0, N_PIPELINES - 1), st.floats(0.0, 1.0), max_size=30),
    exclude=st.sets(st.integers(0, N_PIPELINES - 1), max_size=20),
    n=st.integers(1, 4),
    use_meta=st.booleans(),
)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_suggest_never_returns_observed_or_excluded(model, data, observed, exclude, n, use_meta):
    meta = data[2][5] + 0.1 if use_meta else None
    picks = model.suggest(observed, n=n, meta_features=meta, exclude=exclude)
    assert len(picks) == n
    assert len(set(picks)) == n
    assert not set(picks) & set(observed)
    assert not set(picks) & exclude
    assert all(isinstance(j, int) and 0 <= j < N_PIPELINES for j in picks)


def test_suggest_when_few_pipelines_are_left(model):
    observed = {j: 0.5 for j in range(N_PIPELINES - 3)}
    picks = model.suggest(observed, n=5, exclude=[N_PIPELINES - 1])
    assert sorted(picks) == [N_PIPELINES - 3, N_PIPELINES - 2]
    assert model.suggest({j: 0.5 for j in range(N_PIPELINES)}, n=2) == []


def test_failed_evaluations_are_not_suggested_again(model):
    best = model.suggest({}, n=1)[0]
    assert best not in model.suggest({best: float("nan")}, n=3)


def test_batch_is_greedy_kriging_believer(model, data):
    observed = {int(j): float(data[1][2][j]) for j in range(0, N_PIPELINES, 17)}
    one = model.suggest(observed, n=1)
    batch = model.suggest(observed, n=5)
    assert batch[0] == one[0]
    assert len(set(batch)) == 5


def test_cost_aware_suggestions(model, data):
    observed = {int(j): float(data[1][3][j]) for j in range(0, N_PIPELINES, 13)}
    plain = model.suggest(observed, n=1)[0]
    assert model.suggest(observed, n=1, costs=np.full(N_PIPELINES, 7.0)) == [plain]
    costs = np.ones(N_PIPELINES)
    costs[plain] = 1e9
    assert model.suggest(observed, n=1, costs=costs)[0] != plain
    with pytest.raises(ValueError):
        model.suggest(observed, costs=np.ones(3))


def test_warm_start_returns_the_best_pipelines_of_the_nearest_datasets(model, data):
    _, _, meta = data
    target = 7
    idx, dist = model.warm_start_neighbours(meta[target], k=3)
    assert idx[0] == target and dist[0] == pytest.approx(0.0)
    assert np.all(np.diff(dist) >= 0) and len(idx) == 3
    order, distances = model.warm_start_neighbours(meta[target], k=None)
    score = warmstart.neighbour_mean_scores(model.Y_, model.row_mean_, model.row_std_, model.prior_mean_, order,
                                            distances)
    best = [int(j) for j in np.argsort(-score, kind="stable")[:3]]
    first = model.suggest({}, n=1, meta_features=meta[target])
    assert first == best[:1] and [s.source for s in first] == ["warm start"]
    assert model.suggest({}, n=3, meta_features=meta[target]) == best
    # the next call continues with the next best (the rule is stateless)
    assert model.suggest({first[0]: 0.9}, n=1, meta_features=meta[target]) == best[1:2]


def test_neighbour_mean_warm_start_prefers_a_pipeline_good_on_every_neighbour():
    """Pipeline 0 is best on the nearest dataset only; pipeline 1 is second there and best elsewhere."""
    rng = np.random.default_rng(0)
    Y = rng.normal(0.5, 0.05, size=(12, 30))
    Y[0, 0], Y[0, 1] = 0.99, 0.95          # nearest dataset: 0 first, 1 second
    Y[1:6, 0] = 0.10                        # ... but 0 is poor on the other near datasets
    Y[1:6, 1] = 0.97                        # ... where 1 is best
    meta = np.vstack([np.zeros(3) + 0.1 * i for i in range(12)])
    query = np.zeros(3)
    mean_rule = PMFRecommender(n_latent=2, n_iter=5, random_state=0).fit(Y, meta_features=meta)
    assert mean_rule.warm_start_neighbours(query, k=1)[0][0] == 0 and np.nanargmax(mean_rule.Y_[0]) == 0
    assert mean_rule.suggest({}, n=1, meta_features=query) == [1]
    picks = mean_rule.suggest({}, n=3, meta_features=query, exclude=(1,))
    assert 1 not in picks and len(set(picks)) == 3


def _two_clusters():
    """Datasets near meta 0 prefer pipeline 3 (7 is poor there); datasets near meta 5 the reverse."""
    rng = np.random.default_rng(0)
    Y = rng.normal(0.5, 0.02, size=(20, 30))
    Y[:10, 3], Y[:10, 7] = 0.95, 0.20
    Y[10:, 3], Y[10:, 7] = 0.20, 0.95
    meta = np.concatenate([np.zeros(10), np.full(10, 5.0)])[:, None] + rng.normal(0, 0.1, size=(20, 2))
    return Y, meta


def test_neighbour_prior_steers_every_pick_by_the_nearest_datasets():
    Y, meta = _two_clusters()
    near_a, near_b = np.zeros(2), np.full(2, 5.0)
    plain = PMFRecommender(n_latent=2, n_iter=5, random_state=0, n_warm_start=0).fit(Y, meta_features=meta)
    steered = plain.with_params(neighbour_prior=True)
    # without the neighbour prior the meta-features change nothing once the warm start is off
    assert plain.suggest({}, n=1, meta_features=near_a) == plain.suggest({}, n=1, meta_features=near_b)
    assert steered.suggest({}, n=1, meta_features=near_a) == [3]
    assert steered.suggest({}, n=1, meta_features=near_b) == [7]
    # ... and still after observations of other pipelines
    neutral = {0: 0.5, 1: 0.51, 2: 0.49}
    assert steered.suggest(neutral, n=1, meta_features=near_a) == [3]
    assert steered.suggest(neutral, n=1, meta_features=near_b) == [7]
    mean_a, _ = steered.predict(neutral, meta_features=near_a)
    mean_b, _ = steered.predict(neutral, meta_features=near_b)
    assert mean_a[3] > mean_a[7] and mean_b[7] > mean_b[3]
    # without meta-features the neighbour prior falls back to the average training row
    for a, b in zip(steered.predict(neutral), plain.predict(neutral)):
        np.testing.assert_array_equal(a, b)


def test_normal_scores_keep_only_the_order_within_each_dataset(data):
    """The rows are fitted as normal scores of their ranks: a monotone change of one dataset's
    scores changes nothing learned (with standardised rows it does: tests/test_benchmark_variants.py)."""
    Y, _, meta = data
    Y2 = Y.copy()
    Y2[0] = np.exp(3 * Y2[0])
    Y2[1] = Y2[1] ** 3 - 50.0
    a = PMFRecommender(n_latent=3, n_iter=10, random_state=0).fit(Y, meta)
    b = PMFRecommender(n_latent=3, n_iter=10, random_state=0).fit(Y2, meta)
    np.testing.assert_allclose(a.embeddings_, b.embeddings_)
    assert a.suggest({3: 0.2, 5: 0.9}, n=3) == b.suggest({3: 0.2, 5: 0.9}, n=3)
    np.testing.assert_array_equal(a.training_rows(Y2), b.Y_)


def test_warm_start_hedges_across_pipeline_groups():
    """Pipelines 0-3 (group "trees") are best on every neighbour; with a cap of one per group the
    warm start takes the best tree, then the best of each other group; with no cap, four trees."""
    rng = np.random.default_rng(1)
    Y = rng.normal(0.5, 0.05, size=(12, 12))
    Y[:, :4] = 0.9 + 0.01 * np.arange(4)[::-1]
    meta = np.vstack([np.zeros(3) + 0.1 * i for i in range(12)])
    groups = ["trees"] * 4 + ["linear"] * 4 + ["knn"] * 4
    rec = PMFRecommender(n_latent=2, n_iter=5, random_state=0).fit(Y, meta_features=meta, pipeline_groups=groups)
    hedged = rec.suggest({}, n=3, meta_features=np.zeros(3))
    assert hedged[0] == 0 and {rec.pipeline_groups_[j] for j in hedged} == set(np.unique(rec.pipeline_groups_))
    assert rec.with_params(warm_start_per_group=0).suggest({}, n=3, meta_features=np.zeros(3)) == [0, 1, 2]
    assert len(set(rec.suggest({}, n=5, meta_features=np.zeros(3)))) == 5  # groups run out: the best of the rest
    # one pick at a time (as a search asks), the observed pipelines count towards their group
    second = rec.suggest({hedged[0]: 0.93}, n=1, meta_features=np.zeros(3))
    assert second == hedged[1:2] and rec.pipeline_groups_[second[0]] != rec.pipeline_groups_[0]
    with pytest.raises(ValueError, match="pipeline_groups"):
        PMFRecommender(n_latent=2, n_iter=5).fit(Y, pipeline_groups=groups[:5])


def test_warm_start_takes_turns_across_kinds():
    """Five tree families (0-9) beat the linear (10-11) and kernel (12-13) pipelines on every
    neighbour. One pick per family alone spends three picks on trees; with kinds, the kinds take
    turns: the best tree, then the best linear and kernel pipelines, then trees again."""
    rng = np.random.default_rng(2)
    Y = rng.normal(0.5, 0.02, size=(12, 14))
    Y[:, :10] = 0.9 + 0.005 * np.arange(10)[::-1]
    Y[:, 10:12] = 0.7
    Y[:, 12:] = 0.6
    meta = np.vstack([np.zeros(3) + 0.1 * i for i in range(12)])
    families = [f"tree{i // 2}" for i in range(10)] + ["ridge", "lasso", "svm", "knn"]
    kinds = ["trees"] * 10 + ["linear"] * 2 + ["kernel"] * 2
    rec = PMFRecommender(n_latent=2, n_iter=5, random_state=0).fit(Y, meta_features=meta, pipeline_groups=families,
                                                                   pipeline_kinds=kinds)
    kind_of = dict(zip(range(14), kinds))
    picks = rec.suggest({}, n=4, meta_features=np.zeros(3))
    assert [kind_of[j] for j in picks] == ["trees", "linear", "kernel", "trees"]
    assert picks[0] == 0 and picks[3] == 2  # the best of each kind, one per family
    unbalanced = rec.with_params(warm_start_balance_kinds=False).suggest({}, n=3, meta_features=np.zeros(3))
    assert unbalanced == [0, 2, 4]  # the best pipeline of the three best families
    # one pick at a time, the observed pipelines count towards their kind
    assert rec.suggest({0: 0.95}, n=1, meta_features=np.zeros(3)) == picks[1:2]
    assert rec.suggest({0: 0.95, 10: 0.7}, n=1, meta_features=np.zeros(3)) == picks[2:3]
    state_round_trip = PMFRecommender.from_state(rec.get_state())
    assert state_round_trip.suggest({}, n=4, meta_features=np.zeros(3)) == picks
    with pytest.raises(ValueError, match="pipeline_kinds"):
        PMFRecommender(n_latent=2, n_iter=5).fit(Y, pipeline_kinds=kinds[:5])
    with pytest.raises(ValueError, match="warm_start_balance_kinds"):
        PMFRecommender(n_latent=2, n_iter=5, warm_start_balance_kinds="yes").fit(Y)


def test_warm_start_ends_after_n_warm_start_observations(model, data):
    _, new_rows, meta = data
    observed = {int(j): float(new_rows[4][j]) for j in range(model.n_warm_start)}
    assert model.suggest(observed, n=2, meta_features=meta[7]) == model.suggest(observed, n=2)


def test_warm_start_needs_meta_features(data):
    Y, _, _ = data
    rec = PMFRecommender(n_latent=3, n_iter=5, random_state=0).fit(Y)
    with pytest.raises(ValueError):
        rec.warm_start_neighbours(np.zeros(5))
    assert len(rec.suggest({}, n=2, meta_features=np.zeros(5))) == 2  # falls back to EI


def test_deterministic_with_random_state(data):
    Y, _, meta = data
    a = PMFRecommender(n_latent=5, n_iter=30, batch_size=8, random_state=3).fit(Y, meta)
    b = PMFRecommender(n_latent=5, n_iter=30, batch_size=8, random_state=3).fit(Y, meta)
    c = PMFRecommender(n_latent=5, n_iter=30, batch_size=8, random_state=4).fit(Y, meta)
    np.testing.assert_array_equal(a.embeddings_, b.embeddings_)
    np.testing.assert_array_equal(a.kernel_raw_, b.kernel_raw_)
    assert a.suggest({1: 0.5, 2: 0.7}, n=3) == b.suggest({1: 0.5, 2: 0.7}, n=3)
    assert not np.array_equal(a.embeddings_, c.embeddings_)


@pytest.mark.parametrize("with_meta", [True, False])
def test_state_round_trip_through_npz(data, tmp_path, with_meta):
    Y, new_rows, meta = data
    rec = PMFRecommender(n_latent=4, n_iter=20, random_state=0, neighbour_prior=with_meta)
    groups = np.arange(Y.shape[1]) % 3 if with_meta else None
    rec.fit(Y, meta_features=meta if with_meta else None, pipeline_groups=groups)
    path = tmp_path / "rec.npz"
    np.savez(path, **rec.get_state())
    with np.load(path) as npz:  # allow_pickle=False
        loaded = PMFRecommender.from_state(npz)
    observed = {int(j): float(new_rows[0][j]) for j in (1, 30, 77)}
    for a, b in zip(rec.predict(observed), loaded.predict(observed)):
        np.testing.assert_array_equal(a, b)
    m = meta[2] if with_meta else None
    for a, b in zip(rec.predict(observed, meta_features=m), loaded.predict(observed, meta_features=m)):
        np.testing.assert_array_equal(a, b)
    assert rec.suggest(observed, n=3, meta_features=m) == loaded.suggest(observed, n=3, meta_features=m)
    assert rec.get_params() == loaded.get_params()
    np.testing.assert_array_equal(rec.project_2d(), loaded.project_2d())
    if with_meta:
        np.testing.assert_array_equal(rec.warm_start_neighbours(meta[2])[0], loaded.warm_start_neighbours(meta[2])[0])
        np.testing.assert_array_equal(loaded.pipeline_groups_, groups)
        assert rec.suggest({}, n=3, meta_features=meta[2]) == loaded.suggest({}, n=3, meta_features=meta[2])
    else:
        assert loaded.meta_features_ is None and loaded.pipeline_groups_ is None


@pytest.mark.parametrize("name, research", [("units", "prior"), ("warm_start", "nearest_best"),
                                            ("warm_start", "portfolio"), ("row_scores", "standardised")])
def test_state_of_older_files_loads_with_the_engine_settings_only(model, data, name, research):
    """Files saved before the research settings moved to the benchmarks store them: the engine's
    values load as before, a research value is refused with a sentence."""
    _, new_rows, meta = data
    state = {**model.get_state(), "param_units": np.array("own"), "param_warm_start": np.array("neighbour_mean"),
             "param_row_scores": np.array("normal_scores")}
    loaded = PMFRecommender.from_state(state)
    observed = {3: float(new_rows[0][3]), 9: float(new_rows[0][9])}
    assert loaded.suggest(observed, n=3, meta_features=meta[2]) == model.suggest(observed, n=3, meta_features=meta[2])
    np.testing.assert_array_equal(loaded.predict(observed)[0], model.predict(observed)[0])
    state[f"param_{name}"] = np.array(research)
    with pytest.raises(ValueError, match=f"research setting {name}='{research}'.*recommender_variants"):
        PMFRecommender.from_state(state)
    with pytest.raises(TypeError):
        PMFRecommender(**{name: research})


def test_state_rejects_unknown_version(model):
    state = model.get_state()
    state["format_version"] = np.array(99)
    with pytest.raises(ValueError):
        PMFRecommender.from_state(state)


def test_never_observed_pipeline_keeps_prior_and_high_std():
    Y, new_rows, _ = low_rank_scores(30, 40, seed=5)
    Y[:, 11] = np.nan
    Y[3, :] = np.nan
    Y[3, 0] = 0.9  # a row with a single observation: skipped in the likelihood
    rec = PMFRecommender(n_latent=5, n_iter=40, batch_size=8, random_state=0).fit(Y)
    assert rec.pipeline_counts_[11] == 0
    assert rec.prior_mean_[11] == 0.0
    observed = {int(j): float(new_rows[0][j]) for j in (0, 5, 9, 20)}
    mean, std = rec.predict(observed)
    others = np.setdiff1d(np.arange(40), [0, 5, 9, 20, 11])
    assert std[11] >= std[others].max() - 1e-12
    assert 11 in rec.suggest(observed, n=40)  # still reachable


@pytest.mark.parametrize(
    "Y",
    [
        np.array([[0.5]]),
        np.array([[0.1, 0.5, np.nan], [0.3, np.nan, np.nan]]),
        np.full((3, 4), np.nan),
        np.array([[0.7, 0.7, 0.7], [0.2, np.nan, 0.4]]),
        np.arange(12.0).reshape(3, 4),
    ],
)
def test_works_on_tiny_and_degenerate_matrices(Y):
    rec = PMFRecommender(n_latent=20, n_iter=10, random_state=0).fit(Y, meta_features=np.ones((Y.shape[0], 2)))
    n = Y.shape[1]
    assert rec.embeddings_.shape == (n, rec.n_latent_)
    assert 1 <= rec.n_latent_ <= min(Y.shape)
    for observed in ({}, {0: 0.3}, {0: 0.3, n - 1: 0.6}):
        mean, std = rec.predict(observed)
        assert np.all(np.isfinite(mean)) and np.all(np.isfinite(std))
        picks = rec.suggest(observed, n=2, meta_features=np.ones(2))
        assert not set(picks) & set(observed)
        assert len(picks) == min(2, n - len(observed))
    assert rec.project_2d().shape == (n, 2)


def test_project_2d(model):
    P = model.project_2d()
    assert P.shape == (N_PIPELINES, 2)
    np.testing.assert_allclose(P.mean(axis=0), 0, atol=1e-10)
    assert np.var(P[:, 0]) >= np.var(P[:, 1])


def test_input_validation(data):
    Y, _, meta = data
    with pytest.raises(NotFittedError):
        PMFRecommender().predict({})
    with pytest.raises(ValueError):
        PMFRecommender().fit(np.zeros(5))
    with pytest.raises(ValueError):
        PMFRecommender().fit(np.array([[1.0, np.inf]]))
    with pytest.raises(ValueError):
        PMFRecommender().fit(Y, meta_features=meta[:3])
    with pytest.raises(ValueError):
        PMFRecommender(n_latent=0).fit(Y)
    with pytest.raises(ValueError):
        PMFRecommender(learning_rate=-1.0).fit(Y)
    with pytest.raises(ValueError, match="neighbour_prior"):
        PMFRecommender(neighbour_prior="yes").fit(Y)
    rec = PMFRecommender(n_latent=2, n_iter=2).fit(Y)
    with pytest.raises(ValueError):
        rec.predict({N_PIPELINES: 0.5})
    with pytest.raises(ValueError):
        rec.predict({-1: 0.5})
    with pytest.raises(ValueError):
        rec.suggest({}, n=0)
    with pytest.raises(ValueError):
        rec.suggest({}, exclude=[N_PIPELINES + 4])


def test_sklearn_conventions():
    rec = PMFRecommender(n_latent=3, random_state=1, latent_prior=0.0)
    assert rec.get_params()["n_latent"] == 3
    twin = clone(rec)
    assert twin.get_params() == rec.get_params()
    assert not hasattr(twin, "embeddings_")


@pytest.mark.parametrize("module", [gplvm, kernels, acquisition, warmstart])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
