"""Pipeline recommender: GP-LVM probabilistic matrix factorisation (Fusi et al., 2018).

* :class:`PMFRecommender` — fit on a datasets x pipelines score matrix, then ``predict`` /
  ``suggest`` for a new dataset.
* :mod:`.acquisition` — expected improvement and its stable logarithm (pure functions).
* :mod:`.kernels`, :mod:`.gp` — the kernel and the Gaussian-process maths (pure).
* :mod:`.warmstart` — nearest datasets in meta-feature space (pure).
"""

from .acquisition import cost_aware_log_ei, expected_improvement, log_expected_improvement
from .gplvm import PMFRecommender

__all__ = [
    "PMFRecommender",
    "expected_improvement",
    "log_expected_improvement",
    "cost_aware_log_ei",
]
