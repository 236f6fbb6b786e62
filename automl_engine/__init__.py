"""AutoML engine: a recommender system over a catalogue of ML pipelines.

Public API: ``AutoML``, ``PMFRecommender``, ``load_table``, ``load_model``, ``explain``, ``DataError``.
"""
from automl_engine.automl import AutoML
from automl_engine.data.intake import load_table
from automl_engine.errors import DataError

# Imported eagerly (it needs no shap at import time): a lazy wrapper named ``explain`` would be
# replaced by the submodule ``automl_engine.explain`` as soon as anything imports that submodule.
from automl_engine.explain import explain
from automl_engine.recommender import PMFRecommender


def load_model(path):
    """Load a model saved by ``AutoML.save`` (see ``automl_engine.model.skops_io.load_model``)."""
    from automl_engine.model.skops_io import load_model as _load

    return _load(path)


__all__ = ["AutoML", "DataError", "PMFRecommender", "explain", "load_model", "load_table"]
