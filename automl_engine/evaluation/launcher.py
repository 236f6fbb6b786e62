"""A forkserver context whose children never import the parent's ``__main__``.

multiprocessing's ``spawn`` and ``forkserver`` children re-run the parent's main script (as
``__mp_main__``) so that objects defined there can be unpickled. Evaluation children need nothing
from it: their target and arguments live in this package. Re-running a user's script that has no
``if __name__ == "__main__":`` guard would start its search again inside every child (which
multiprocessing refuses), and a script read from stdin has no file to import at all. So the
preparation data this context sends to a child leaves the main module out; everything else
(``sys.path``, the working directory, the authentication key) is passed as usual.

Examples
--------
>>> ctx = no_main_context()
>>> ctx.get_start_method()
'forkserver'
"""
from __future__ import annotations

import io
import os
from multiprocessing import context, forkserver, popen_forkserver, spawn, util

MAIN_MODULE_KEYS = ("init_main_from_name", "init_main_from_path")


def preparation_data(name: str) -> dict:
    """What a child needs from its parent (``spawn.get_preparation_data``), minus the main module."""
    data = spawn.get_preparation_data(name)
    for key in MAIN_MODULE_KEYS:
        data.pop(key, None)
    return data


class _NoMainPopen(popen_forkserver.Popen):
    """CPython's forkserver ``Popen._launch`` with :func:`preparation_data` as the preparation data."""

    def _launch(self, process_obj):
        prep_data = preparation_data(process_obj._name)
        buf = io.BytesIO()
        context.set_spawning_popen(self)
        try:
            context.reduction.dump(prep_data, buf)
            context.reduction.dump(process_obj, buf)
        finally:
            context.set_spawning_popen(None)
        self.sentinel, w = forkserver.connect_to_new_process(self._fds)
        parent_w = os.dup(w)  # the parent's sentinel, as in CPython
        self.finalizer = util.Finalize(self, util.close_fds, (parent_w, self.sentinel))
        with open(w, "wb", closefd=True) as f:
            f.write(buf.getbuffer())
        self.pid = forkserver.read_signed(self.sentinel)


class _NoMainProcess(context.ForkServerProcess):
    @staticmethod
    def _Popen(process_obj):
        return _NoMainPopen(process_obj)


class _NoMainContext(context.ForkServerContext):
    Process = _NoMainProcess


def no_main_context(preload: list[str] | None = None) -> context.BaseContext:
    """A forkserver context (modules in ``preload`` imported once in the server) that skips ``__main__``."""
    ctx = _NoMainContext()
    if preload:
        ctx.set_forkserver_preload(preload)
    return ctx
