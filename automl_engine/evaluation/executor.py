"""Dispatch isolated evaluations to local worker threads or to a Dask cluster: one code path.

Either way each evaluation runs through :func:`run_isolated` (a child process with a
timeout and a memory cap); only where that call happens differs.
"""
from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import queue
import threading
import uuid
from concurrent.futures import CancelledError, ThreadPoolExecutor
from dataclasses import dataclass

from automl_engine.errors import DataError, WorkerStartError
from automl_engine.evaluation.evaluate import (
    CANCELLED,
    FAILED,
    EvaluationResult,
    EvaluationTask,
)
from automl_engine.evaluation.isolation import run_isolated
from automl_engine.evaluation.shared_data import SharedData

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    """Per-evaluation limits."""

    timeout: float | None = 300.0
    memory_mb: int | None = 4096


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask where the system has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not every system has an affinity mask
        return max(1, os.cpu_count() or 1)


def resolve_n_jobs(n_jobs: int | None) -> int:
    """Evaluations at once: ``n_jobs`` itself, or every available core for ``-1`` / ``None``."""
    if n_jobs is None or int(n_jobs) < 0:
        return available_cores()
    return max(1, int(n_jobs))


SCATTERED = "scattered"
"""What a task carries in place of X and y when they were scattered to the Dask workers."""


def _run_on_worker(task: EvaluationTask, X, y, timeout, memory_mb) -> EvaluationResult:
    """On a Dask worker: the scattered table (resolved by Dask) goes into the task, then as locally."""
    if X is not None:
        task = dataclasses.replace(task, X=X, y=y)
    return run_isolated(task, timeout, memory_mb)


class Evaluator:
    """Runs evaluations concurrently; results come back in completion order.

    Parameters
    ----------
    n_jobs : int
        Evaluations in flight at once (local child processes, or Dask tasks).
    dask_address : str, optional
        ``tcp://host:port`` of a Dask scheduler; its workers must be non-daemonic
        (``DASK_DISTRIBUTED__WORKER__DAEMON=False``) so they can start evaluation children.
    limits : Limits

    Examples
    --------
    >>> with Evaluator(n_jobs=2) as ev:            # doctest: +SKIP
    ...     ev.submit(task)
    ...     result = ev.next_result()
    """

    def __init__(self, n_jobs: int | None = -1, dask_address: str | None = None, limits: Limits = Limits()):
        self.n_jobs = resolve_n_jobs(n_jobs)
        self.dask_address = dask_address
        self.limits = limits
        self._done: queue.Queue = queue.Queue()
        self._in_flight = 0
        self._client = None
        self._pool = None
        self._cancel = threading.Event()
        self._futures: dict = {}
        self._shared = None      # SharedData of local workers
        self._scattered = None   # (X, y) futures on a Dask cluster
        if dask_address:
            try:
                from distributed import Client
            except ImportError as exc:  # dask is an extra: the engine runs locally without it
                raise DataError("install automl-engine[dask] (pip install 'automl-engine[dask]') "
                                "to use a Dask scheduler") from exc
            self._client = Client(dask_address, timeout="20s")
        else:
            self._pool = ThreadPoolExecutor(max_workers=self.n_jobs, thread_name_prefix="automl-eval")

    @property
    def in_flight(self) -> int:
        """Evaluations submitted whose result has not been taken yet."""
        return self._in_flight

    def share(self, X, y):
        """Put the table where every evaluation can read it, once per search: (X handle, y handle) for tasks.

        Local workers get memory-mapped files (:mod:`.shared_data`); a Dask cluster gets the data
        scattered to every worker once. Tasks then carry the handles instead of the data.
        """
        if self._client is not None:
            self._scattered = tuple(self._client.scatter([X, y], broadcast=True))
            return SCATTERED, SCATTERED
        self._shared = SharedData(X, y)
        return self._shared.X, self._shared.y

    def submit(self, task: EvaluationTask, timeout: float | None = None) -> None:
        """Start evaluating ``task``; its result arrives through :meth:`next_result`.

        ``timeout`` overrides the evaluator's limit for this task (a search near its deadline).
        """
        self._in_flight += 1
        timeout = self.limits.timeout if timeout is None else timeout
        if self._client is not None:
            data = self._scattered if task.X is SCATTERED else (None, None)
            future = self._client.submit(_run_on_worker, task, *data, timeout, self.limits.memory_mb,
                                         pure=False, key=f"eval-{uuid.uuid4().hex}")
        else:
            future = self._pool.submit(run_isolated, task, timeout, self.limits.memory_mb, self._cancel)
        self._futures[task.key] = future
        future.add_done_callback(lambda f, key=task.key: self._done.put((key, f)))

    def cancel_all(self) -> None:
        """Kill the evaluations in flight; their results arrive with status "cancelled" (or are dropped)."""
        self._cancel.set()
        if self._client is not None:
            self._client.cancel(list(self._futures.values()))

    def drain(self, timeout: float = 30.0) -> list[EvaluationResult]:
        """Collect the evaluations in flight (after :meth:`cancel_all`); later submissions run normally.

        Evaluations not reported within ``timeout`` seconds are forgotten.
        """
        results = []
        while self._in_flight:
            result = self.next_result(timeout=timeout)
            if result is None:
                self._in_flight = 0
                break
            results.append(result)
        self._cancel = threading.Event()
        return results

    def next_result(self, timeout: float | None = None) -> EvaluationResult | None:
        """The next finished evaluation, or None if none finished within ``timeout`` seconds."""
        try:
            key, future = self._done.get(timeout=timeout)
        except queue.Empty:
            return None
        self._in_flight -= 1
        self._futures.pop(key, None)
        try:
            return future.result()
        except (CancelledError, asyncio.CancelledError):
            return EvaluationResult(key, CANCELLED, error="the evaluation was cancelled")
        except WorkerStartError:  # no evaluation can run here: the search must stop and say so
            raise
        except Exception as exc:  # noqa: BLE001 - a lost worker is a failed evaluation
            logger.warning("evaluation %s was lost: %s", key, exc)
            return EvaluationResult(key, FAILED, error=f"the worker was lost ({type(exc).__name__}: {exc})"[:500])

    def as_completed(self, n: int | None = None, stop=None, poll: float = 0.5):
        """Yield finished evaluations as they complete: ``n`` of them (default: all in flight).

        Stops early, without waiting, once ``stop`` (a ``threading.Event``) is set.
        """
        remaining = self._in_flight if n is None else n
        while remaining > 0 and not (stop is not None and stop.is_set()):
            result = self.next_result(timeout=poll)
            if result is not None:
                remaining -= 1
                yield result

    def close(self) -> None:
        """Stop dispatching; running local children finish or time out; shared data is released."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        if self._shared is not None:
            self._shared.close()
        if self._client is not None:
            self._client.close()

    def __enter__(self) -> "Evaluator":
        return self

    def __exit__(self, exc_type, *exc) -> None:
        if exc_type is not None:  # interrupted or failed: end the children now, not at their timeouts
            self._cancel.set()
        self.close()
