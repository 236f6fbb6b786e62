"""Mapping a new dataset's scores (the user's units) to the standardised units of the GP.

A new dataset's observations are not a random sample of its row: the first picks are pipelines
that look good a priori. So their centre is not the row mean; the rule below places it using
the prior mean of the pipelines observed (the average training row, or the nearest training
datasets' mean with ``PMFRecommender(neighbour_prior=True)``). A research alternative (a line
fitted through the prior means) lives in benchmarks/recommender_variants.py.
"""
from __future__ import annotations

import numpy as np

__all__ = ["own_units"]


def own_units(vals, prior_observed, center, scale):
    """``(c, s)`` with ``z = (vals - c) / s``: the observations' own spread, their mean at their
    pipelines' average prior mean; with fewer than 2 (or all equal), the training ``scale``;
    with none, ``(center, scale)``."""
    vals = np.asarray(vals, dtype=float)
    m = np.asarray(prior_observed, dtype=float)
    if vals.size >= 2:
        c, s = float(vals.mean()), float(vals.std())
        if s > 1e-12 * max(1.0, abs(c)):
            return c - s * float(m.mean()), s
    if vals.size == 0:
        return center, scale
    return float(vals.mean() - scale * m.mean()), scale

