"""SQLite store of (dataset, pipeline) evaluations and dataset meta-features.

The same store holds the offline build's results and, in the user's data directory, the rows
that finished searches add (origin "user"). Every write is its own transaction, so a killed
process loses no finished evaluation.
"""
from __future__ import annotations

import json
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import numpy as np

from automl_engine.store.sqlite import connect, open_database

SCHEMA = """
CREATE TABLE IF NOT EXISTS datasets (
    name TEXT PRIMARY KEY, task_type TEXT NOT NULL, task TEXT NOT NULL, origin TEXT NOT NULL,
    split TEXT, fingerprint TEXT, rows INTEGER, features INTEGER, meta_features TEXT, created REAL
);
CREATE TABLE IF NOT EXISTS evaluations (
    dataset TEXT NOT NULL, pipeline_id TEXT NOT NULL, status TEXT NOT NULL, score REAL,
    score_std REAL, fit_time REAL, wall_time REAL, error TEXT, created REAL,
    PRIMARY KEY (dataset, pipeline_id)
);
"""


class KnowledgeStore:
    """Evaluations and meta-features in one SQLite file.

    Parameters
    ----------
    path : str or Path
        The database file; its folder is created if missing.
    """

    def __init__(self, path):
        self.path = open_database(Path(path), SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return connect(self.path)

    def add_dataset(self, name: str, task_type: str, task: str, origin: str, meta_features: dict,
                    split: str = "", fingerprint: str = "", rows: int = 0, features: int = 0) -> None:
        """Insert or replace one dataset's description and meta-features."""
        with closing(self._connect()) as db, db:
            db.execute(
                "INSERT OR REPLACE INTO datasets VALUES (?,?,?,?,?,?,?,?,?,?)",
                (name, task_type, task, origin, split, fingerprint, int(rows), int(features),
                 json.dumps(meta_features), time.time()),
            )

    def add_evaluations(self, dataset: str, records: list[dict]) -> None:
        """Record evaluations: dicts with pipeline_id, status, score, score_std, fit_time, wall_time, error."""
        rows = [
            (dataset, r["pipeline_id"], r["status"], _finite_or_none(r.get("score")),
             _finite_or_none(r.get("score_std")), _finite_or_none(r.get("fit_time")),
             _finite_or_none(r.get("wall_time")), r.get("error", "")[:500], time.time())
            for r in records
        ]
        with closing(self._connect()) as db, db:
            db.executemany("INSERT OR REPLACE INTO evaluations VALUES (?,?,?,?,?,?,?,?,?)", rows)

    def datasets(self, task_type: str | None = None, origin: str | None = None) -> list[dict]:
        """Dataset records (meta-features decoded), ordered by name."""
        query, args = "SELECT * FROM datasets WHERE 1=1", []
        if task_type:
            query, args = query + " AND task_type=?", args + [task_type]
        if origin:
            query, args = query + " AND origin=?", args + [origin]
        with closing(self._connect()) as db:
            records = [dict(r) for r in db.execute(query + " ORDER BY name", args)]
        for record in records:
            record["meta_features"] = json.loads(record["meta_features"] or "{}")
        return records

    def evaluated_pipelines(self, dataset: str) -> set[str]:
        """Ids of the pipelines already evaluated on ``dataset`` (any status)."""
        with closing(self._connect()) as db:
            return {row[0] for row in db.execute("SELECT pipeline_id FROM evaluations WHERE dataset=?", (dataset,))}

    def evaluations(self, dataset: str | None = None) -> list[dict]:
        """Evaluation records, for one dataset or all."""
        query, args = "SELECT * FROM evaluations", []
        if dataset is not None:
            query, args = query + " WHERE dataset=?", [dataset]
        with closing(self._connect()) as db:
            return [dict(r) for r in db.execute(query, args)]

    def count(self) -> int:
        with closing(self._connect()) as db:
            return int(db.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0])


def _finite_or_none(value):
    if value is None:
        return None
    value = float(value)
    return value if np.isfinite(value) else None
