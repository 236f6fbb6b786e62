"""A fitted PMFRecommender as a flat dict of numpy arrays, and back (no pickling).

Constructor parameters are stored under ``param_<name>`` (``random_state`` only if it is an
int); ``meta_*`` entries only if the model has meta-features, ``pipeline_features_`` only if it
has descriptors, ``pipeline_groups_`` / ``pipeline_kinds_`` only if it has groups / kinds. ``np.load(path)``
(``allow_pickle=False``) can read the file back.

Files written before 2026-12 also store ``param_units``, ``param_warm_start`` and ``param_row_scores``,
switches whose research alternatives now live in benchmarks/recommender_variants.py: such a file
loads if it carries the one setting the engine has (:data:`RETIRED_PARAMS`), and is refused with
one sentence if it carries a research setting.
"""
from __future__ import annotations

import numbers

import numpy as np

__all__ = ["STATE_VERSION", "SUGGEST_TIME_PARAMS", "RETIRED_PARAMS", "recommender_state", "restore_recommender"]

STATE_VERSION = 1
PARAM_NAMES = (
    "n_latent", "n_iter", "batch_size", "learning_rate", "n_warm_start", "random_state", "latent_prior",
    "posterior_noise", "descriptor_variance", "descriptor_lengthscale", "warm_start_per_group",
    "warm_start_balance_kinds", "neighbour_prior",
)
SUGGEST_TIME_PARAMS = frozenset(
    {"n_warm_start", "posterior_noise", "descriptor_variance", "descriptor_lengthscale", "warm_start_per_group",
     "warm_start_balance_kinds", "neighbour_prior"}
)
"""Parameters that only affect prediction and suggestions: changing them needs no refit."""
RETIRED_PARAMS = {"units": "own", "warm_start": "neighbour_mean", "row_scores": "normal_scores"}
"""Parameters older files may store, with the only value the engine still implements."""
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
    for name, value in RETIRED_PARAMS.items():
        stored = np.asarray(state[f"param_{name}"]).item() if f"param_{name}" in keys else value
        if stored != value:
            raise ValueError(f"this recommender was saved with the research setting {name}={stored!r}, which the "
                             f"engine no longer has (it always uses {name}={value!r}); refit it, or replay it with "
                             f"benchmarks/recommender_variants.py.")
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
