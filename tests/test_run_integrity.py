"""Resume and the run store keep their integrity (issue 23, item 3).

A resume on another table, target, task or metric is refused; a run in progress in another process
is refused (a lease that expires after a crash); an evaluation is never overwritten; a run that
fails after it was created is marked failed; an older runs.sqlite gains the new columns. The
two-process cases use real processes against one runs.sqlite.
"""
import json
import os
import sqlite3
import subprocess
import sys
import time

import pandas as pd
import pytest
from sklearn.datasets import load_diabetes, load_wine

from automl_engine.data.fingerprint import fingerprint
from automl_engine.data.intake import load_table
from automl_engine.errors import DataError
from automl_engine.store.runs import FAILED, LeaseLost, RunInProgress, RunStore

HOLD_LEASE = """
import sys, time
from automl_engine.store.runs import RunStore
lease = RunStore(sys.argv[1]).lease(sys.argv[2], seconds=float(sys.argv[3]))
print("claimed", flush=True)
time.sleep(600)
"""


def automl(*args, data_dir, timeout=600):
    env = {**os.environ, "AUTOML_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "automl_engine.cli", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, env=env)


def automl_popen(*args, data_dir):
    env = {**os.environ, "AUTOML_DATA_DIR": str(data_dir)}
    return subprocess.Popen([sys.executable, "-m", "automl_engine.cli", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def hold_lease(store_path, run_id, seconds):
    """Another process that claims the run and keeps its claim renewed until it is killed."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LEASE, str(store_path), run_id, str(seconds)],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "claimed"
    return holder


def as_text(records):
    """Records as comparable text (NaN scores compare equal)."""
    return [json.dumps(r, sort_keys=True, default=str) for r in records]


def one_line_error(result, *words):
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in result.stderr, result.stderr
    for word in words:
        assert word in lines[0], lines[0]


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tables")
    load_wine(as_frame=True).frame.to_csv(folder / "wine.csv", index=False)
    load_diabetes(as_frame=True).frame.to_csv(folder / "diabetes.csv", index=False)
    return folder / "wine.csv", folder / "diabetes.csv"


def stored_run(store, wine_csv, n_evaluations=2):
    """A finished classification run of wine.csv with a few evaluations, as `automl fit` records it."""
    run_id = store.create(name="wine.csv", target="target", settings={"exclude": []}, task="multiclass",
                          metric="balanced_accuracy", fingerprint=fingerprint(load_table(wine_csv)))
    for i in range(1, n_evaluations + 1):
        store.add_evaluation(run_id, {"iteration": i, "pipeline_index": i, "pipeline_id": f"p{i}", "status": "ok",
                                      "score": 0.9 + i / 100, "finished_at": float(i)})
    store.update(run_id, status="finished")
    return run_id


# -- the store ------------------------------------------------------------------------------------
def test_an_evaluation_is_never_overwritten(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite")
    run_id = store.create(name="t", target="y", settings={})
    assert store.add_evaluation(run_id, {"iteration": 1, "status": "ok", "score": 0.5})
    assert not store.add_evaluation(run_id, {"iteration": 1, "status": "ok", "score": 0.99})
    assert [r["score"] for r in store.history(run_id)] == [0.5]
    assert store.get(run_id)["best_score"] == 0.5 and store.get(run_id)["n_evaluations"] == 1


def test_a_lease_refuses_a_second_claim_fences_writes_and_expires(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite")
    run_id = store.create(name="t", target="y", settings={})
    first = store.lease(run_id, seconds=0.5)
    first._done.set()                       # a process that stopped renewing (frozen, or killed)
    with pytest.raises(RunInProgress, match="in progress in another process"):
        store.lease(run_id)
    time.sleep(0.6)                         # expired: another process may take the run over
    second = store.lease(run_id)
    assert store.lease_holder(run_id)[0] == second.token
    with pytest.raises(LeaseLost):          # the first process can no longer write to it
        store.add_evaluation(run_id, {"iteration": 1, "status": "ok", "score": 0.5}, token=first.token)
    with pytest.raises(LeaseLost):
        store.update(run_id, token=first.token, status="finished")
    assert store.add_evaluation(run_id, {"iteration": 1, "status": "ok", "score": 0.7}, token=second.token)
    second.release()
    assert store.lease_holder(run_id) is None and store.history(run_id)[0]["score"] == 0.7


def test_an_older_run_store_gains_the_new_columns(tmp_path):
    path = tmp_path / "runs.sqlite"
    with sqlite3.connect(path) as db:       # the schema before leases
        db.executescript("""
            CREATE TABLE runs (id TEXT PRIMARY KEY, created REAL, updated REAL, status TEXT, owner TEXT, name TEXT,
                target TEXT, task TEXT, metric TEXT, settings TEXT, data_path TEXT, fingerprint TEXT,
                best_score REAL, n_evaluations INTEGER DEFAULT 0, model_path TEXT, message TEXT);
            CREATE TABLE run_evaluations (run_id TEXT NOT NULL, iteration INTEGER NOT NULL, record TEXT NOT NULL,
                PRIMARY KEY (run_id, iteration));
            INSERT INTO runs (id, status, target, settings) VALUES ('old', 'running', 'y', '{}');
        """)
    store = RunStore(path)
    assert store.get("old")["target"] == "y" and store.get("old")["lease_owner"] is None
    store.lease("old").release()
    assert RunStore(path).get("old")["status"] == "running"  # opening it again changes nothing


# -- the command line -------------------------------------------------------------------------------
@pytest.mark.slow
def test_resume_refuses_another_table_target_task_or_metric(tables, tmp_path):
    wine_csv, diabetes_csv = tables
    store = RunStore(tmp_path / "d" / "runs.sqlite")
    run_id = stored_run(store, wine_csv)
    before, history = store.get(run_id), store.history(run_id)
    common = ("--max-evals", "4", "--strategy", "random", "--no-learn", "--resume", run_id, "--out",
              tmp_path / "m.skops")
    one_line_error(automl("fit", diabetes_csv, "--target", "target", *common, data_dir=tmp_path / "d"),
                   "not the one run", "wine.csv")
    wine = pd.read_csv(wine_csv)
    wine.iloc[:-1].to_csv(tmp_path / "wine.csv", index=False)       # same name, one row fewer
    one_line_error(automl("fit", tmp_path / "wine.csv", "--target", "target", *common, data_dir=tmp_path / "d"),
                   "not the one run")
    one_line_error(automl("fit", wine_csv, "--target", "alcohol", *common, data_dir=tmp_path / "d"),
                   "predicts 'target'")
    one_line_error(automl("fit", wine_csv, "--target", "target", "--task", "regression", *common,
                          data_dir=tmp_path / "d"), "multiclass")
    one_line_error(automl("fit", wine_csv, "--target", "target", "--metric", "accuracy", *common,
                          data_dir=tmp_path / "d"), "balanced_accuracy")
    one_line_error(automl("fit", wine_csv, "--target", "target", "--exclude", "alcohol", *common,
                          data_dir=tmp_path / "d"), "exclusions")
    after = store.get(run_id)
    assert {k: after[k] for k in before if k != "updated"} == {k: before[k] for k in before if k != "updated"}
    assert store.history(run_id) == history and not (tmp_path / "m.skops").exists()


def test_a_failure_after_the_run_was_created_marks_it_failed(tmp_path):
    path = tmp_path / "const.csv"
    pd.DataFrame({"x": range(50), "z": [i % 3 for i in range(50)], "y": 1}).to_csv(path, index=False)
    one_line_error(automl("fit", path, "--target", "y", data_dir=tmp_path / "d"), "same value")
    (run,) = RunStore(tmp_path / "d" / "runs.sqlite").list()
    assert run["status"] == FAILED and "same value" in run["message"] and run["lease_owner"] is None


@pytest.mark.slow
def test_a_run_in_progress_in_another_process_is_refused_until_its_lease_expires(tables, tmp_path):
    wine_csv, _ = tables
    args = ("fit", wine_csv, "--target", "target", "--max-evals", "2", "--strategy", "random", "--no-learn",
            "--no-ensemble", "--out", tmp_path / "m.skops")
    assert automl(*args, data_dir=tmp_path / "d").returncode == 0
    store_path = tmp_path / "d" / "runs.sqlite"
    store = RunStore(store_path)
    (run,) = store.list()
    run_id, before = run["id"], store.history(run["id"])
    args = (*args, "--max-evals", "3", "--resume", run_id)
    holder = hold_lease(store_path, run_id, seconds=2)
    try:
        time.sleep(2.5)                     # past one lease length: the holder's renewals keep it
        one_line_error(automl(*args, data_dir=tmp_path / "d"), "in progress in another process")
        assert len(store.history(run_id)) == 2
    finally:
        holder.kill()                       # a crash: no release, the lease just stops being renewed
        holder.wait()
    end = time.monotonic() + 30
    while store.lease_holder(run_id) is not None and time.monotonic() < end:
        time.sleep(0.2)
    resumed = automl(*args, data_dir=tmp_path / "d")
    assert resumed.returncode == 0, resumed.stderr
    history = store.history(run_id)
    assert [r["iteration"] for r in history] == [1, 2, 3] and as_text(history[:2]) == as_text(before)
    assert store.get(run_id)["status"] == "finished" and store.get(run_id)["lease_owner"] is None


@pytest.mark.slow
def test_two_processes_resuming_one_run_lose_no_evaluation(tables, tmp_path):
    """The issue's case: two `automl fit --resume` of the same run at once kept 10 of 16 evaluations."""
    wine_csv, _ = tables
    data_dir = tmp_path / "d"
    first = automl("fit", wine_csv, "--target", "target", "--max-evals", "2", "--strategy", "random",
                   "--no-learn", "--no-ensemble", "--out", tmp_path / "m0.skops", data_dir=data_dir)
    assert first.returncode == 0, first.stderr
    store = RunStore(data_dir / "runs.sqlite")
    (run,) = store.list()
    before = store.history(run["id"])
    procs = [automl_popen("fit", wine_csv, "--target", "target", "--max-evals", "8", "--strategy", "random",
                          "--seed", str(seed), "--no-learn", "--no-ensemble", "--resume", run["id"],
                          "--out", tmp_path / f"m{seed}.skops", data_dir=data_dir) for seed in (1, 2)]
    outcomes = [(p.wait(600), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in outcomes)
    assert codes in ([0, 0], [0, 2]), outcomes
    for code, err in outcomes:
        if code == 2:
            assert "in progress in another process" in err and "Traceback" not in err
    history = store.history(run["id"])
    assert [r["iteration"] for r in history] == list(range(1, 9))      # each once, none replaced
    assert as_text(history[:2]) == as_text(before)
    assert store.get(run["id"])["n_evaluations"] == 8


# -- the app's jobs ----------------------------------------------------------------------------------
TINY = {"strategy": "random", "random_state": 0, "n_folds": 3, "learn": False, "ensemble": False}


@pytest.mark.slow
def test_the_app_refuses_to_resume_a_run_live_elsewhere_or_whose_data_changed(tables, tmp_path):
    from automl_engine.service.jobs import JobManager

    wine_csv, _ = tables
    frame = load_table(wine_csv)
    manager = JobManager(max_workers=1)
    try:
        job = manager.submit(frame, "target", {**TINY, "max_evals": 2}, owner="alice")
        assert job.wait(300) and job.status == "finished", job.error
        store = RunStore()
        run = store.get(job.run_id)
        assert run["fingerprint"] == fingerprint(frame) and run["lease_owner"] is None
        assert run["task"] == "multiclass"

        holder = hold_lease(store.path, job.run_id, seconds=30)       # another server process on it
        try:
            other = JobManager(max_workers=1)
            with pytest.raises(DataError, match="in progress in another process"):
                other.resume(job.run_id, owner="alice", extra_evals=1)
        finally:
            holder.kill()
            holder.wait()
        store.release(job.run_id, store.get(job.run_id)["lease_owner"])  # as after its expiry

        frame.iloc[:-5].to_parquet(run["data_path"], index=False)       # the saved table replaced
        with pytest.raises(DataError, match="changed"):
            manager.resume(job.run_id, owner="alice", extra_evals=1)
        assert store.get(job.run_id)["lease_owner"] is None              # the refusal keeps no claim
        assert len(store.history(job.run_id)) == 2 and store.get(job.run_id)["status"] == "finished"
    finally:
        manager.shutdown()


def test_a_live_job_holds_its_run_against_another_server(tables, tmp_path):
    from automl_engine.service.jobs import JobManager

    wine_csv, _ = tables
    manager, other = JobManager(max_workers=1), JobManager(max_workers=1)
    try:
        job = manager.submit(load_table(wine_csv), "target", {**TINY, "max_evals": 40}, owner="alice")
        end = time.monotonic() + 120
        while not RunStore().get(job.run_id)["data_path"] and time.monotonic() < end:
            time.sleep(0.05)
        with pytest.raises(DataError, match="in progress"):
            other.resume(job.run_id, owner="alice")
        assert manager.resume(job.run_id, owner="alice") is job              # the same server: the live job
        job.stop()
        assert job.wait(120) and job.status == "stopped"
        assert RunStore().get(job.run_id)["lease_owner"] is None
    finally:
        manager.shutdown()
        other.shutdown()
