"""Work a page starts and must not lose when the user navigates away: holdout diagnostics, SHAP values.

A :class:`Task` runs one function in a daemon thread (no Streamlit calls there); the page polls it.
Tasks live on the server's :class:`TaskBoard` (one per process, ``st.cache_resource``), keyed by
the owner, the run and what is computed, so leaving a page, coming back, or reloading the tab
finds the same task, running or done. The board forgets the oldest finished tasks beyond ``keep``.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Callable

RUNNING, DONE, FAILED = "running", "done", "failed"


class Task:
    """``fn(progress)`` in a thread; ``progress(fraction, message)`` updates what the page shows.

    ``status`` is running, done or failed; ``result`` the return value; ``error`` a sentence.
    """

    def __init__(self, fn: Callable, describe_error: Callable[[Exception], str] | None = None):
        self.status, self.result, self.error = RUNNING, None, None
        self.fraction, self.message = 0.0, "starting"
        self.started, self.ended = time.time(), None
        self._fn, self._describe = fn, describe_error or (lambda exc: f"{type(exc).__name__}: {exc}")
        self._thread = threading.Thread(target=self._run, name="app-task", daemon=True)

    def start(self) -> "Task":
        self._thread.start()
        return self

    def _progress(self, fraction: float, message: str) -> None:
        self.fraction, self.message = max(0.0, min(1.0, float(fraction))), str(message)

    def _run(self) -> None:
        try:
            self.result = self._fn(self._progress)
            self.status = DONE
        except Exception as exc:  # noqa: BLE001 - the page shows a sentence, never a traceback
            self.error = self._describe(exc)
            self.status = FAILED
        finally:
            self.ended = time.time()

    @property
    def running(self) -> bool:
        return self.status == RUNNING

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the task ends (tests); True if it has."""
        self._thread.join(timeout)
        return not self.running

    def elapsed(self) -> float:
        return (self.ended or time.time()) - self.started


class TaskBoard:
    """Tasks by key; :meth:`start` returns the running or finished task of a key instead of a second one."""

    def __init__(self, keep: int = 64):
        self.keep = keep
        self._tasks: OrderedDict[tuple, Task] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Task | None:
        with self._lock:
            return self._tasks.get(key)

    def start(self, key: tuple, fn: Callable, describe_error: Callable[[Exception], str] | None = None,
              retry_failed: bool = True) -> Task:
        """The task of ``key``: the existing one, or a new one running ``fn`` (a failed one is retried)."""
        with self._lock:
            task = self._tasks.get(key)
            if task is not None and not (retry_failed and task.status == FAILED):
                self._tasks.move_to_end(key)
                return task
            task = Task(fn, describe_error)
            self._tasks[key] = task
            finished = [k for k, t in self._tasks.items() if not t.running]
            for old in finished[:max(0, len(self._tasks) - self.keep)]:
                del self._tasks[old]
        return task.start()

    def put(self, key: tuple, result, message: str = "derived") -> Task:
        """A finished task holding ``result`` (work derived from another task's result, no thread);
        ``message`` says how it was obtained."""
        task = Task(lambda progress: result)
        task._run()
        task.message = message
        with self._lock:
            self._tasks[key] = task
        return task

    def find(self, prefix: tuple) -> list[tuple[tuple, Task]]:
        """(key, task) of every key starting with ``prefix``, oldest first."""
        with self._lock:
            return [(k, t) for k, t in self._tasks.items() if k[:len(prefix)] == prefix]
