"""What a fitted model is made of: the final estimator, its task and classes, its members and columns.

Shared by the explanations, the model files and the app; works on an ``AutoML``, a loaded model,
an ensemble or a plain scikit-learn estimator.
"""
from __future__ import annotations

import numpy as np
from sklearn.base import is_classifier
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline

from automl_engine.search.ensemble import EnsembleModel
from automl_engine.task import Task


def unwrap(model):
    """(final estimator, task, classes, column names or None) of an AutoML, loaded model or estimator."""
    if hasattr(model, "model_") and hasattr(model, "task_"):
        columns = list(getattr(model, "column_types_", {}) or []) or None
        classes = None if model.task_ == Task.REGRESSION else np.asarray(model.classes_)
        return model.model_, model.task_, classes, columns
    if isinstance(model, EnsembleModel):
        classes = None if model.task == Task.REGRESSION else np.asarray(model.classes_)
        return model, model.task, classes, None
    if is_classifier(model):
        classes = np.asarray(model.classes_)
        return model, "binary" if len(classes) == 2 else "multiclass", classes, None
    return model, "regression", None, None


def used_columns(pipeline) -> list[str] | None:
    """Columns a pipeline's leading ColumnTransformer reads, in its input order."""
    if not isinstance(pipeline, Pipeline) or not isinstance(pipeline.steps[0][1], ColumnTransformer):
        return None
    ct = pipeline.steps[0][1]
    names = list(getattr(ct, "feature_names_in_", []))
    used = set()
    for _, transformer, columns in ct.transformers_:
        if isinstance(transformer, str) and transformer == "drop":
            continue
        for c in np.atleast_1d(columns):
            used.add(names[c] if isinstance(c, (int, np.integer)) and names else str(c))
    return [c for c in names if c in used] or None


def members(estimator) -> list[tuple[float, object]]:
    """(weight, member) of an ensemble; [(1.0, estimator)] for a single model."""
    if isinstance(estimator, EnsembleModel):
        return [(float(w), e) for w, e in zip(estimator.weights_, estimator.estimators)]
    return [(1.0, estimator)]
