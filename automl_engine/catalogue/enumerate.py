"""Enumerate the discrete pipeline catalogue from the declarative spec shipped as package data."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from importlib import resources

import numpy as np

from automl_engine.task import Task

TASK_TYPES = ("classification", "regression")
FIRST_VERSION = "1.0.0"
PREP_KEYS = ("impute", "indicators", "scale", "encode", "poly", "select", "pca")


@dataclass(frozen=True)
class PipelineSpec:
    """One pipeline instantiation of the catalogue.

    ``id`` is a hash of the canonical spec (task type, estimator, parameters, preprocessing),
    so it stays the same across releases as long as the pipeline itself does.
    """

    id: str
    task_type: str
    family: str
    estimator: str
    label: str
    params: dict = field(hash=False)
    prep: dict = field(hash=False)

    @property
    def description(self) -> str:
        """A short human-readable form, e.g. ``Median → Robust → PCA(0.95) → SVC(C=4, gamma=scale)``."""
        return describe(self)


@dataclass(frozen=True)
class Catalogue:
    """The ordered pipelines of one task type; a pipeline's index is its column in the knowledge."""

    version: str
    task_type: str
    pipelines: tuple[PipelineSpec, ...]

    def __len__(self) -> int:
        return len(self.pipelines)

    def __getitem__(self, index: int) -> PipelineSpec:
        return self.pipelines[index]

    def index_of(self, pipeline_id: str) -> int:
        for i, spec in enumerate(self.pipelines):
            if spec.id == pipeline_id:
                return i
        raise KeyError(f"pipeline {pipeline_id!r} is not in the {self.task_type} catalogue")

    @property
    def ids(self) -> list[str]:
        return [p.id for p in self.pipelines]

    @property
    def families(self) -> list[str]:
        return [p.family for p in self.pipelines]


def load_spec() -> dict:
    """The declarative catalogue spec (package data ``catalogue/spec.json``)."""
    text = resources.files("automl_engine.catalogue").joinpath("spec.json").read_text("utf-8")
    return json.loads(text)


def family_kinds(task_type: str) -> dict[str, str]:
    """Each family's kind: its preprocessing profile in the spec — linear models, models on scaled
    inputs (kernel, neighbours, neural), tree models, naive Bayes. The warm start takes turns
    across kinds."""
    return {family["name"]: family["profile"] for family in load_spec()["families"][task_type]}


@dataclass(frozen=True)
class ExplainTraits:
    """How SHAP explains a family's fitted model (see the spec's comment)."""

    kind: str = "permutation"            # "tree", "linear" or "permutation"
    float32: bool = False                # compares its inputs in float32
    probability_output: bool = False     # a tree classifier whose raw output is the probability


def explain_traits() -> dict[str, ExplainTraits]:
    """Explanation traits by estimator name (the spec's ``estimator``, which is the fitted model's class name
    for every family explained exactly), over both task types.

    Examples
    --------
    >>> explain_traits()["RandomForestClassifier"]
    ExplainTraits(kind='tree', float32=True, probability_output=True)
    """
    families = [f for task_type in TASK_TYPES for f in load_spec()["families"][task_type]]
    return {f["estimator"]: ExplainTraits(**f.get("explain", {})) for f in families}


def family_costs(task_type: str) -> dict[str, dict[str, float]]:
    """Each family's cost exponents: ``{"rows": a, "cols": b}`` with evaluation cost ~ n^a * d^b
    for n rows and d columns (fit and predict of one fold), as declared in the spec.

    Examples
    --------
    >>> family_costs("classification")["rbf_svm"]
    {'rows': 2.0, 'cols': 1.0}
    """
    return {family["name"]: {"rows": float(family["cost"]["rows"]), "cols": float(family["cost"]["cols"])}
            for family in load_spec()["families"][task_type]}


def family_versions(task_type: str) -> dict[str, str]:
    """The catalogue version that added each family (``since`` in the spec; 1.0.0 if absent)."""
    return {family["name"]: family.get("since", FIRST_VERSION) for family in load_spec()["families"][task_type]}


def family_changes(task_type: str) -> dict[str, str]:
    """The last catalogue version that changed each family's estimator (``changed`` in the spec,
    else the version that added it): scores measured under an older catalogue are stale."""
    return {family["name"]: family.get("changed", family.get("since", FIRST_VERSION))
            for family in load_spec()["families"][task_type]}


def pipeline_id(task_type: str, estimator: str, params: dict, prep: dict) -> str:
    """Stable id: the first 12 hex digits of the SHA-1 of the canonical JSON spec."""
    canonical = json.dumps(
        {"task_type": task_type, "estimator": estimator, "params": params, "prep": prep},
        sort_keys=True, separators=(",", ":"),
    )
    return hashlib.sha1(canonical.encode("utf-8")).hexdigest()[:12]


def _family_rng(seed: int, task_type: str, family: str) -> np.random.Generator:
    digest = hashlib.sha256(f"{seed}:{task_type}:{family}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def _decode(index: int, axes: list[tuple[str, list]]) -> dict:
    """Mixed-radix decoding of ``index`` into one choice per axis."""
    choice = {}
    for name, values in axes:
        index, position = divmod(index, len(values))
        choice[name] = values[position]
    return choice


def enumerate_family(spec: dict, task_type: str, family: dict) -> list[PipelineSpec]:
    """Sample ``family['count']`` distinct instantiations of one family, deterministically."""
    profile = spec["profiles"][family["profile"]]
    grid_axes = [(k, list(v)) for k, v in sorted(family["grid"].items())]
    prep_axes = [(f"prep:{k}", list(profile[k])) for k in PREP_KEYS]
    axes = grid_axes + prep_axes
    total = int(np.prod([len(v) for _, v in axes], dtype=np.int64))
    count = min(int(family["count"]), total)
    rng = _family_rng(spec["seed"], task_type, family["name"])
    id_as = family.get("id_as", {})  # ids computed as in the catalogue version that introduced them
    chosen = np.sort(rng.choice(total, size=count, replace=False))
    pipelines = []
    for index in chosen:
        choice = _decode(int(index), axes)
        grid_params = {k: v for k, v in choice.items() if not k.startswith("prep:")}
        params = {**family.get("fixed", {}), **grid_params}
        prep = {k[5:]: v for k, v in choice.items() if k.startswith("prep:")}
        pid = pipeline_id(task_type, id_as.get("estimator", family["estimator"]),
                          {**id_as.get("fixed", family.get("fixed", {})), **grid_params}, prep)
        pipelines.append(
            PipelineSpec(pid, task_type, family["name"], family["estimator"], family["label"], params, prep)
        )
    return pipelines


def load_catalogue(task_type: str) -> Catalogue:
    """Enumerate the catalogue of ``task_type`` ("classification" or "regression")."""
    if task_type not in TASK_TYPES:
        raise ValueError(f"task_type must be one of {TASK_TYPES}, not {task_type!r}")
    spec = load_spec()
    pipelines: list[PipelineSpec] = []
    for family in spec["families"][task_type]:
        pipelines.extend(enumerate_family(spec, task_type, family))
    return Catalogue(spec["version"], task_type, tuple(pipelines))


def task_type_of(task: str) -> str:
    """Map a task ("binary", "multiclass", "regression") to its catalogue's task type."""
    return "regression" if task == Task.REGRESSION else "classification"


_SCALE_NAMES = {"standard": "Standard", "robust": "Robust", "quantile": "Quantile"}
_ENCODE_NAMES = {"onehot": "OneHot", "ordinal": "Ordinal", "target": "TargetEnc"}
_SHOWN_PARAMS = 3


def _short(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return "x".join(str(v) for v in value)
    return str(value)


def describe(spec: PipelineSpec) -> str:
    """``Median+ind → Robust → OneHot → PCA(0.95) → SVC(C=4, gamma=scale)``-style text."""
    prep = spec.prep
    steps = [prep["impute"].replace("most_frequent", "Mode").capitalize() + ("+ind" if prep["indicators"] else "")]
    if prep["scale"] != "none":
        steps.append(_SCALE_NAMES[prep["scale"]])
    steps.append(_ENCODE_NAMES[prep["encode"]])
    if prep["poly"]:
        steps.append("Poly2")
    if prep["select"]:
        steps.append(f"Select({prep['select']}%)")
    if prep["pca"]:
        steps.append(f"PCA({prep['pca']:g})")
    skip = {"n_jobs", "verbose", "verbosity", "max_iter", "tree_method", "probability", "cache_size",
            "kernel", "subsample_freq", "early_stopping", "thread_count"}
    shown = [(k, v) for k, v in spec.params.items() if k not in skip and v is not None]
    args = ", ".join(f"{k}={_short(v)}" for k, v in shown[: _SHOWN_PARAMS + 1])
    steps.append(f"{spec.label}({args})")
    return " → ".join(steps)
