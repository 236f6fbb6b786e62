"""Run one evaluation in a child process with a wall-clock timeout and a memory cap.

No signals: the parent waits on a pipe with a timeout and kills the child when it expires,
so this works from any thread (the app runs searches off the main thread). Children are
forked from a forkserver that has the heavy libraries imported, so a start costs milliseconds,
and they never re-run the user's ``__main__`` (see ``launcher``).
"""
from __future__ import annotations

import logging
import threading
import time
from multiprocessing import forkserver

from automl_engine.errors import WorkerStartError
from automl_engine.evaluation.evaluate import (
    CANCELLED,
    FAILED,
    TIMEOUT,
    EvaluationResult,
    EvaluationTask,
)
from automl_engine.evaluation.launcher import no_main_context

logger = logging.getLogger(__name__)

PRELOAD = ["automl_engine.evaluation.child"]
KILLED_GRACE_SECONDS = 5.0
POLL_SECONDS = 0.25


def _context():
    return no_main_context(PRELOAD)


def warm_up() -> threading.Thread:
    """Start the process server that forks evaluation children, in a background thread.

    The server imports the heavy libraries once (a few seconds, 30 s on a loaded machine); started
    while the table is being prepared, that time is not taken from the first evaluations. Starting
    is idempotent and locked, so a child started meanwhile simply waits for the server.
    """
    def start() -> None:
        try:
            _context()  # sets the server's preload
            forkserver.ensure_running()
        except Exception as exc:  # noqa: BLE001 - the first evaluation starts it (and reports a failure) anyway
            logger.debug("could not start the evaluation process server early: %s", exc)

    thread = threading.Thread(target=start, name="automl-worker-warm-up", daemon=True)
    thread.start()
    return thread


def _wait_for_result(receiver, timeout: float | None, cancel) -> str:
    """"ready", "timeout" or "cancelled"; polls briefly so a cancel is noticed at once."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        step = POLL_SECONDS if deadline is None else max(0.0, min(POLL_SECONDS, deadline - time.monotonic()))
        if receiver.poll(step):
            return "ready"
        if cancel is not None and cancel.is_set():
            return "cancelled"
        if deadline is not None and time.monotonic() >= deadline:
            return "timeout"


def run_isolated(task: EvaluationTask, timeout: float | None = 300.0, memory_mb: int | None = 4096,
                 cancel=None) -> EvaluationResult:
    """Evaluate ``task`` in a fresh child process; a crash, hang or memory blow-up is a failed result.

    Parameters
    ----------
    task : EvaluationTask
    timeout : float or None
        Wall-clock seconds from this call (starting the child included) before the child is killed.
    memory_mb : int or None
        Cap on the child's data segment (heap and anonymous mappings), in MiB.
    cancel : threading.Event, optional
        When set, the child is killed and the result has status "cancelled".
    """
    from automl_engine.evaluation.child import child_main

    if cancel is not None and cancel.is_set():  # the search is ending (stopped or interrupted): start nothing
        return EvaluationResult(task.key, CANCELLED, error="the evaluation was cancelled")
    ctx = _context()
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(target=child_main, args=(sender, task, memory_mb), daemon=True)
    start = time.perf_counter()
    try:
        process.start()
    except Exception as exc:  # noqa: BLE001 - any launch failure is the environment's, not the pipeline's
        sender.close()
        receiver.close()
        if "daemonic processes are not allowed to have children" in str(exc):  # a default Dask worker
            raise WorkerStartError("the Dask workers cannot start evaluation processes because they are daemonic; "
                                   "start them with DASK_DISTRIBUTED__WORKER__DAEMON=False (or the config "
                                   "distributed.worker.daemon: false)") from exc
        raise WorkerStartError(f"the evaluation worker process could not start ({type(exc).__name__}: {exc})") from exc
    sender.close()
    try:
        left = None if timeout is None else max(0.0, timeout - (time.perf_counter() - start))
        outcome = _wait_for_result(receiver, left, cancel)
        if outcome == "ready":
            try:
                result = receiver.recv()
            except EOFError:
                result = None
        else:
            process.kill()
            process.join(KILLED_GRACE_SECONDS)
            if outcome == "cancelled":
                return EvaluationResult(task.key, CANCELLED, error="the evaluation was cancelled",
                                        wall_time=time.perf_counter() - start)
            return EvaluationResult(task.key, TIMEOUT, error=f"the pipeline did not finish within {timeout:g} s",
                                    wall_time=time.perf_counter() - start)
        process.join(KILLED_GRACE_SECONDS)
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
            process.join(KILLED_GRACE_SECONDS)
    if result is None:
        return EvaluationResult(task.key, FAILED, error=_died(process.exitcode), wall_time=time.perf_counter() - start)
    return result


def _died(code: int | None) -> str:
    """Why a child sent no result. A memory cap is a ``MemoryError`` in the child (reported by ``evaluate``
    as "memory"), so a child ended by a signal, SIGKILL included, was killed: a failed evaluation."""
    if code is not None and code < 0:
        return f"the worker process was killed (signal {-code})"
    return f"the worker process died (exit code {code})"
