"""Mapping a new dataset's scores (the user's units) to the standardised units of the GP.

A new dataset's observations are not a random sample of its row: the first picks are pipelines
that look good a priori. So their centre is not the row mean; both rules below place it using
the prior mean ``prior`` of the pipelines observed (the average training row, or the nearest
training datasets' mean with ``PMFRecommender(neighbour_prior=True)``).
"""
from __future__ import annotations

import numpy as np

__all__ = ["own_units", "prior_fit_units"]


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


def prior_fit_units(vals, prior_observed, scale, strength=2.0):
    """Fit ``vals ≈ c + s * prior_observed``: the slope ``s`` shrunk towards the training
    ``scale`` (weight ``strength``, clipped to 0.2–5 times it), then ``c``."""
    vals = np.asarray(vals, dtype=float)
    m = np.asarray(prior_observed, dtype=float)
    spread = float(np.sum((m - m.mean()) ** 2))
    s = scale
    if vals.size >= 3 and spread > 0:
        slope = float(np.sum((m - m.mean()) * (vals - vals.mean())) / spread)
        s = (spread * slope + strength * scale) / (spread + strength)
        s = float(np.clip(s, 0.2 * scale, 5.0 * scale))
    return float(np.mean(vals - s * m)), s
