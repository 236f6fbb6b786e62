"""AutoML engine: a recommender system over a catalogue of ML pipelines.

Public API: ``AutoML``, ``PMFRecommender``, ``load_table``, ``load_model``, ``explain``, ``DataError``.
"""
from automl_engine.automl import AutoML
from automl_engine.errors import DataError
from automl_engine.intake import load_table
from automl_engine.recommender import PMFRecommender


def load_model(path):
    """Load a model saved by ``AutoML.save`` (see ``automl_engine.model_io.load_model``)."""
    from automl_engine.model_io import load_model as _load

    return _load(path)


def explain(model, X, **kwargs):
    """SHAP values of ``model`` on ``X`` in terms of the original columns (see ``automl_engine.explain``)."""
    from automl_engine.explain import explain as _explain

    return _explain(model, X, **kwargs)


__all__ = ["AutoML", "DataError", "PMFRecommender", "explain", "load_model", "load_table"]
