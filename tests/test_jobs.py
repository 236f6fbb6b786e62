"""Background search jobs: worker slots, queueing, stop, failures, persistence as it goes, resume.

Real threads, real SQLite, real (tiny) searches on the bundled wine data.
"""
import time

import pandas as pd
import pytest

from automl_engine.automl import AutoML
from automl_engine.data.intake import load_table
from automl_engine.data.samples import sample_datasets
from automl_engine.service.jobs import JobManager
from automl_engine.store.runs import RunStore

TINY = {"strategy": "random", "random_state": 0, "n_folds": 3, "learn": False, "ensemble": False}


@pytest.fixture(scope="module")
def wine():
    path, target = sample_datasets()["wine"]
    return load_table(path), target


@pytest.fixture
def manager():
    manager = JobManager(max_workers=2)
    yield manager
    manager.shutdown()


def wait_until(predicate, timeout=120.0, every=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(every)
    raise AssertionError("timed out waiting")


@pytest.mark.slow
def test_evaluations_are_saved_as_they_happen(manager, wine):
    frame, target = wine
    job = manager.submit(frame, target, {**TINY, "max_evals": 4}, owner="alice", name="wine.csv")
    store = RunStore()
    wait_until(lambda: len(store.history(job.run_id)) >= 1)
    assert job.status == "running"            # saved while the search is still going
    assert store.get(job.run_id)["status"] == "running"
    assert job.wait(300) and job.status == "finished", job.error
    run = store.get(job.run_id)
    assert run["status"] == "finished" and run["owner"] == "alice" and run["n_evaluations"] == 4
    assert run["task"] == "multiclass" and run["metric"] == "balanced_accuracy"
    assert [r["iteration"] for r in store.history(job.run_id)] == [1, 2, 3, 4]
    assert [e.iteration for e in job.events()] == [1, 2, 3, 4]
    assert pd.read_parquet(run["data_path"]).shape == frame.shape
    assert job.result is not None and len(job.result.leaderboard_) == 4
    assert job.progress.fraction == 1.0 and job.progress.phase == "finished"
    assert [r["id"] for r in store.list(owner="alice")] == [job.run_id]
    assert store.list(owner="bob") == []


def test_a_job_waits_queued_while_the_workers_are_taken(wine):
    frame, target = wine
    manager = JobManager(max_workers=1)
    try:
        first = manager.submit(frame, target, {**TINY, "max_evals": 40}, owner="a")
        wait_until(lambda: first.status == "running")
        second = manager.submit(frame, target, {**TINY, "max_evals": 2}, owner="b")
        third = manager.submit(frame, target, {**TINY, "max_evals": 2, "n_jobs": 3}, owner="c")
        wait_until(lambda: manager.queue_position(third) == 2)
        assert second.status == "queued" and second.progress.phase == "queued"
        assert manager.queue_position(second) == 1 and manager.in_use == 1
        assert RunStore().get(second.run_id)["status"] == "queued"
        third.stop()                               # leaves the queue without ever running
        assert third.wait(30) and third.status == "stopped" and third.result is None
        assert third.events() == [] and RunStore().get(third.run_id)["status"] == "stopped"
        assert second.status == "queued"
        first.stop()
        assert second.wait(300) and second.status == "finished", second.error
        assert first.status == "stopped" and manager.in_use == 0
    finally:
        manager.shutdown()


@pytest.mark.slow
def test_stop_keeps_the_best_so_far(manager, wine):
    frame, target = wine
    job = manager.submit(frame, target, {**TINY, "max_evals": 40})
    wait_until(lambda: len(job.events()) >= 1)
    job.stop()
    assert job.wait(120) and job.status == "stopped"
    run = RunStore().get(job.run_id)
    assert run["status"] == "stopped" and 1 <= run["n_evaluations"] < 40
    assert job.result is not None and job.result.model_ is not None
    assert len(job.result.leaderboard_) == run["n_evaluations"]


def test_stop_right_after_submit_ends_the_job(manager, wine):
    frame, target = wine
    job = manager.submit(frame, target, {**TINY, "max_evals": 40})
    job.stop()
    assert job.wait(120) and job.status == "stopped"
    assert len(job.records()) < 40 and job.error is None


def test_bad_data_fails_with_one_sentence(manager, wine):
    frame, target = wine
    job = manager.submit(frame.assign(**{target: "same"}), target, {**TINY, "max_evals": 2})
    assert job.wait(120) and job.status == "failed"
    assert job.error and "\n" not in job.error and "Traceback" not in job.error
    assert RunStore().get(job.run_id)["message"] == job.error


def test_unexpected_error_becomes_a_sentence(manager, wine, monkeypatch):
    def broken_fit(self, prepared, history=None, on_event=None, stop=None, budget=None):
        raise RuntimeError("disk on fire\nline two")

    monkeypatch.setattr(AutoML, "fit_prepared", broken_fit)
    frame, target = wine
    job = manager.submit(frame, target, {**TINY, "max_evals": 2})
    assert job.wait(60) and job.status == "failed"
    assert "RuntimeError" in job.error and "disk on fire line two" in job.error and "\n" not in job.error
    assert job.error.endswith(".") and manager.in_use == 0


@pytest.mark.slow
def test_resume_continues_the_run_with_its_budget_accounted(wine):
    frame, target = wine
    manager = JobManager(max_workers=2)
    job = manager.submit(frame, target, {**TINY, "max_evals": 4}, owner="alice")
    wait_until(lambda: len(job.events()) >= 1)
    job.stop()
    job.wait(120)
    store = RunStore()
    done_before = store.history(job.run_id)
    assert job.status == "stopped" and 1 <= len(done_before) < 4
    manager.shutdown()

    later = JobManager(max_workers=2)              # as after a server restart
    with pytest.raises(Exception, match="no run"):
        later.resume(job.run_id, owner="mallory")
    resumed = later.resume(job.run_id, owner="alice")
    assert resumed.run_id == job.run_id
    assert resumed.wait(300) and resumed.status == "finished", resumed.error
    history = store.history(job.run_id)
    assert [r["iteration"] for r in history] == [1, 2, 3, 4]            # the budget of 4 in all
    key = [(r["pipeline_id"], r["score"]) for r in done_before]
    assert [(r["pipeline_id"], r["score"]) for r in history[:len(done_before)]] == key
    assert len({r["pipeline_id"] for r in history}) == 4               # nothing evaluated twice
    assert len(resumed.events()) == 4 - len(done_before) and len(resumed.records()) == 4

    extended = later.resume(job.run_id, owner="alice", extra_evals=2)   # go on after a finished run
    assert extended.wait(300) and extended.status == "finished", extended.error
    assert store.get(job.run_id)["n_evaluations"] == 6
    assert store.get(job.run_id)["settings"]["max_evals"] == 6
    later.shutdown()


def test_resume_without_saved_data_says_so(manager):
    store = RunStore()
    run_id = store.create(name="x", target="y", settings={"max_evals": 2}, owner="o")
    with pytest.raises(Exception, match="not saved"):
        manager.resume(run_id)


@pytest.mark.slow
def test_the_queue_keeps_the_order_of_submission_even_when_a_job_is_slow_to_save_its_data(wine, monkeypatch):
    """A job's place in the queue is taken when it is submitted, not when its thread has saved the
    table (a large upload must not let a later, smaller one overtake it)."""
    import automl_engine.service.jobs as jobs

    saved = jobs.save_frame

    def slow_for_b(frame, path):
        if len(frame) == 177:  # the second job's table (one row fewer)
            time.sleep(3)
        return saved(frame, path)

    monkeypatch.setattr(jobs, "save_frame", slow_for_b)
    frame, target = wine
    manager = JobManager(max_workers=1)
    try:
        first = manager.submit(frame, target, {**TINY, "max_evals": 40}, owner="a")
        wait_until(lambda: first.status == "running")
        second = manager.submit(frame.iloc[1:], target, {**TINY, "max_evals": 2}, owner="b")
        third = manager.submit(frame, target, {**TINY, "max_evals": 2}, owner="c")
        time.sleep(0.5)  # the third job's thread has saved its table; the second's is still saving
        assert (manager.queue_position(second), manager.queue_position(third)) == (1, 2)
        first.stop()
        assert second.wait(300) and second.status == "finished", second.error
        assert third.wait(300) and third.status == "finished", third.error
    finally:
        manager.shutdown()
