"""Where the engine keeps per-user files: run history, the local knowledge store, models."""
from __future__ import annotations

import os
from pathlib import Path


def user_data_dir() -> Path:
    """``$AUTOML_DATA_DIR``, else ``$XDG_DATA_HOME/automl-engine``, else ``~/.local/share/automl-engine``."""
    explicit = os.environ.get("AUTOML_DATA_DIR")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "automl-engine"
