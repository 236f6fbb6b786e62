"""Opening the engine's SQLite files: WAL journal (readers never block the writer), a busy timeout."""
from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from automl_engine.store.paths import create_private_file, private_dir

BUSY_TIMEOUT_SECONDS = 30


def open_database(path: Path, schema: str) -> Path:
    """Create the file's folder (0700) and the file (0600: its ``-wal`` and ``-shm`` files get the same mode
    from SQLite) and the schema if missing; returns the path."""
    path = Path(path)
    private_dir(path.parent)
    create_private_file(path)
    with closing(connect(path)) as db, db:
        db.executescript(schema)
    return path


def connect(path: Path) -> sqlite3.Connection:
    """A connection in WAL mode whose rows are ``sqlite3.Row`` (index or name access)."""
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS)
    db.execute("PRAGMA journal_mode=WAL")
    db.row_factory = sqlite3.Row
    return db
