"""The research variants of the recommender that the benchmarks replay (benchmarks/recommender_variants.py).

None of them ships; they were PMFRecommender settings until 2026-12-06, and these tests came
from tests/recommender/ with them.
"""
import doctest
import sys
from pathlib import Path

import numpy as np
import pytest

from automl_engine import PMFRecommender

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import recommender_variants  # noqa: E402
from recommender_variants import (  # noqa: E402
    NearestBestWarmStart,
    PortfolioWarmStart,
    PriorUnits,
    StandardisedRows,
    load_variant,
    portfolio_picks,
    prior_fit_units,
    refits,
    split_params,
    variant_class,
    warm_start_picks,
)


def test_docstring_examples():
    result = doctest.testmod(recommender_variants, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted >= 5


Y = np.array(
    [
        [0.9, 0.1, np.nan, 0.3],  # best: 0, then 3
        [0.2, 0.8, 0.5, np.nan],  # best: 1, then 2
        [0.7, np.nan, np.nan, 0.6],  # best: 0, then 3
        [np.nan, np.nan, np.nan, np.nan],  # nothing observed
    ]
)


def test_best_of_each_nearest_dataset():
    assert warm_start_picks(Y, [1, 0, 2], n=2) == [1, 0]
    # dataset 2's best (0) is a duplicate: skipped, so the next round begins
    assert warm_start_picks(Y, [0, 2, 1], n=3) == [0, 1, 3]


def test_skips_observed_and_is_stateless():
    order = [0, 1, 2, 3]
    batch = warm_start_picks(Y, order, n=3)
    # one pick at a time, feeding back the previous picks as observed, gives the same sequence
    seq = []
    for _ in range(3):
        seq += warm_start_picks(Y, order, n=1, taken=seq)
    assert seq == batch


def test_runs_out_gracefully():
    picks = warm_start_picks(Y, [3, 2], n=10)
    assert picks == [0, 3]
    assert warm_start_picks(Y, [0], n=0) == []
    assert warm_start_picks(Y, [3], n=2) == []


def test_portfolio_covers_datasets_where_the_average_best_is_weak():
    # pipeline 2 is good everywhere (best on average); 0 wins on datasets 0-5, 1 on datasets 6-9
    Y = np.full((10, 5), 0.5)
    Y[:6, 0], Y[6:, 1], Y[:, 2] = 0.9, 0.9, 0.8
    Y[6:, 0] = Y[:6, 1] = 0.1
    Y += np.random.default_rng(0).normal(scale=0.01, size=Y.shape)
    mean, std = np.nanmean(Y, axis=1), np.nanstd(Y, axis=1)
    prior = np.nanmean((Y - mean[:, None]) / std[:, None], axis=0)
    picks = portfolio_picks(Y, mean, std, prior, chosen=[], n=3, blocked=np.zeros(5, bool), shrink=0.0)
    # 2 is best on average, 0 then covers datasets 0-5; 1, below average (it fails on 0-5),
    # comes next because it is the best on datasets 6-9 — ranking by average would put it last
    assert picks == [2, 0, 1]
    assert np.argsort(-prior)[-1] == 1
    blocked = np.zeros(5, bool)
    blocked[1] = True
    later = portfolio_picks(Y, mean, std, prior, chosen=[0], n=2, blocked=blocked, shrink=0.0)
    assert later[0] == 2 and 0 not in later and 1 not in later


def _low_rank(seed=0, n_datasets=30, n_pipelines=40):
    rng = np.random.default_rng(seed)
    Y = rng.normal(size=(n_datasets, 3)) @ rng.normal(size=(3, n_pipelines)) + 0.1 * rng.normal(size=(n_datasets,
                                                                                                        n_pipelines))
    Y[rng.random(Y.shape) < 0.5] = np.nan
    return Y, rng.normal(size=(n_datasets, 4))


@pytest.fixture(scope="module")
def fitted():
    Y, meta = _low_rank()
    return PMFRecommender(n_latent=3, n_iter=10, random_state=0).fit(Y, meta_features=meta), Y, meta


def test_nearest_best_returns_the_best_pipelines_of_the_nearest_datasets(fitted):
    engine, Y, meta = fitted
    rec = NearestBestWarmStart.from_state(engine.get_state())
    target = 7
    first = rec.suggest({}, n=1, meta_features=meta[target])
    assert first == [int(np.nanargmax(Y[target]))] and first[0].source == "warm start"
    order, _ = rec.warm_start_neighbours(meta[target], k=None)
    assert rec.suggest({}, n=3, meta_features=meta[target]) == warm_start_picks(Y, order, 3)
    # the next call continues with the next nearest dataset's best
    assert rec.suggest({first[0]: 0.9}, n=1, meta_features=meta[target]) == warm_start_picks(Y, order, 2)[1:]
    # after the warm start, the engine's expected improvement
    observed = {j: 0.5 for j in range(rec.n_warm_start)}
    assert rec.suggest(observed, n=2, meta_features=meta[target]) == engine.suggest(observed, n=2,
                                                                                    meta_features=meta[target])


def test_nearest_best_and_neighbour_mean_differ_where_one_neighbour_disagrees():
    """Pipeline 0 is best on the nearest dataset only; pipeline 1 is second there and best elsewhere."""
    rng = np.random.default_rng(0)
    Y = rng.normal(0.5, 0.05, size=(12, 30))
    Y[0, 0], Y[0, 1] = 0.99, 0.95
    Y[1:6, 0] = 0.10
    Y[1:6, 1] = 0.97
    meta = np.vstack([np.zeros(3) + 0.1 * i for i in range(12)])
    best_rule = NearestBestWarmStart(n_latent=2, n_iter=5, random_state=0).fit(Y, meta_features=meta)
    mean_rule = PMFRecommender(n_latent=2, n_iter=5, random_state=0).fit(Y, meta_features=meta)
    assert best_rule.suggest({}, n=1, meta_features=np.zeros(3)) == [0]
    assert mean_rule.suggest({}, n=1, meta_features=np.zeros(3)) == [1]


def test_portfolio_warm_start_picks_the_greedy_portfolio(fitted):
    engine, Y, meta = fitted
    rec = PortfolioWarmStart.from_state(engine.get_state())
    blocked = np.zeros(Y.shape[1], bool)
    expected = portfolio_picks(rec.Y_, rec.row_mean_, rec.row_std_, rec.prior_mean_, [], 3, blocked)
    assert rec.suggest({}, n=3, meta_features=meta[0]) == expected
    assert rec.suggest({}, n=3, meta_features=meta[0]) != engine.suggest({}, n=3, meta_features=meta[0])
    # continues from what was scored; failures are blocked, not part of the portfolio
    later = rec.suggest({expected[0]: 0.3, expected[1]: float("nan")}, n=1, meta_features=meta[0])
    blocked[expected[:2]] = True
    assert later == portfolio_picks(rec.Y_, rec.row_mean_, rec.row_std_, rec.prior_mean_, [expected[0]], 1, blocked)


def test_prior_units_fit_a_line_through_the_prior_means(fitted):
    engine, _, _ = fitted
    rec = PriorUnits.from_state(engine.get_state())
    observed = {0: 0.2, 1: 0.9, 2: 0.4, 3: 0.7}
    keys = list(observed)
    vals = np.array(list(observed.values()))
    c, s = prior_fit_units(vals, rec.prior_mean_[keys], rec.score_scale_)
    assert (c, s) == rec.user_units(vals, rec.prior_mean_[keys]) != engine.user_units(vals, rec.prior_mean_[keys])
    mean, std = rec.predict(observed)
    np.testing.assert_array_equal(mean[keys], vals)
    assert not np.allclose(mean, engine.predict(observed)[0])
    # with nothing observed, the engine's units
    np.testing.assert_array_equal(rec.predict({})[0], engine.predict({})[0])
    # the slope is shrunk towards the training scale and clipped
    m = np.array([-1.0, 0.0, 1.0])
    assert prior_fit_units(10 * m, m, scale=1.0, strength=0.0)[1] == pytest.approx(5.0)
    assert prior_fit_units(2 * m + 3, m, scale=2.0)[0] == pytest.approx(3.0)


def test_standardised_rows_are_not_invariant_to_a_monotone_change():
    """The engine fits the normal scores of each row's ranks (tests/recommender/test_gplvm.py);
    standardised rows change with a monotone change of one dataset's scores."""
    Y, meta = _low_rank(seed=1)
    Y2 = Y.copy()
    Y2[0] = np.exp(3 * Y2[0])
    Y2[1] = Y2[1] ** 3 - 50.0
    c = StandardisedRows(n_latent=3, n_iter=10, random_state=0).fit(Y, meta)
    d = StandardisedRows(n_latent=3, n_iter=10, random_state=0).fit(Y2, meta)
    assert not np.allclose(c.embeddings_, d.embeddings_)
    np.testing.assert_array_equal(c.Y_, Y)
    assert refits(StandardisedRows) and not refits(PortfolioWarmStart)


def test_settings_map_to_classes_and_combine():
    cls, params = split_params({"warm_start": "nearest_best", "units": "prior", "n_warm_start": 3})
    assert issubclass(cls, NearestBestWarmStart) and issubclass(cls, PriorUnits) and params == {"n_warm_start": 3}
    assert variant_class({"units": "prior", "warm_start": "nearest_best"}) is cls
    assert split_params({"row_scores": "normal_scores", "n_iter": 0}) == (PMFRecommender, {"n_iter": 0})
    with pytest.raises(ValueError, match="warm_start must be one of"):
        variant_class({"warm_start": "best"})
    with pytest.raises(ValueError, match="not a research setting"):
        variant_class({"n_iter": 3})


def test_a_file_saved_with_a_research_setting_loads_as_its_variant(fitted):
    engine, _, meta = fitted
    state = {**engine.get_state(), "param_warm_start": np.array("portfolio"), "param_units": np.array("own")}
    with pytest.raises(ValueError, match="research setting"):
        PMFRecommender.from_state(state)
    rec = load_variant(state)
    assert type(rec) is PortfolioWarmStart
    assert rec.suggest({}, n=2, meta_features=meta[1]) == PortfolioWarmStart.from_state(engine.get_state()).suggest(
        {}, n=2, meta_features=meta[1])
    assert type(rec.with_params(n_warm_start=2)) is PortfolioWarmStart  # suggest-time settings keep the variant
