"""The table a session is preparing (before any search), kept on disk so a reload finds it again.

One draft per owner in ``<data folder>/drafts/``: the table as parquet and a small JSON with its
name, target, task, left-out columns and when it was loaded. Written when a table is loaded and
when the choices change; read once when a session starts. No streamlit here.
"""
from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from automl_engine.service.jobs import save_frame
from automl_engine.store.paths import create_private_file, private_dir, user_data_dir

logger = logging.getLogger(__name__)
_OWNER_RE = re.compile(r"^[0-9A-Za-z_-]{1,64}$")


@dataclass
class Draft:
    frame: pd.DataFrame
    name: str
    target: str | None = None
    task: str = "auto"
    exclude: list = field(default_factory=list)
    loaded_at: float = 0.0


def _paths(owner: str, folder: Path | None = None) -> tuple[Path, Path] | None:
    if not _OWNER_RE.match(owner or ""):
        return None
    base = (folder or user_data_dir()) / "drafts"
    return base / f"{owner}.parquet", base / f"{owner}.json"


def save_table(owner: str, frame: pd.DataFrame, name: str, target: str | None, folder: Path | None = None,
               loaded_at: float | None = None) -> None:
    """Keep ``frame`` as the owner's draft (best effort: a failure only costs the restore after a reload).

    ``loaded_at`` (default: now) is what a reload compares with the run's start: a run's own table put back
    is dated when its run was created, so it never counts as a table loaded since.
    """
    paths = _paths(owner, folder)
    if paths is None:
        return
    try:
        save_frame(frame, paths[0])
        save_choices(owner, name=name, target=target, task="auto", exclude=[],
                     loaded_at=time.time() if loaded_at is None else float(loaded_at), folder=folder)
    except Exception as exc:  # noqa: BLE001
        logger.warning("could not keep the draft table of %s: %s", owner, exc)


def save_choices(owner: str, folder: Path | None = None, **choices) -> None:
    """Update the draft's name / target / task / exclude / loaded_at (the others are kept)."""
    paths = _paths(owner, folder)
    if paths is None:
        return
    try:
        current = json.loads(paths[1].read_text(encoding="utf-8")) if paths[1].is_file() else {}
        current.update({k: v for k, v in choices.items()})
        private_dir(paths[1].parent)
        create_private_file(paths[1])   # owner-only (0600), as the draft table beside it
        paths[1].write_text(json.dumps(current), encoding="utf-8")
    except (OSError, ValueError) as exc:
        logger.warning("could not keep the draft choices of %s: %s", owner, exc)


def load(owner: str, folder: Path | None = None) -> Draft | None:
    """The owner's draft, or None (none kept, or unreadable)."""
    paths = _paths(owner, folder)
    if paths is None or not paths[0].is_file() or not paths[1].is_file():
        return None
    try:
        meta = json.loads(paths[1].read_text(encoding="utf-8"))
        frame = pd.read_parquet(paths[0])
    except Exception as exc:  # noqa: BLE001 - a broken draft is only a table not restored
        logger.warning("could not read the draft of %s: %s", owner, exc)
        return None
    target = meta.get("target")
    return Draft(frame, str(meta.get("name") or "table"), target if target in frame.columns else None,
                 str(meta.get("task") or "auto"), [c for c in meta.get("exclude") or [] if c in frame.columns],
                 float(meta.get("loaded_at") or 0.0))
