"""AutoML engine: a recommender system over a catalogue of ML pipelines."""
from automl_engine.errors import DataError

__all__ = ["DataError"]
