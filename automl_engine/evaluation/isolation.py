"""Run one evaluation in a child process with a wall-clock timeout and a memory cap.

No signals: the parent waits on a pipe with a timeout and kills the child when it expires,
so this works from any thread (the app runs searches off the main thread). Children are
forked from a forkserver that has the heavy libraries imported, so a start costs milliseconds.
"""
from __future__ import annotations

import logging
import multiprocessing
import time

from automl_engine.evaluation.evaluate import (
    FAILED, MEMORY, TIMEOUT, EvaluationResult, EvaluationTask, evaluate,
)

logger = logging.getLogger(__name__)

PRELOAD = ["automl_engine.evaluation.child"]
KILLED_GRACE_SECONDS = 5.0


def _context():
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


def run_isolated(task: EvaluationTask, timeout: float | None = 300.0, memory_mb: int | None = 4096) -> EvaluationResult:
    """Evaluate ``task`` in a fresh child process; a crash, hang or memory blow-up is a failed result.

    Parameters
    ----------
    task : EvaluationTask
    timeout : float or None
        Wall-clock seconds before the child is killed.
    memory_mb : int or None
        Cap on the child's data segment (heap and anonymous mappings), in MiB.
    """
    from automl_engine.evaluation.child import child_main

    ctx = _context()
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(target=child_main, args=(sender, task, memory_mb), daemon=True)
    start = time.perf_counter()
    process.start()
    sender.close()
    try:
        if receiver.poll(timeout):
            try:
                result = receiver.recv()
            except EOFError:
                result = None
        else:
            process.kill()
            process.join(KILLED_GRACE_SECONDS)
            return EvaluationResult(task.key, TIMEOUT, error=f"the pipeline did not finish within {timeout:g} s",
                                    wall_time=time.perf_counter() - start)
        process.join(KILLED_GRACE_SECONDS)
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
            process.join(KILLED_GRACE_SECONDS)
    if result is None:
        code = process.exitcode
        status = MEMORY if code in (-9,) else FAILED
        return EvaluationResult(task.key, status, error=f"the worker process died (exit code {code})",
                                wall_time=time.perf_counter() - start)
    return result
