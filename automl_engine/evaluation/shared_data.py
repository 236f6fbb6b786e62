"""The prepared table, written once per search where every evaluation child can map it.

An evaluation task used to carry the whole table, pickled into each child process: on a
1,000,000-row table that is hundreds of megabytes copied per evaluation. Instead the table is
written once, uncompressed, as Arrow IPC (``X``) and ``.npy`` (``y``) files in a temporary folder;
a task carries a :class:`SharedFrame` / :class:`SharedArray` handle (a path), and the child maps
the files read-only. The pages are the operating system's page cache, shared by every child.

Examples
--------
>>> import numpy as np, pandas as pd
>>> with SharedData(pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]}), np.array([0, 1])) as shared:
...     X, y = materialize(shared.X), materialize(shared.y)
>>> X["b"].tolist(), y.tolist()
(['x', 'y'], [0, 1])
"""
from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class SharedFrame:
    """A DataFrame stored as an Arrow IPC file; :meth:`load` maps it (no copy of numeric columns)."""

    path: str
    n_rows: int

    def load(self) -> pd.DataFrame:
        import pyarrow.feather as feather

        table = feather.read_table(self.path, memory_map=True)
        return table.to_pandas(split_blocks=True, self_destruct=True)


@dataclass(frozen=True)
class SharedArray:
    """A NumPy array stored as ``.npy``; :meth:`load` maps it read-only."""

    path: str

    def load(self) -> np.ndarray:
        return np.load(self.path, mmap_mode="r", allow_pickle=False)


def materialize(value):
    """The table or array behind a shared handle; anything else as it is."""
    return value.load() if isinstance(value, (SharedFrame, SharedArray)) else value


class SharedData:
    """Write ``X`` and ``y`` once to a temporary folder; ``.X`` and ``.y`` are the handles tasks carry.

    Use as a context manager (or call :meth:`close`): the folder is removed at the end of the search.
    Object labels (``y`` of strings) cannot be mapped; they stay in the task as they are (one
    value per row, small beside ``X``).
    """

    def __init__(self, X: pd.DataFrame, y: np.ndarray, folder=None):
        self.folder = Path(tempfile.mkdtemp(prefix="automl-data-", dir=folder))
        x_path = self.folder / "X.arrow"
        _write_frame(X, x_path)
        self.X = SharedFrame(str(x_path), len(X))
        y = np.asarray(y)
        if y.dtype.kind in "biuf":
            np.save(self.folder / "y.npy", y, allow_pickle=False)
            self.y = SharedArray(str(self.folder / "y.npy"))
        else:
            self.y = y

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> "SharedData":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _write_frame(X: pd.DataFrame, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.feather as feather

    frame = X.copy(deep=False)
    frame.columns = [str(c) for c in frame.columns]
    for name in frame.columns:  # mixed Python objects (rare after cleaning) are written as text
        if frame[name].dtype == object:
            try:
                pa.array(frame[name], from_pandas=True)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                frame[name] = frame[name].astype("str").where(frame[name].notna())
    feather.write_feather(frame.reset_index(drop=True), str(path), compression="uncompressed")
