"""Entry point of an evaluation child process (imported by the forkserver in advance)."""
from __future__ import annotations

import resource
import signal

# Imported here so the forkserver has them loaded before it forks children.
import catboost  # noqa: F401
import lightgbm  # noqa: F401
import sklearn.ensemble  # noqa: F401
import xgboost  # noqa: F401
from threadpoolctl import threadpool_limits

from automl_engine.evaluation.evaluate import FAILED, EvaluationResult, evaluate


def limit_memory(memory_mb: int | None) -> None:
    """Cap the data segment (heap and private anonymous mappings) of this process."""
    if memory_mb:
        cap = int(memory_mb) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_DATA, (cap, cap))


def child_main(connection, task, memory_mb) -> None:
    """Evaluate ``task`` single-threaded under the memory cap and send the result back.

    Ctrl-C reaches the whole process group: the child ignores it (the parent ends its children), so the
    user sees no child traceback. A parent that has gone away (its end of the pipe closed) gets no result.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    limit_memory(memory_mb)
    try:
        with threadpool_limits(limits=1):
            result = evaluate(task)
    except Exception as exc:  # noqa: BLE001 - e.g. the shared data already removed by an interrupted parent
        result = EvaluationResult(task.key, FAILED, error=f"the evaluation could not run ({type(exc).__name__}: {exc})")
    try:
        connection.send(result)
        connection.close()
    except OSError:  # BrokenPipeError: the parent stopped waiting (timeout, cancel, or it was interrupted)
        pass
