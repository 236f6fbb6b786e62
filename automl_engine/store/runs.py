"""Run history in SQLite: each search's settings, its evaluations as they happen, and its outcome.

Evaluations are written one by one while the search runs, so a search interrupted by a closed
browser or a killed server can be resumed from what was saved.

Integrity
---------
* A run records what it searched: ``target``, ``task`` and ``metric`` (resolved once the search
  starts) and ``fingerprint``, the content hash of the table as given (features and target, before
  preparation), so a resume on another table, target or task is refused (``check_resume``).
* A run in progress holds a lease (``lease_owner``, ``lease_until``): :class:`RunLease` renews it
  every ``LEASE_SECONDS / 4`` from a thread, a second process cannot claim it while it is fresh,
  and it expires on its own after a crash. Writes given the lease's token are fenced: a process
  whose lease was taken over cannot write to the run any more.
* An evaluation is never overwritten: ``add_evaluation`` keeps the first record of an iteration.
"""
from __future__ import annotations

import json
import logging
import os
import socket
import sqlite3
import threading
import time
import uuid
from contextlib import closing
from pathlib import Path

import numpy as np

from automl_engine.errors import DataError
from automl_engine.store.paths import user_data_dir
from automl_engine.store.sqlite import connect, open_database

logger = logging.getLogger(__name__)

QUEUED, RUNNING, FINISHED, STOPPED, FAILED = "queued", "running", "finished", "stopped", "failed"
LEASE_SECONDS = 60.0
"""How long a run stays claimed after its process last renewed the lease (renewed every quarter of it)."""
TASK_NAMES = ("binary", "multiclass", "regression")

COLUMNS = {  # every column of ``runs``: older files gain the missing ones when opened
    "id": "TEXT PRIMARY KEY", "created": "REAL", "updated": "REAL", "status": "TEXT", "owner": "TEXT",
    "name": "TEXT", "target": "TEXT", "task": "TEXT", "metric": "TEXT", "settings": "TEXT", "data_path": "TEXT",
    "fingerprint": "TEXT", "best_score": "REAL", "n_evaluations": "INTEGER DEFAULT 0", "model_path": "TEXT",
    "message": "TEXT", "lease_owner": "TEXT", "lease_until": "REAL",
}

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS runs (
    {", ".join(f"{name} {kind}" for name, kind in COLUMNS.items())}
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


class RunInProgress(DataError):
    """The run is being searched by another process (its lease is fresh): it cannot be resumed now."""


class LeaseLost(DataError):
    """This process's lease on a run expired and another process claimed the run: it must stop writing."""


def _migrate(path: Path) -> None:
    """Add the columns of ``COLUMNS`` an older ``runs`` table lacks (ALTER TABLE ADD COLUMN)."""
    with closing(connect(path)) as db:
        present = {row["name"] for row in db.execute("PRAGMA table_info(runs)")}
        for name, kind in COLUMNS.items():
            if name in present:
                continue
            try:
                with db:
                    db.execute(f"ALTER TABLE runs ADD COLUMN {name} {kind}")
            except sqlite3.OperationalError as exc:  # another process added it first
                if "duplicate column" not in str(exc):
                    raise


def new_lease_token() -> str:
    """A token naming this claim: host, process and a random part (two claims never share one)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class RunStore:
    """Past and running searches.

    Parameters
    ----------
    path : path of the SQLite file; default ``runs.sqlite`` in the user data folder.
    """

    def __init__(self, path=None):
        self.path = open_database(Path(path) if path else user_data_dir() / "runs.sqlite", SCHEMA)
        _migrate(self.path)

    def _connect(self) -> sqlite3.Connection:
        return connect(self.path)

    def create(self, *, name: str, target: str, settings: dict, owner: str = "", data_path: str = "",
               task: str = "", metric: str = "", fingerprint: str = "", lease: str | None = None,
               lease_seconds: float = LEASE_SECONDS) -> str:
        """Start a run record; returns its id. With ``lease`` (a token), the run is created claimed by it."""
        run_id = uuid.uuid4().hex[:12]
        now = time.time()
        with closing(self._connect()) as db, db:
            db.execute("INSERT INTO runs (id, created, updated, status, owner, name, target, task, metric, settings,"
                       " data_path, fingerprint, lease_owner, lease_until) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                       (run_id, now, now, RUNNING, owner, name, target, task, metric,
                        json.dumps(_jsonable(settings)), data_path, fingerprint,
                        lease, now + lease_seconds if lease else None))
        return run_id

    # -- leases ----------------------------------------------------------------------------
    def claim(self, run_id: str, token: str, seconds: float = LEASE_SECONDS) -> bool:
        """Claim the run for ``token`` unless another token holds a lease that has not expired."""
        now = time.time()
        with closing(self._connect()) as db, db:
            cursor = db.execute("UPDATE runs SET lease_owner=?, lease_until=? WHERE id=? AND (lease_owner IS NULL"
                                " OR lease_owner=? OR lease_until IS NULL OR lease_until < ?)",
                                (token, now + seconds, run_id, token, now))
            return cursor.rowcount == 1

    def renew(self, run_id: str, token: str, seconds: float = LEASE_SECONDS) -> bool:
        """Extend ``token``'s lease; False if it no longer holds the run."""
        with closing(self._connect()) as db, db:
            cursor = db.execute("UPDATE runs SET lease_until=? WHERE id=? AND lease_owner=?",
                                (time.time() + seconds, run_id, token))
            return cursor.rowcount == 1

    def release(self, run_id: str, token: str) -> None:
        """Give up ``token``'s lease (nothing happens if another token holds the run)."""
        with closing(self._connect()) as db, db:
            db.execute("UPDATE runs SET lease_owner=NULL, lease_until=NULL WHERE id=? AND lease_owner=?",
                       (run_id, token))

    def lease_holder(self, run_id: str) -> tuple[str, float] | None:
        """(token, expiry time) of a fresh lease on the run; None if no process holds it."""
        with closing(self._connect()) as db:
            row = db.execute("SELECT lease_owner, lease_until FROM runs WHERE id=?", (run_id,)).fetchone()
        if row is None or not row["lease_owner"] or (row["lease_until"] or 0.0) < time.time():
            return None
        return row["lease_owner"], float(row["lease_until"])

    def lease(self, run_id: str, seconds: float = LEASE_SECONDS, token: str | None = None) -> "RunLease":
        """Claim the run and keep the claim renewed; :class:`RunInProgress` if another process holds it."""
        token = token or new_lease_token()
        if not self.claim(run_id, token, seconds):
            holder = self.lease_holder(run_id)
            until = time.strftime("%H:%M:%S", time.localtime(holder[1])) if holder else "shortly"
            raise RunInProgress(f"run {run_id} is in progress in another process (its claim lasts until {until} "
                                f"unless renewed); wait for it to end or stop it, then resume it")
        return RunLease(self, run_id, token, seconds).start()

    def _fence(self, db: sqlite3.Connection, run_id: str, token: str | None) -> None:
        """Inside a write transaction: the run's row is locked first, and ``token`` must hold its lease."""
        if token is None:
            return
        cursor = db.execute("UPDATE runs SET updated=? WHERE id=? AND lease_owner=?", (time.time(), run_id, token))
        if cursor.rowcount != 1:
            raise LeaseLost(f"run {run_id} was claimed by another process while this one was away, so this one "
                            f"stops writing to it; its history is kept as the other process leaves it")

    # -- evaluations and fields --------------------------------------------------------------
    def add_evaluation(self, run_id: str, record: dict, token: str | None = None) -> bool:
        """Persist one evaluation record (as :class:`~automl_engine.search.Search` makes them).

        An iteration already stored is never overwritten: the record is skipped with a warning and
        False is returned. With ``token``, the write is refused (:class:`LeaseLost`) unless that
        token holds the run's lease.
        """
        with closing(self._connect()) as db, db:
            self._fence(db, run_id, token)
            cursor = db.execute("INSERT OR IGNORE INTO run_evaluations VALUES (?,?,?)",
                                (run_id, int(record["iteration"]), json.dumps(_jsonable(record))))
            if cursor.rowcount != 1:
                logger.warning("run %s already has an evaluation %s; the stored one is kept and this one dropped",
                               run_id, record["iteration"])
                return False
            # the best score of the highest rung reached (a multi-fidelity search), as the final choice
            ok = "FROM run_evaluations WHERE run_id=? AND json_extract(record, '$.status')='ok'"
            rung = "COALESCE(json_extract(record, '$.rung'), 0)"
            db.execute("UPDATE runs SET updated=?, n_evaluations=(SELECT COUNT(*) FROM run_evaluations WHERE run_id=?),"
                       f" best_score=(SELECT MAX(json_extract(record, '$.score')) {ok}"
                       f" AND {rung}=(SELECT MAX({rung}) {ok})) WHERE id=?",
                       (time.time(), run_id, run_id, run_id, run_id))
        return True

    def update(self, run_id: str, token: str | None = None, **fields) -> None:
        """Set columns of a run (status, task, metric, model_path, message, ...); with ``token``, only
        while that token holds the run's lease (else :class:`LeaseLost`)."""
        allowed = {"status", "task", "metric", "model_path", "message", "fingerprint", "data_path", "settings"}
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"unknown run fields: {sorted(unknown)}")
        if "settings" in fields:
            fields["settings"] = json.dumps(_jsonable(fields["settings"]))
        sets = ", ".join(f"{k}=?" for k in fields)
        with closing(self._connect()) as db, db:
            self._fence(db, run_id, token)
            db.execute(f"UPDATE runs SET {sets}, updated=? WHERE id=?", (*fields.values(), time.time(), run_id))

    def get(self, run_id: str, owner: str | None = None) -> dict | None:
        """One run with its settings decoded; None if there is no such run (or, given ``owner``, none of theirs)."""
        query, args = ("SELECT * FROM runs WHERE id=?", (run_id,)) if owner is None else \
            ("SELECT * FROM runs WHERE id=? AND owner=?", (run_id, owner))
        with closing(self._connect()) as db:
            row = db.execute(query, args).fetchone()
        if row is None:
            return None
        run = dict(row)
        run["settings"] = json.loads(run["settings"] or "{}")
        return run

    def history(self, run_id: str, owner: str | None = None) -> list[dict]:
        """The run's evaluation records, in order (given ``owner``, none unless the run is theirs)."""
        query, args = "SELECT record FROM run_evaluations WHERE run_id=?", [run_id]
        if owner is not None:
            query, args = query + " AND run_id IN (SELECT id FROM runs WHERE owner=?)", [run_id, owner]
        with closing(self._connect()) as db:
            rows = db.execute(query + " ORDER BY iteration", args)
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


class RunLease:
    """A claim on one run, renewed from a daemon thread until :meth:`release` (made by :meth:`RunStore.lease`).

    ``token`` fences the holder's writes (``add_evaluation(..., token=lease.token)``); ``lost`` turns
    True if a renewal finds the run claimed by another process (this one was away past the expiry).
    """

    def __init__(self, store: RunStore, run_id: str, token: str, seconds: float = LEASE_SECONDS):
        self.store, self.run_id, self.token, self.seconds = store, run_id, token, float(seconds)
        self.lost = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._renew, name=f"lease-{run_id}", daemon=True)

    def start(self) -> "RunLease":
        self._thread.start()
        return self

    def _renew(self) -> None:
        while not self._done.wait(self.seconds / 4):
            try:
                if not self.store.renew(self.run_id, self.token, self.seconds):
                    self.lost = True
                    logger.warning("the claim on run %s was taken over by another process", self.run_id)
                    return
            except sqlite3.Error as exc:  # a busy or full disk: try again at the next beat
                logger.warning("could not renew the claim on run %s: %s", self.run_id, exc)

    def release(self) -> None:
        """Stop renewing and give the run up (idempotent; a lost lease is left to its new holder)."""
        if self._done.is_set():
            return
        self._done.set()
        try:
            self.store.release(self.run_id, self.token)
        except sqlite3.Error as exc:  # it expires on its own
            logger.warning("could not release the claim on run %s: %s", self.run_id, exc)


def check_resume(run: dict, *, fingerprint: str, target: str, task: str = "auto", metric: str = "auto") -> None:
    """Refuse (DataError, one sentence) to resume ``run`` on another table, target, task or metric.

    ``fingerprint`` is the content hash of the table as given now (``data.fingerprint`` of the whole
    table, target included); ``task`` / ``metric`` are what is asked for now (``auto`` accepts the
    run's). A run stored before fingerprints were kept has none: only its target and task are checked.
    """
    run_id = run["id"]
    if str(run.get("target")) != str(target):
        raise DataError(f"run {run_id} predicts {run.get('target')!r}, not {target!r}; resume it with --target "
                        f"{run.get('target')}, or start a new run without --resume")
    if run.get("fingerprint") and run["fingerprint"] != fingerprint:
        raise DataError(f"this table is not the one run {run_id} searched ({run.get('name') or 'its table'}; "
                        f"the contents differ), so their scores cannot be mixed; resume it with the same table, "
                        f"or start a new run without --resume")
    stored_task = run.get("task") or ""
    if stored_task in TASK_NAMES and task not in ("auto", "", None, stored_task) and not (
            task == "classification" and stored_task != "regression"):
        raise DataError(f"run {run_id} is a {stored_task} search, not {task}; resume it with --task auto or "
                        f"{stored_task}, or start a new run without --resume")
    stored_metric = run.get("metric") or ""
    if stored_task in TASK_NAMES and stored_metric not in ("", "auto") and metric not in ("auto", "", None,
                                                                                           stored_metric):
        raise DataError(f"run {run_id} was scored with {stored_metric}, not {metric}; resume it with --metric auto "
                        f"or {stored_metric}, or start a new run without --resume")


def resumed_settings(run: dict, task: str = "auto", metric: str = "auto") -> tuple[str, str]:
    """The task and metric a resume of ``run`` must search with: the run's, once its search had started."""
    stored_task, stored_metric = run.get("task") or "", run.get("metric") or ""
    if stored_task in TASK_NAMES:
        task = stored_task
        if stored_metric not in ("", "auto"):
            metric = stored_metric
    return task, metric
