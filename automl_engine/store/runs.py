"""Run history in SQLite: each search's settings, its evaluations as they happen, and its outcome.

Evaluations are written one by one while the search runs, so a search interrupted by a closed
browser or a killed server can be resumed from what was saved.
"""
from __future__ import annotations

import json
import sqlite3
import time
import uuid
from contextlib import closing
from pathlib import Path

import numpy as np

from automl_engine.store.paths import user_data_dir
from automl_engine.store.sqlite import connect, open_database

QUEUED, RUNNING, FINISHED, STOPPED, FAILED = "queued", "running", "finished", "stopped", "failed"

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, created REAL, updated REAL, status TEXT, owner TEXT, name TEXT,
    target TEXT, task TEXT, metric TEXT, settings TEXT, data_path TEXT, fingerprint TEXT,
    best_score REAL, n_evaluations INTEGER DEFAULT 0, model_path TEXT, message TEXT
);
CREATE TABLE IF NOT EXISTS run_evaluations (
    run_id TEXT NOT NULL, iteration INTEGER NOT NULL, record TEXT NOT NULL,
    PRIMARY KEY (run_id, iteration)
);
"""


def _jsonable(value):
    if isinstance(value, (np.floating, float)):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def _from_json_record(record: dict) -> dict:
    for key in ("score", "score_std", "fit_time", "wall_time", "predicted_score", "predicted_std"):
        if key in record and record[key] is None:
            record[key] = float("nan")
    return record


class RunStore:
    """Past and running searches.

    Parameters
    ----------
    path : path of the SQLite file; default ``runs.sqlite`` in the user data folder.
    """

    def __init__(self, path=None):
        self.path = open_database(Path(path) if path else user_data_dir() / "runs.sqlite", SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return connect(self.path)

    def create(self, *, name: str, target: str, settings: dict, owner: str = "", data_path: str = "",
               task: str = "", metric: str = "", fingerprint: str = "") -> str:
        """Start a run record; returns its id."""
        run_id = uuid.uuid4().hex[:12]
        now = time.time()
        with closing(self._connect()) as db, db:
            db.execute("INSERT INTO runs (id, created, updated, status, owner, name, target, task, metric, settings,"
                       " data_path, fingerprint) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                       (run_id, now, now, RUNNING, owner, name, target, task, metric,
                        json.dumps(_jsonable(settings)), data_path, fingerprint))
        return run_id

    def add_evaluation(self, run_id: str, record: dict) -> None:
        """Persist one evaluation record (as :class:`~automl_engine.search.Search` makes them)."""
        with closing(self._connect()) as db, db:
            db.execute("INSERT OR REPLACE INTO run_evaluations VALUES (?,?,?)",
                       (run_id, int(record["iteration"]), json.dumps(_jsonable(record))))
            db.execute("UPDATE runs SET updated=?, n_evaluations=(SELECT COUNT(*) FROM run_evaluations WHERE run_id=?),"
                       " best_score=(SELECT MAX(json_extract(record, '$.score')) FROM run_evaluations"
                       " WHERE run_id=? AND json_extract(record, '$.status')='ok') WHERE id=?",
                       (time.time(), run_id, run_id, run_id))

    def update(self, run_id: str, **fields) -> None:
        """Set columns of a run (status, task, metric, model_path, message, ...)."""
        allowed = {"status", "task", "metric", "model_path", "message", "fingerprint", "data_path", "settings"}
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"unknown run fields: {sorted(unknown)}")
        if "settings" in fields:
            fields["settings"] = json.dumps(_jsonable(fields["settings"]))
        sets = ", ".join(f"{k}=?" for k in fields)
        with closing(self._connect()) as db, db:
            db.execute(f"UPDATE runs SET {sets}, updated=? WHERE id=?", (*fields.values(), time.time(), run_id))

    def get(self, run_id: str) -> dict | None:
        """One run with its settings decoded; None if there is no such run."""
        with closing(self._connect()) as db:
            row = db.execute("SELECT * FROM runs WHERE id=?", (run_id,)).fetchone()
        if row is None:
            return None
        run = dict(row)
        run["settings"] = json.loads(run["settings"] or "{}")
        return run

    def history(self, run_id: str) -> list[dict]:
        """The run's evaluation records, in order."""
        with closing(self._connect()) as db:
            rows = db.execute("SELECT record FROM run_evaluations WHERE run_id=? ORDER BY iteration", (run_id,))
            return [_from_json_record(json.loads(r["record"])) for r in rows]

    def list(self, owner: str | None = None, limit: int = 200) -> list[dict]:
        """Runs, newest first (only ``owner``'s when given)."""
        query, args = "SELECT * FROM runs", []
        if owner is not None:
            query, args = query + " WHERE owner=?", [owner]
        with closing(self._connect()) as db:
            rows = db.execute(query + " ORDER BY created DESC LIMIT ?", (*args, limit)).fetchall()
        runs = [dict(r) for r in rows]
        for run in runs:
            run["settings"] = json.loads(run["settings"] or "{}")
        return runs
