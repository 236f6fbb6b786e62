"""What the search needs of a recommender, and what a suggestion carries.

Any object with ``suggest`` and ``predict`` as below can drive a search: the PMF recommender,
uniform random sampling, the local warm start that wraps another recommender, or a test double.

Examples
--------
>>> s = Suggestion(7, "random")
>>> s == 7, s.source, [10, 20, 30, 40, 50, 60, 70, 80][s]
(True, 'random', 80)
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Protocol, runtime_checkable

import numpy as np

WARM_START, LOCAL_RUN, EXPECTED_IMPROVEMENT, RANDOM, CATALOGUE_ORDER, FALLBACK, PROMOTED = (
    "warm start", "local run", "expected improvement", "random", "catalogue order", "fallback", "promoted")
SOURCES = (WARM_START, LOCAL_RUN, EXPECTED_IMPROVEMENT, RANDOM, CATALOGUE_ORDER, FALLBACK, PROMOTED)
"""Where a pick came from: the nearest training datasets, the user's own earlier runs, expected
improvement on the GP posterior, uniform sampling, the catalogue's order (pipelines the
knowledge does not cover yet, once the covered ones are used up), or the cheapest pipelines after
a search in which nothing succeeded; or, on a large table, a pipeline promoted to more rows for being
among the best of its rung (:mod:`automl_engine.search.fidelity`)."""


class Suggestion(int):
    """A pipeline index (it *is* the ``int``) with its source and the score predicted before evaluation.

    An ``int`` so that code expecting a list of indices keeps working (``rec.suggest(...)`` has
    always returned indices).
    """

    source: str
    predicted_score: float
    predicted_std: float

    def __new__(cls, index: int, source: str, predicted_score: float = math.nan, predicted_std: float = math.nan):
        if source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}, not {source!r}")
        suggestion = super().__new__(cls, int(index))
        suggestion.source = source
        suggestion.predicted_score = float(predicted_score)
        suggestion.predicted_std = float(predicted_std)
        return suggestion

    def __repr__(self) -> str:
        return (f"Suggestion({int(self)}, {self.source!r}, predicted_score={self.predicted_score:.4g}, "
                f"predicted_std={self.predicted_std:.4g})")


def suggestions(picks: Iterable[int], source: str, mean: np.ndarray | None = None,
                std: np.ndarray | None = None) -> list[Suggestion]:
    """``picks`` as suggestions from ``source``, with the predicted mean and std of each (NaN if none)."""
    return [Suggestion(j, source, math.nan if mean is None else mean[j], math.nan if std is None else std[j])
            for j in picks]


@runtime_checkable
class Recommender(Protocol):
    """Proposes pipelines (catalogue indices) for a dataset, given the scores observed on it so far."""

    def suggest(self, observed: Mapping[int, float], n: int = 1, meta_features=None, costs=None,
                exclude: Iterable[int] = ()) -> list[Suggestion]:
        """``n`` distinct pipelines to evaluate next, none of them observed or excluded."""

    def predict(self, observed: Mapping[int, float], meta_features=None) -> tuple[np.ndarray, np.ndarray]:
        """Predicted score mean and standard deviation of every pipeline (NaN where unknown)."""
