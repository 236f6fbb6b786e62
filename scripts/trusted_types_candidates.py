"""List the types skops does not trust by default in saved models of every catalogue family.

Run after changing the catalogue or upgrading scikit-learn / skops / LightGBM / XGBoost::

    python scripts/trusted_types_candidates.py

Review each printed type (what does loading it construct or call?) before adding it to
``automl_engine.model.skops_io.TRUSTED_TYPES``; the loader never trusts what this reports at load time.
"""
from __future__ import annotations

import sys
from pathlib import Path

import skops.io as sio

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from model_zoo import CLASSIFICATION_FAMILIES, REGRESSION_FAMILIES, fitted, fitted_ensemble  # noqa: E402

# Preprocessing variants that between them use every step the catalogue can build.
PREPS = (
    {},
    {"encode": "onehot", "indicators": True, "scale": "standard", "select": 50},
    {"encode": "target", "scale": "quantile", "pca": 0.95},
    {"encode": "ordinal", "scale": "robust", "poly": True},
)


def candidates() -> set[str]:
    """Every untrusted type name found in saved models of every family × preprocessing variant."""
    found: set[str] = set()
    jobs = [(t, f) for t in ("binary", "multiclass") for f in CLASSIFICATION_FAMILIES]
    jobs += [("regression", f) for f in REGRESSION_FAMILIES]
    for task, family in jobs:
        for prep in PREPS:
            model = fitted(task, family, prep, n=80)[0]
            found.update(sio.get_untrusted_types(data=sio.dumps({"model": model})))
    for task in ("binary", "multiclass", "regression"):
        found.update(sio.get_untrusted_types(data=sio.dumps({"model": fitted_ensemble(task, n=80)[0]})))
    return found


if __name__ == "__main__":
    for name in sorted(candidates()):
        sys.stdout.write(f"{name}\n")
