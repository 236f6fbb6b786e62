"""Entry point of an evaluation child process (imported by the forkserver in advance)."""
from __future__ import annotations

import resource

# Imported here so the forkserver has them loaded before it forks children.
import catboost  # noqa: F401
import lightgbm  # noqa: F401
import sklearn.ensemble  # noqa: F401
import xgboost  # noqa: F401
from threadpoolctl import threadpool_limits

from automl_engine.evaluation.evaluate import evaluate


def limit_memory(memory_mb: int | None) -> None:
    """Cap the data segment (heap and private anonymous mappings) of this process."""
    if memory_mb:
        cap = int(memory_mb) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_DATA, (cap, cap))


def child_main(connection, task, memory_mb) -> None:
    """Evaluate ``task`` single-threaded under the memory cap and send the result back."""
    limit_memory(memory_mb)
    with threadpool_limits(limits=1):
        result = evaluate(task)
    connection.send(result)
    connection.close()
