"""Where the engine keeps per-user files: run history, the local knowledge store, models."""
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
    os.chmod(tmp.name, path.stat().st_mode & 0o777 if path.exists() else 0o644)  # not the temporary file's 0600
    os.replace(tmp.name, path)
