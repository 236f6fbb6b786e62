"""benchmarks/time_replay.py: a search stops when the next pick would overrun its seconds, and the strategies
differ only in how predicted costs enter the picks."""
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import time_replay  # noqa: E402


class CheapestFirst:
    """Picks the cheapest open pipeline by the costs it is given; without costs, the highest index."""

    def __init__(self):
        self.costs_seen = []

    def suggest(self, observed, n=1, meta_features=None, costs=None, exclude=()):
        self.costs_seen.append(None if costs is None else np.asarray(costs).copy())
        open_ = [j for j in range(4) if j not in observed and j not in exclude]
        return [min(open_, key=(lambda j: costs[j]) if costs is not None else (lambda j: -j))]


SCORES = np.array([0.1, 0.2, 0.3, 0.9])
TIMES = np.array([1.0, 1.0, 1.0, 10.0])
ALL = np.ones(4, dtype=bool)


def test_cost_aware_picks_spend_the_budget_on_cheap_pipelines_and_stop_before_overrunning():
    found = time_replay.replay_timed(CheapestFirst(), SCORES, TIMES, ALL, None, TIMES, 3.0, "EI per second")
    assert found == 0.3                                    # 0, 1, 2 fit in 3 s; 3 would overrun
    found = time_replay.replay_timed(CheapestFirst(), SCORES, TIMES, ALL, None, TIMES, 3.0, "EI")
    assert found == 0.9                                    # the first pick is always made, even over the budget
    recommender = CheapestFirst()
    time_replay.replay_timed(recommender, SCORES, TIMES, ALL, None, TIMES, 12.0, "EI")
    assert all(c is None for c in recommender.costs_seen)  # plain EI never sees costs


def test_cooling_weighs_costs_less_as_the_budget_is_spent():
    recommender = CheapestFirst()
    prior = np.array([1.0, 2.0, 4.0, 8.0])
    time_replay.replay_timed(recommender, SCORES, TIMES, ALL, None, prior, 4.0, "EI per second^a, cooled")
    first, second = recommender.costs_seen[:2]
    np.testing.assert_allclose(first, prior)               # nothing spent: cost to the power 1
    # one second of four spent: power 3/4, and the prior scaled by the speed measured on the first pick (1 s / 1 s)
    np.testing.assert_allclose(second, prior ** 0.75)


def test_random_search_takes_what_fits_and_the_cost_prior_uses_training_rows_only():
    assert time_replay.random_timed(SCORES, TIMES, ALL, 100.0, seeds=5) == 0.9
    assert time_replay.random_timed(SCORES, TIMES, ALL, 0.5, seeds=20) < 0.9   # one pick each: not always the best
    walls = np.array([[1.0, 4.0], [3.0, np.nan], [100.0, 100.0]])
    np.testing.assert_allclose(time_replay.cost_prior(walls, np.array([True, True, False])), [2.0, 4.0])
