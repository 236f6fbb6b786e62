"""Small real datasets a first-time user can try, shipped as CSV files.

Both come from scikit-learn's bundled copies of public datasets, written as they are:

* ``wine.csv``: 178 wines from three Italian cultivars, 13 chemical measurements; the
  target ``cultivar`` has three classes (multiclass classification).
  Source: UCI Wine recognition data (Forina et al.), ``sklearn.datasets.load_wine``.
* ``diabetes.csv``: 442 diabetes patients, age, sex, body-mass index, blood pressure and
  six blood serum measurements (unscaled); the target ``progression`` is a quantitative
  measure of disease progression one year later (regression).
  Source: Efron et al. (2004), ``sklearn.datasets.load_diabetes(scaled=False)``.

The files are regenerated with
``python -c "from automl_engine.data.samples import _write_samples; _write_samples()"``.
"""

from __future__ import annotations

from pathlib import Path

_DIR = Path(__file__).resolve().parent
_SAMPLES = {
    "wine": ("wine.csv", "cultivar"),
    "diabetes": ("diabetes.csv", "progression"),
}


def sample_datasets() -> dict[str, tuple[Path, str]]:
    """The bundled sample datasets.

    Returns
    -------
    dict
        Name -> (path of the CSV file, name of its target column).

    Examples
    --------
    >>> path, target = sample_datasets()["wine"]
    >>> path.name, target
    ('wine.csv', 'cultivar')
    """
    return {name: (_DIR / file, target) for name, (file, target) in _SAMPLES.items()}


def _write_samples(directory: Path = _DIR) -> None:
    """Write the sample CSVs from scikit-learn's bundled datasets (no download)."""
    from sklearn.datasets import load_diabetes, load_wine

    wine = load_wine(as_frame=True)
    frame = wine.data.copy()
    frame["cultivar"] = [str(wine.target_names[i]) for i in wine.target]
    frame.to_csv(directory / "wine.csv", index=False)

    diabetes = load_diabetes(as_frame=True, scaled=False)
    frame = diabetes.data.copy()
    frame["progression"] = diabetes.target
    frame.to_csv(directory / "diabetes.csv", index=False)
