"""Uniform sampling of the catalogue without replacement: the baseline of every comparison."""
from __future__ import annotations

import numpy as np

from automl_engine.recommender.protocol import RANDOM, Suggestion, suggestions


class RandomRecommender:
    """Picks pipelines in one fixed random order (seeded), skipping those observed or excluded.

    Examples
    --------
    >>> rec = RandomRecommender(10, random_state=0)
    >>> picks = rec.suggest({}, n=3)
    >>> len(set(picks)), picks[0].source
    (3, 'random')
    """

    def __init__(self, n_pipelines: int, random_state=None):
        self.n_pipelines = n_pipelines
        self.order = np.random.default_rng(random_state).permutation(n_pipelines)

    def predict(self, observed, meta_features=None):
        nan = np.full(self.n_pipelines, np.nan)
        return nan, nan.copy()

    def suggest(self, observed, n=1, meta_features=None, costs=None, exclude=()) -> list[Suggestion]:
        taken = set(observed) | set(exclude)
        return suggestions([int(i) for i in self.order if int(i) not in taken][:n], RANDOM)
