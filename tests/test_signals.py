"""Signals and a data folder that cannot be written (issue 23, item 4).

SIGTERM / Ctrl-C to ``automl fit`` end the evaluation children, mark the run interrupted (resumable) and exit
with one line; a data folder that cannot be written is one sentence (exit 2); a full disk mid-search still
saves the model.
"""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import psutil
import pytest
from sklearn.datasets import load_breast_cancer

from automl_engine.cli import main


@pytest.fixture(scope="module")
def cancer_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("signals") / "cancer.csv"
    load_breast_cancer(as_frame=True).frame.to_csv(path, index=False)
    return path


def _as_from_a_terminal() -> None:
    """Ctrl-C's default action, as a command started from a terminal has it: a test run started in the
    background of a non-interactive shell (``pytest &``, a CI runner) ignores SIGINT, and a child
    inherits an ignored signal across exec, so the CLI would never see the Ctrl-C this test sends."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _wait_for_first_evaluation(db, process, timeout=180.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with sqlite3.connect(db) as conn:
                if conn.execute("SELECT COUNT(*) FROM run_evaluations").fetchone()[0] >= 1:
                    return
        except sqlite3.Error:
            pass
        time.sleep(0.2)
    raise AssertionError("no evaluation was recorded")


@pytest.mark.slow
@pytest.mark.parametrize("how", ["SIGTERM", "Ctrl-C"])
def test_a_signal_ends_the_children_marks_the_run_interrupted_and_says_one_line(cancer_csv, tmp_path, how):
    data_dir = tmp_path / "data"
    env = dict(os.environ, AUTOML_DATA_DIR=str(data_dir))
    process = subprocess.Popen([sys.executable, "-m", "automl_engine.cli", "fit", str(cancer_csv), "--target",
                                "target", "--max-evals", "60", "--n-jobs", "2", "--no-learn",
                                "--out", str(tmp_path / "m.skops")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True,
                               preexec_fn=_as_from_a_terminal)
    _wait_for_first_evaluation(data_dir / "runs.sqlite", process)
    descendants = psutil.Process(process.pid).children(recursive=True)
    if how == "SIGTERM":
        os.kill(process.pid, signal.SIGTERM)
    else:  # Ctrl-C reaches the whole foreground process group: the children too
        os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=60)
    err = err.decode().replace("\r", "\n")
    assert process.returncode == 130
    assert "Traceback" not in err and "Error:" not in err, err[-3000:]
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "interrupted" in lines[0] and "--resume" in lines[0], err[-2000:]
    with sqlite3.connect(data_dir / "runs.sqlite") as conn:
        assert conn.execute("SELECT status, message FROM runs").fetchall() == [("stopped", "interrupted")]
    time.sleep(1.0)
    evaluation_children = [p for p in descendants if p.is_running() and p.status() != psutil.STATUS_ZOMBIE
                           and "forkserver" not in " ".join(p.cmdline()) and "resource_tracker" not in
                           " ".join(p.cmdline())]
    assert evaluation_children == []


def test_a_data_folder_that_cannot_be_written_is_one_sentence(cancer_csv, tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("AUTOML_DATA_DIR", str(blocker / "data"))  # writes fail, even as root
    assert main(["fit", str(cancer_csv), "--target", "target", "--max-evals", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("error: cannot write to") and "AUTOML_DATA_DIR" in err, err


def test_a_full_disk_is_one_sentence(cancer_csv, tmp_path, monkeypatch, capsys):
    from automl_engine.store.runs import RunStore

    def full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setenv("AUTOML_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(RunStore, "create", full)
    assert main(["fit", str(cancer_csv), "--target", "target", "--max-evals", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "database or disk is full" in err and "free some disk space" in err, err


@pytest.mark.slow
def test_a_disk_that_fills_mid_search_still_saves_the_model(cancer_csv, tmp_path, monkeypatch, capsys):
    from automl_engine.store.runs import RunStore

    def full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setenv("AUTOML_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(RunStore, "add_evaluation", full)
    out = tmp_path / "m.skops"
    assert main(["fit", str(cancer_csv), "--target", "target", "--max-evals", "2", "--n-jobs", "1",
                 "--no-ensemble", "--no-learn", "--out", str(out)]) == 0
    assert out.exists()
    err = capsys.readouterr().err
    assert "the run history could not be written (database or disk is full)" in err
