"""Small fitted recommenders for tests (no shipped knowledge needed)."""
import numpy as np

from automl_engine import PMFRecommender
from automl_engine.knowledge.metafeatures import META_FEATURE_NAMES


def fitted_recommender(n_pipelines, seed=0):
    """A PMF recommender on a synthetic low-rank matrix over ``n_pipelines``: (recommender, Y, meta-features)."""
    rng = np.random.default_rng(seed)
    Y = rng.normal(size=(12, 2)) @ rng.normal(size=(2, n_pipelines))
    Y[rng.random(Y.shape) < 0.5] = np.nan
    meta = rng.normal(size=(12, len(META_FEATURE_NAMES)))
    return PMFRecommender(n_latent=2, n_iter=10, random_state=0).fit(
        Y, meta_features=meta), Y, meta
