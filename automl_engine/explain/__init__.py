"""SHAP explanations of a fitted model, mapped back to the user's original columns.

* :mod:`.explainer` — ``explain`` and ``Explanation`` (exact tree / linear explainers, or permutation);
* :mod:`.permutation` — the model-agnostic permutation explainer over original-column groups;
* :mod:`.budget` — how many rows and permutations fit in the time budget.
"""
from automl_engine.explain.explainer import ADDITIVITY_TOLERANCE, TIME_BUDGET_SECONDS, Explanation, explain

__all__ = ["ADDITIVITY_TOLERANCE", "TIME_BUDGET_SECONDS", "Explanation", "explain"]
