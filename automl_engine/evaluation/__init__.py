"""Folds, metrics and isolated evaluation of pipelines, locally or on a Dask cluster."""
from automl_engine.evaluation.evaluate import (
    CANCELLED,
    FAILED,
    MEMORY,
    OK,
    TIMEOUT,
    EvaluationResult,
    EvaluationTask,
    as_labels,
    classes_of,
    evaluate,
)
from automl_engine.evaluation.executor import Evaluator, Limits, available_cores, resolve_n_jobs
from automl_engine.evaluation.folds import make_folds, n_splits_for
from automl_engine.evaluation.isolation import run_isolated
from automl_engine.evaluation.metrics import DEFAULT_METRIC, METRICS, get_metric

__all__ = [
    "CANCELLED", "FAILED", "MEMORY", "OK", "TIMEOUT", "as_labels", "EvaluationResult", "EvaluationTask", "Evaluator",
    "Limits", "available_cores", "resolve_n_jobs",
    "DEFAULT_METRIC", "METRICS", "classes_of", "evaluate", "get_metric", "make_folds", "n_splits_for",
    "run_isolated",
]
