"""A fitted PMFRecommender as a flat dict of numpy arrays, and back (no pickling).

Constructor parameters are stored under ``param_<name>`` (``random_state`` only if it is an
int); ``meta_*`` entries only if the model has meta-features, ``pipeline_features_`` only if it
has descriptors, ``pipeline_groups_`` / ``pipeline_kinds_`` only if it has groups / kinds. ``np.load(path)``
(``allow_pickle=False``) can read the file back.
"""
from __future__ import annotations

import numbers

import numpy as np

__all__ = ["STATE_VERSION", "SUGGEST_TIME_PARAMS", "recommender_state", "restore_recommender"]

STATE_VERSION = 1
PARAM_NAMES = (
    "n_latent", "n_iter", "batch_size", "learning_rate", "n_warm_start", "random_state", "latent_prior", "units",
    "warm_start", "posterior_noise", "descriptor_variance", "descriptor_lengthscale", "warm_start_per_group",
    "row_scores", "warm_start_balance_kinds", "neighbour_prior",
)
SUGGEST_TIME_PARAMS = frozenset(
    {"n_warm_start", "units", "warm_start", "posterior_noise", "descriptor_variance", "descriptor_lengthscale",
     "warm_start_per_group", "warm_start_balance_kinds", "neighbour_prior"}
)
"""Parameters that only affect prediction and suggestions: changing them needs no refit."""
ARRAY_ATTRS = ("embeddings_", "kernel_raw_", "Y_", "prior_mean_", "pipeline_counts_", "row_mean_", "row_std_",
               "loss_curve_")
SCALAR_ATTRS = ("score_center_", "score_scale_", "nll_init_", "nll_", "n_latent_")
META_ATTRS = ("meta_features_", "meta_mean_", "meta_scale_")
OPTIONAL_ATTRS = ("pipeline_features_", "pipeline_groups_", "pipeline_kinds_")


def recommender_state(rec) -> dict:
    """The fitted ``rec`` as a dict of numpy arrays."""
    state = {"format_version": np.array(STATE_VERSION)}
    for name in PARAM_NAMES:
        v = getattr(rec, name)
        if name == "random_state" and not isinstance(v, numbers.Integral):
            continue
        state[f"param_{name}"] = np.array(v)
    for name in ARRAY_ATTRS + SCALAR_ATTRS:
        state[name] = np.array(getattr(rec, name))
    if rec.meta_features_ is not None:
        for name in META_ATTRS:
            state[name] = np.array(getattr(rec, name))
    for name in OPTIONAL_ATTRS:
        if getattr(rec, name, None) is not None:
            state[name] = np.array(getattr(rec, name))
    return state


def restore_recommender(cls, state):
    """An instance of ``cls`` with the parameters and fitted attributes of ``state`` (derived
    caches not rebuilt yet: the caller finalises it)."""
    keys = set(state.keys())
    version = int(np.asarray(state["format_version"])) if "format_version" in keys else None
    if version != STATE_VERSION:
        raise ValueError(f"unsupported recommender state version {version!r}.")
    params = {name: np.asarray(state[f"param_{name}"]).item() for name in PARAM_NAMES if f"param_{name}" in keys}
    rec = cls(**params)
    for name in ARRAY_ATTRS:
        setattr(rec, name, np.array(state[name]))
    for name in SCALAR_ATTRS:
        setattr(rec, name, np.asarray(state[name]).item())
    rec.n_latent_ = int(rec.n_latent_)
    if all(name in keys for name in META_ATTRS):
        for name in META_ATTRS:
            setattr(rec, name, np.array(state[name]))
    else:
        rec.meta_features_ = rec.meta_mean_ = rec.meta_scale_ = None
    for name in OPTIONAL_ATTRS:
        setattr(rec, name, np.array(state[name]) if name in keys else None)
    return rec
