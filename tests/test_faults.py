"""Faults during a search: a lost Dask worker and a killed evaluation process — the search goes on."""
import os
import signal
import threading
import time

import dask
import distributed
import psutil
import pytest
from sklearn.datasets import load_iris

from automl_engine import AutoML

IRIS = load_iris(as_frame=True)


@pytest.mark.slow
def test_a_dask_worker_lost_mid_search_does_not_lose_the_search():
    with dask.config.set({"distributed.worker.daemon": False}):
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address=None) as cluster, distributed.Client(cluster) as client:
            pids = list(client.run(os.getpid).values())
            events = []

            def on_event(event):
                events.append(event)
                if len(events) == 1:  # lose a worker while the next evaluations are running
                    os.kill(pids[0], signal.SIGKILL)

            model = AutoML(max_evals=6, strategy="random", random_state=0, learn=False, n_folds=3, n_jobs=2,
                           dask_address=cluster.scheduler_address, ensemble=False)
            model.fit(IRIS.data, IRIS.target, on_event=on_event)
    assert len(model.history_) == 6
    assert sum(h["status"] == "ok" for h in model.history_) >= 4
    assert model.score(IRIS.data, IRIS.target) > 0.8


@pytest.mark.slow
def test_an_evaluation_process_killed_from_outside_is_a_failure_and_the_search_goes_on():
    """Kill the first evaluation child we can find (as an OOM killer or an operator would)."""
    killed = []
    stop = threading.Event()
    me = psutil.Process()

    def killer():
        while not stop.is_set() and not killed:
            for child in me.children(recursive=True):
                try:
                    cmd = " ".join(child.cmdline())
                except psutil.Error:
                    continue
                # evaluation children are forked from the forkserver, which is itself a child of ours
                if "forkserver" in cmd and child.parent() is not None and child.parent().pid != me.pid:
                    child.send_signal(signal.SIGKILL)
                    killed.append(child.pid)
                    return
            time.sleep(0.05)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    model = AutoML(max_evals=4, strategy="random", random_state=1, learn=False, n_folds=3, ensemble=False)
    model.fit(IRIS.data, IRIS.target)
    stop.set()
    assert killed, "an evaluation child was found and killed"
    statuses = [h["status"] for h in model.history_]
    assert len(statuses) == 4 and statuses.count("ok") >= 1
    assert any(s == "failed" and "killed (signal 9)" in h["error"] for s, h in zip(statuses, model.history_))
