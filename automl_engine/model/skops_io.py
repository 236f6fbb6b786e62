"""Save and load fitted models as skops files with a model card; no arbitrary code runs on load.

File format
-----------
A skops zip holding one dict: ``{"format": "automl-engine/model", "format_version": 1,
"card": <model card as JSON text>, "model": <the final fitted estimator>}``. The estimator is the
AutoML's ``model_``: a scikit-learn ``Pipeline`` of the catalogue, or an ``EnsembleModel`` of them.

Trusted types
-------------
skops constructs only the types it trusts. Beyond its defaults (builtins, numpy arrays, most of
scikit-learn), ``load_model`` trusts exactly ``TRUSTED_TYPES``: the types that saved pipelines of
every catalogue family and preprocessing variant contain, as listed once by
``scripts/trusted_types_candidates.py`` and reviewed by hand (each is a plain data holder, a
fitted model whose state is restored from arrays or a model string, or a scoring function that is
only called when fitting). A file holding any other type is refused before anything is built.

Version policy
--------------
A model saved under another version of scikit-learn, LightGBM, XGBoost or CatBoost is loaded, with one
``ModelVersionWarning`` saying which versions differ and what to do; the same sentence is kept in
``LoadedModel.warnings`` for the UI. Loading is refused only when the file itself is unusable.
"""
from __future__ import annotations

import importlib
import json
import logging
import os
import platform
import sys
import tempfile
import warnings
import zipfile
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from automl_engine.errors import DataError
from automl_engine.model.unwrap import members, unwrap, used_columns
from automl_engine.task import Task

logger = logging.getLogger(__name__)

FORMAT = "automl-engine/model"
FORMAT_VERSION = 1

TRUSTED_TYPES = (
    # this package: plain estimators whose state is arrays and parameters
    "automl_engine.search.ensemble.EnsembleModel",
    "automl_engine.search.ensemble.StackedModel",
    "automl_engine.catalogue.estimators.CalibratedSVC",
    # CatBoost wrappers: their state holds the model as CatBoost's binary format (bytes), which
    # catboost's load_model(blob=...) parses; no CatBoost type is built from the file itself
    "automl_engine.catalogue.estimators.CatBoostClassifierModel",
    "automl_engine.catalogue.estimators.CatBoostRegressorModel",
    "automl_engine.catalogue.steps.BoundedPolynomialFeatures",
    "automl_engine.catalogue.steps.DatetimeFeatures",
    "automl_engine.catalogue.steps.EncodedLabelClassifier",
    "automl_engine.catalogue.steps.Flatten",
    "automl_engine.catalogue.steps.ToNumeric",
    "automl_engine.catalogue.steps.ToStrings",
    # containers and dtypes
    "collections.OrderedDict",
    "numpy.dtype",
    # LightGBM / XGBoost: wrappers, and boosters restored from their own model text / bytes
    "lightgbm.basic.Booster",
    "lightgbm.sklearn.LGBMClassifier",
    "lightgbm.sklearn.LGBMRegressor",
    "xgboost.core.Booster",
    "xgboost.sklearn.XGBClassifier",
    "xgboost.sklearn.XGBRegressor",
    # scikit-learn internals of the catalogue's estimators
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.metrics._dist_metrics.EuclideanDistance64",
    "sklearn.metrics._dist_metrics.ManhattanDistance64",
    "sklearn.neighbors._kd_tree.KDTree",
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    "sklearn.tree._tree.Tree",
    # the cross-fitting folds of TargetEncoder (n_splits, shuffle, random_state)
    "sklearn.model_selection._split.KFold",
    "sklearn.model_selection._split.StratifiedKFold",
    # score functions of SelectPercentile (called only when fitting)
    "sklearn.feature_selection._univariate_selection.f_classif",
    "sklearn.feature_selection._univariate_selection.f_regression",
)
"""Types trusted beyond skops' defaults; reviewed, never taken from the file being loaded."""

VERSIONED_LIBRARIES = ("scikit-learn", "lightgbm", "xgboost", "catboost")
"""Libraries whose version change may change a loaded model's predictions."""
_CARD_LIBRARIES = ("automl-engine", "scikit-learn", "numpy", "pandas", "scipy", "skops", "lightgbm", "xgboost",
                   "catboost")


class ModelVersionWarning(UserWarning):
    """The model file was saved under other library versions than the running ones."""


# -- model card --------------------------------------------------------------------------------
_MODULES = {"scikit-learn": "sklearn", "automl-engine": "automl_engine"}


def _version(package: str) -> str | None:
    """Installed version of ``package`` (its module's ``__version__`` first: xgboost ships as xgboost-cpu)."""
    try:
        module = importlib.import_module(_MODULES.get(package, package))
        version = getattr(module, "__version__", None)
        if version:
            return str(version)
    except ImportError:
        return None
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def library_versions() -> dict[str, str | None]:
    """Versions of Python and of the libraries a saved model depends on."""
    versions = {name: _version(name) for name in _CARD_LIBRARIES}
    versions["python"] = platform.python_version()
    return versions


def _jsonable(value):
    """``value`` as plain JSON types (numpy scalars unwrapped, NaN and infinities as None)."""
    if isinstance(value, (np.generic,)):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _expected_dtype(kind: str) -> str:
    return {"numeric": "number", "boolean": "boolean or two values", "datetime": "date/time",
            "categorical": "text or category", "high_cardinality": "text or category", "text": "text"}.get(kind, "any")


def _description(estimator) -> str:
    from sklearn.pipeline import Pipeline

    if isinstance(estimator, Pipeline):
        return " → ".join(type(step).__name__ if not isinstance(step, str) else step
                          for _, step in estimator.steps)
    return type(estimator).__name__


def _validation(record: dict | None) -> str | None:
    if not record:
        return None
    n = len(record.get("fold_scores") or [])
    return "holdout" if n == 1 else f"{n}-fold cross-validation" if n else None


def make_card(automl_or_model, *, dtypes: dict | None = None, holdout_score: float | None = None) -> dict:
    """The model card of a fitted AutoML (or a bare fitted Pipeline / EnsembleModel) as a dict.

    Keys: ``format_version``, ``task``, ``target``, ``metric``, ``cv_score``, ``cv_score_std``,
    ``validation``, ``holdout_score``, ``input_schema`` (list of ``{"name", "kind", "dtype"}``),
    ``classes``, ``pipeline`` (description), ``pipeline_id``, ``family``, ``ensemble`` (members
    with weights, or None), ``leaderboard_top`` (best few), ``versions``, ``trained_at``,
    ``saved_at``, ``data_fingerprint``, ``n_rows``, ``data_checks``, ``search_guided_by`` (the knowledge the
    recommender was fitted on, "random" for random search). ``holdout_score``: the model's
    score on rows it never saw, when the caller measured one (the app's holdout diagnostics).
    """

    estimator, task, classes, columns = unwrap(automl_or_model)
    existing = getattr(automl_or_model, "card", None)
    if isinstance(existing, dict):  # re-saving a loaded model keeps its card
        kept = {**existing, "saved_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        if holdout_score is not None:
            kept["holdout_score"] = _jsonable(holdout_score)
        return kept
    kinds = dict(getattr(automl_or_model, "column_types_", {}) or {})
    if not kinds:
        found = [used_columns(m) for _, m in members(estimator)]
        kinds = {c: "unknown" for cols in found if cols for c in cols}
    dtypes = dtypes or dict(getattr(automl_or_model, "dtypes_", None) or {})
    record = getattr(automl_or_model, "best_record_", None) or {}
    ensemble = getattr(automl_or_model, "ensemble_", None)
    report = getattr(automl_or_model, "data_report_", None)
    leaderboard = getattr(automl_or_model, "leaderboard_", None)
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    card = {
        "format_version": FORMAT_VERSION,
        "task": task,
        "target": getattr(automl_or_model, "target_name_", None),
        "metric": getattr(automl_or_model, "metric_", None),
        "cv_score": _jsonable(ensemble["score"] if ensemble else record.get("score")),
        "cv_score_std": _jsonable(None if ensemble else record.get("score_std")),
        "validation": _validation(record),
        "holdout_score": _jsonable(holdout_score if holdout_score is not None else record.get("holdout_score")),
        "input_schema": [{"name": str(c), "kind": k, "dtype": str(dtypes.get(c, _expected_dtype(k)))}
                         for c, k in kinds.items()],
        "classes": None if classes is None else _jsonable(list(classes)),
        "pipeline": record.get("description") or _description(estimator),
        "pipeline_id": record.get("pipeline_id"),
        "family": record.get("family"),
        "model_type": type(estimator).__name__,
        "ensemble": None if not ensemble else [
            {"weight": float(w), "pipeline": d} for w, d in ensemble["members"]],
        "leaderboard_top": None if leaderboard is None else _jsonable(
            leaderboard.head(5)[[c for c in ("pipeline_id", "description", "score") if c in leaderboard]]
            .to_dict(orient="records")),
        "versions": library_versions(),
        "trained_at": getattr(automl_or_model, "fitted_at_", None) or now,
        "saved_at": now,
        "data_fingerprint": getattr(automl_or_model, "fingerprint_", None),
        "n_rows": None if report is None else _jsonable(getattr(report, "n_rows_used", None)),
        "data_checks": None if report is None else _jsonable(
            [{"name": c.name, "status": c.status, "message": c.message} for c in report.checks]),
        "search_guided_by": (getattr(automl_or_model, "knowledge_", None) or {}).get("recommender"),
    }
    return card


def model_card_markdown(card: dict) -> str:
    """The model card as Markdown (title, summary, input schema table, versions)."""
    def fmt(value):
        return "—" if value is None else f"{value:.4f}" if isinstance(value, float) else str(value)

    lines = [f"# Model card: {card.get('target') or 'model'} ({card.get('task')})", "",
             f"- **Task:** {fmt(card.get('task'))}", f"- **Target:** {fmt(card.get('target'))}",
             f"- **Metric:** {fmt(card.get('metric'))}",
             f"- **Score ({card.get('validation') or 'validation'}):** {fmt(card.get('cv_score'))}"
             + (f" ± {card['cv_score_std']:.4f}" if isinstance(card.get("cv_score_std"), float) else ""),
             f"- **Holdout score:** {fmt(card.get('holdout_score'))}",
             f"- **Pipeline:** {fmt(card.get('pipeline'))}"]
    if card.get("search_guided_by"):
        lines.append(f"- **Search guided by:** {card['search_guided_by']}")
    if card.get("classes") is not None:
        lines.append("- **Classes:** " + ", ".join(str(c) for c in card["classes"]))
    if card.get("ensemble"):
        lines.append("- **Ensemble members:**")
        lines += [f"  - {m['weight']:.2f} × {m['pipeline']}" for m in card["ensemble"]]
    lines += [f"- **Trained:** {fmt(card.get('trained_at'))}", f"- **Saved:** {fmt(card.get('saved_at'))}",
              f"- **Data fingerprint:** {fmt(card.get('data_fingerprint'))}",
              f"- **Training rows:** {fmt(card.get('n_rows'))}", "", "## Input columns", "",
              "| column | kind | expected values |", "|---|---|---|"]
    lines += [f"| {c['name']} | {c['kind']} | {c['dtype']} |" for c in card.get("input_schema", [])]
    lines += ["", "## Library versions", "", "| library | version |", "|---|---|"]
    lines += [f"| {k} | {fmt(v)} |" for k, v in (card.get("versions") or {}).items()]
    return "\n".join(lines) + "\n"


# -- the loaded model --------------------------------------------------------------------------
class LoadedModel:
    """A model read back from a file: ``predict``, ``predict_proba`` (classification) and its ``card``.

    Attributes
    ----------
    model_ : the fitted estimator (Pipeline or EnsembleModel)
    card : dict, the model card
    task_, classes_, column_types_, feature_names_in_, target_name_ : from the card and the model
    warnings : list of str, e.g. the version-mismatch sentence
    """

    def __init__(self, model, card: dict, warnings_: list[str] | None = None):
        self.model_ = model
        self.card = card
        self.task_ = card.get("task") or "regression"
        self.classes_ = None if self.task_ == Task.REGRESSION else np.asarray(model.classes_)
        self.column_types_ = {c["name"]: c["kind"] for c in card.get("input_schema", [])}
        self.feature_names_in_ = np.asarray(list(self.column_types_), dtype=object)
        self.target_name_ = card.get("target")
        self.metric_ = card.get("metric")
        self.warnings = list(warnings_ or [])

    def _frame(self, X) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            raise DataError("the model takes a table (a pandas DataFrame) with the training columns")
        missing = [c for c in self.column_types_ if c not in X.columns]
        if missing:
            shown = ", ".join(f"'{c}'" for c in missing[:5])
            raise DataError(f"the data lacks the model's column(s) {shown}; add them with the same names as in "
                            f"the training data")
        return X[list(self.column_types_)] if self.column_types_ else X

    def predict(self, X) -> np.ndarray:
        """Predicted labels or values for the rows of ``X``."""
        return self.model_.predict(self._frame(X))

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, columns in ``classes_`` order (classification only)."""
        if self.task_ == Task.REGRESSION:
            raise AttributeError("predict_proba is only available for classification")
        return self.model_.predict_proba(self._frame(X))

    def save(self, path) -> Path:
        return save_model(self, path)

    def __repr__(self) -> str:
        return f"LoadedModel(task={self.task_!r}, target={self.target_name_!r}, pipeline={self.card.get('pipeline')!r})"


# -- save / load -------------------------------------------------------------------------------
def save_model(automl_or_model, path, *, holdout_score: float | None = None) -> Path:
    """Write the final fitted model and its model card to a skops file; returns the path.

    Parameters
    ----------
    automl_or_model : fitted AutoML, LoadedModel, Pipeline or EnsembleModel
    path : str or path-like; the folder is created if needed. The write is atomic.
    holdout_score : float, optional; recorded in the card (see :func:`make_card`)

    Examples
    --------
    >>> path = automl.save("model.skops")      # doctest: +SKIP
    >>> load_model(path).predict(X)            # doctest: +SKIP
    """
    import skops.io as sio


    estimator = unwrap(automl_or_model)[0]
    card = make_card(automl_or_model, holdout_score=holdout_score)
    payload = {"format": FORMAT, "format_version": FORMAT_VERSION, "card": json.dumps(card), "model": estimator}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=".model-", suffix=".skops", dir=path.parent)
    os.close(handle)
    try:
        sio.dump(payload, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    logger.info("saved %s model to %s", card["task"], path)
    return path


def model_bytes(automl_or_model, *, holdout_score: float | None = None) -> bytes:
    """The skops file ``save_model`` would write, as bytes (for a download button)."""
    with tempfile.TemporaryDirectory() as folder:
        return save_model(automl_or_model, Path(folder) / "model.skops", holdout_score=holdout_score).read_bytes()


def _not_a_model(name: str) -> DataError:
    return DataError(f"'{name}' is not a model file saved by this app (it is not a valid skops file); "
                     f"save the model again from the app or with AutoML.save")


MOVED_MODULES = {
    "automl_engine.transformers": "automl_engine.catalogue.steps",
    "automl_engine.ensemble": "automl_engine.search.ensemble",
}
"""Where the reviewed types of files saved before 2026-12-06 (the engine's flat layout) live now."""


def trusted_types() -> list[str]:
    """``TRUSTED_TYPES``, plus the same reviewed types under the module paths older files name."""
    moved = [f"{old}.{t[len(new) + 1:]}" for t in TRUSTED_TYPES for old, new in MOVED_MODULES.items()
             if t.startswith(new + ".")]
    return [*TRUSTED_TYPES, *moved]


def _import_moved_modules() -> None:
    """Make the old module paths of the reviewed types importable (skops imports a type's module by name)."""
    for old, new in MOVED_MODULES.items():
        sys.modules.setdefault(old, importlib.import_module(new))


def _check_sizes(source, name: str) -> None:
    """Refuse a file whose members would inflate past ``zipguard.check_skops``'s limits, before skops reads them."""
    import io

    from automl_engine.data.zipguard import check_member_count, check_skops

    size = len(source) if isinstance(source, bytes) else os.path.getsize(source)
    try:
        with (io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")) as stream:
            check_member_count(stream, f"The model file {name}")  # before zipfile reads the central directory
            with zipfile.ZipFile(stream) as archive:
                check_skops(archive, size, name)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
        raise _not_a_model(name) from exc


def _untrusted(source, name: str) -> list[str]:
    import skops.io as sio

    try:
        found = sio.get_untrusted_types(**({"data": source} if isinstance(source, bytes) else {"file": source}))
    except Exception as exc:  # noqa: BLE001 - any parse failure means the file is not usable
        raise _not_a_model(name) from exc
    return sorted(set(found) - set(trusted_types()))


_NUMBER = (int, float)
CARD_FIELDS = {  # the card's fields this app reads, with the types they may have (None is always allowed)
    "format_version": (int,), "task": (str,), "target": (str, int, float), "metric": (str,),
    "cv_score": _NUMBER, "cv_score_std": _NUMBER, "holdout_score": _NUMBER, "validation": (str,),
    "input_schema": (list,), "classes": (list,), "pipeline": (str,), "pipeline_id": (str,), "family": (str,),
    "model_type": (str,), "ensemble": (list,), "leaderboard_top": (list,), "versions": (dict,),
    "trained_at": (str,), "saved_at": (str,), "data_fingerprint": (str,), "n_rows": (int,), "data_checks": (list,),
}
TASKS = ("binary", "multiclass", "regression")


def _lying(name: str, what: str) -> DataError:
    return DataError(f"'{name}' was refused because {what}, so it may have been edited or damaged; save the model "
                     f"again from the app or with AutoML.save")


def _kind_of(value) -> str:
    return "null" if value is None else {dict: "an object", list: "a list", str: "text", bool: "true/false"}.get(
        type(value), "a number" if isinstance(value, _NUMBER) else type(value).__name__)


def _checked_card(card, name: str) -> dict:
    """The card if it is an object whose fields this app reads have the types it writes; else DataError."""
    if not isinstance(card, dict):
        raise _lying(name, f"its model card is {_kind_of(card)} instead of an object")
    for field, types in CARD_FIELDS.items():
        value = card.get(field)
        if value is not None and (not isinstance(value, types) or isinstance(value, bool)):
            raise _lying(name, f"its model card's {field} is {_kind_of(value)}")
    if card.get("task") is not None and card["task"] not in TASKS:
        raise _lying(name, f"its model card's task {card['task']!r} is none of {', '.join(TASKS)}")
    for column in card.get("input_schema") or []:
        if not (isinstance(column, dict) and all(isinstance(column.get(k), str) for k in ("name", "kind", "dtype"))):
            raise _lying(name, "its model card's input_schema holds an entry that is not a column (name, kind, dtype)")
    for member in card.get("ensemble") or []:
        if not (isinstance(member, dict) and isinstance(member.get("weight"), _NUMBER)
                and isinstance(member.get("pipeline"), str)):
            raise _lying(name, "its model card's ensemble holds an entry that is not a member (weight, pipeline)")
    return card


def _check_estimator(model, name: str) -> None:
    """A fitted estimator with ``predict`` (every ensemble member fitted too); else DataError."""
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    if isinstance(model, type) or not callable(getattr(model, "predict", None)) or not hasattr(model, "fit"):
        raise _lying(name, f"it holds {_kind_of(model)} where the model should be")
    try:
        parts = members(model)
    except Exception as exc:  # noqa: BLE001 - an ensemble whose members or weights were edited
        raise _lying(name, f"its {type(model).__name__} has no members to predict with") from exc
    for _, member in [(1.0, model), *parts]:
        try:
            check_is_fitted(member)
        except (NotFittedError, TypeError, AttributeError) as exc:
            raise _lying(name, f"the {type(member).__name__} it holds was never fitted") from exc


def _check_agreement(model, card: dict, name: str) -> None:
    """The card's task and classes are the model's; else DataError."""
    try:
        _, task, classes, _ = unwrap(model)
    except Exception as exc:  # noqa: BLE001 - a model without classes_ where it needs them
        raise _lying(name, f"its {type(model).__name__} does not say what it predicts") from exc
    stated = card.get("task")
    if stated is not None and str(stated) != str(task):
        raise _lying(name, f"its card says the task is {stated} but the model it holds is a {task} model")
    if card.get("classes") is not None:
        if classes is None:
            raise _lying(name, "its card lists classes but the model it holds is a regression model")
        if [str(c) for c in card["classes"]] != [str(c) for c in np.asarray(classes).tolist()]:
            shown = ", ".join(map(str, card["classes"][:5]))
            model_shown = ", ".join(map(str, np.asarray(classes).tolist()[:5]))
            raise _lying(name, f"its card's classes ({shown}) are not the model's ({model_shown})")


def _version_warning(card: dict) -> str | None:
    saved = card.get("versions") or {}
    current = library_versions()
    differ = [f"{lib} {saved.get(lib)} (running {current.get(lib)})" for lib in VERSIONED_LIBRARIES
              if saved.get(lib) and current.get(lib) and saved.get(lib) != current.get(lib)]
    if not differ:
        return None
    return (f"This model was saved with {', '.join(differ)}, so its predictions may differ from when it was "
            f"trained; re-train it with this version, or install the saved versions to use it as it was.")


def load_model(path) -> LoadedModel:
    """Load a model file written by ``save_model``, trusting only ``TRUSTED_TYPES``.

    Parameters
    ----------
    path : str, path-like, or bytes (the file's content)

    Returns
    -------
    LoadedModel

    Raises
    ------
    DataError
        The file is missing, not a skops file, corrupt, not saved by this app, or holds a type
        outside the reviewed list (a tampered file); its members would inflate past the limits of
        ``zipguard.check_skops`` (a crafted file); it holds no fitted estimator where the model
        should be; its card is not an object, a field the app reads has the wrong type, or its task
        or classes are not the model's (an edited file). The message is one sentence.

    Warns
    -----
    ModelVersionWarning
        The file was saved under another scikit-learn, LightGBM or XGBoost version.
    """
    import io

    import skops.io as sio

    if isinstance(path, (bytes, bytearray)):
        source, name = bytes(path), "the uploaded file"
        is_zip = zipfile.is_zipfile(io.BytesIO(source))
    else:
        source = str(path)
        name = Path(path).name
        if not Path(path).is_file():
            raise DataError(f"there is no model file at '{path}'; check the path")
        is_zip = zipfile.is_zipfile(source)
    if not is_zip:
        raise _not_a_model(name)
    _check_sizes(source, name)
    foreign = _untrusted(source, name)
    if foreign:
        shown = ", ".join(foreign[:5])
        raise DataError(f"'{name}' was refused because it holds types this app does not trust ({shown}), "
                        f"so it may have been tampered with; load only model files saved by this app")
    _import_moved_modules()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            payload = sio.loads(source, trusted=trusted_types()) if isinstance(source, bytes) else \
                sio.load(source, trusted=trusted_types())
        except Exception as exc:  # noqa: BLE001 - a damaged file can fail in many ways
            raise _not_a_model(name) from exc
    if not (isinstance(payload, dict) and payload.get("format") == FORMAT and "model" in payload):
        raise _not_a_model(name)
    try:
        format_version = int(payload.get("format_version", 0))
    except (TypeError, ValueError) as exc:
        raise _not_a_model(name) from exc
    if format_version > FORMAT_VERSION:
        raise DataError(f"'{name}' was saved by a newer version of this app (format "
                        f"{payload.get('format_version')}); upgrade the app to load it")
    try:
        card = json.loads(payload.get("card") or "{}")
    except (TypeError, ValueError, RecursionError) as exc:
        raise _not_a_model(name) from exc
    card = _checked_card(card, name)
    _check_estimator(payload["model"], name)
    _check_agreement(payload["model"], card, name)
    notes = []
    sentence = _version_warning(card)
    inconsistent = [w for w in caught if "InconsistentVersionWarning" in type(w.message).__name__]
    if sentence is None and inconsistent:
        message = inconsistent[0].message
        saved = getattr(message, "original_sklearn_version", "another version")
        sentence = (f"This model was saved with scikit-learn {saved} (running {_version('scikit-learn')}), so its "
                    f"predictions may differ from when it was trained; re-train it with this version, or install "
                    f"the saved version to use it as it was.")
    if sentence:
        notes.append(sentence)
        warnings.warn(sentence, ModelVersionWarning, stacklevel=2)
        logger.warning(sentence)
    for other in caught:
        if other not in inconsistent:
            logger.debug("while loading %s: %s", name, other.message)
    return LoadedModel(payload["model"], card, notes)
