"""Where the engine keeps per-user files (run history, the local knowledge store, models), owner-only."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np


def user_data_dir() -> Path:
    """``$AUTOML_DATA_DIR``, else ``$XDG_DATA_HOME/automl-engine``, else ``~/.local/share/automl-engine``."""
    explicit = os.environ.get("AUTOML_DATA_DIR")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "automl-engine"


PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
"""Modes of the user data folder, its folders and its files: readable by their owner only."""


def _inside_data_dir(path: Path) -> list[Path]:
    """``path`` and its parents up to the user data folder (empty when ``path`` is not inside it)."""
    root = user_data_dir().resolve()
    path = Path(path).resolve()
    if path != root and root not in path.parents:
        return []
    return [path, *[p for p in path.parents if p == root or root in p.parents]]


def _chmod(path: Path, mode: int) -> None:
    try:
        if path.stat().st_uid == os.getuid() and path.stat().st_mode & 0o777 != mode:
            os.chmod(path, mode)
    except OSError:  # not ours, or gone: leave it
        pass


def private_dir(path) -> Path:
    """Create the folder ``path`` owner-only (0700); inside the user data folder, it and every folder up to
    the data folder itself are made 0700 (an install from before issue 23 had 0755)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    for folder in _inside_data_dir(path) or [path]:
        _chmod(folder, PRIVATE_DIR)
    return path


def private_file(path) -> Path:
    """Make the file ``path`` owner-only (0600); returns it."""
    _chmod(Path(path), PRIVATE_FILE)
    return Path(path)


def create_private_file(path) -> Path:
    """Create ``path`` empty with mode 0600 if it does not exist (so what writes it next keeps that mode),
    else make it 0600."""
    path = Path(path)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE))
    except FileExistsError:
        private_file(path)
    return path


def save_npz_atomically(path, **arrays) -> None:
    """``np.savez_compressed`` to a temporary file beside ``path``, then renamed over it, so a
    process loading ``path`` meanwhile (a search while a build exports) never reads half a file."""
    path = Path(path)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False) as tmp:
        try:
            np.savez_compressed(tmp, **arrays)
        except BaseException:
            tmp.close()
            os.unlink(tmp.name)
            raise
    # a file in the user data folder stays owner-only (the temporary file's 0600); shipped files are 0644
    inside = bool(_inside_data_dir(path))
    os.chmod(tmp.name, PRIVATE_FILE if inside else path.stat().st_mode & 0o777 if path.exists() else 0o644)
    os.replace(tmp.name, path)
