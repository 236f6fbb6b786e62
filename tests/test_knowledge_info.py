"""``automl knowledge info --json``: per task type sizes, splits, density and datasets at 5,000 rows."""
import json

import numpy as np

from automl_engine.catalogue import load_catalogue
from automl_engine.cli import main
from automl_engine.knowledge.artifact import Knowledge, save_knowledge
from automl_engine.knowledge.metafeatures import META_FEATURE_NAMES

TABLE_ROWS = [300, 6000, 20000, 900]
SPLITS = ["train", "train", "test", "train"]


def _write(folder, measured_rows=None):
    catalogue = load_catalogue("classification")
    n, m = len(TABLE_ROWS), len(catalogue)
    status = np.zeros((n, m), np.int8)
    status[:, :10] = 1  # ten observed pipelines per dataset
    meta = np.zeros((n, len(META_FEATURE_NAMES)))
    meta[:, META_FEATURE_NAMES.index("n_rows")] = TABLE_ROWS
    knowledge = Knowledge("classification", catalogue.version, np.array([f"d{i}" for i in range(n)]),
                          np.array(["binary"] * n), np.array(SPLITS), np.array(catalogue.ids),
                          np.where(status == 1, 0.8, np.nan).astype(np.float32), status,
                          np.full((n, m), 0.1, np.float32), meta, np.array(META_FEATURE_NAMES), 0.5)
    path = folder / "classification.npz"
    save_knowledge(knowledge, path)
    if measured_rows is not None:
        with np.load(path) as data:
            fields = {k: data[k] for k in data.files}
        np.savez_compressed(path, **fields, measured_rows=measured_rows)
    return n, m


def _info(folder, capsys) -> dict:
    assert main(["knowledge", "info", "--json", "--dir", str(folder)]) == 0
    return json.loads(capsys.readouterr().out)


def test_info_reports_splits_density_and_the_build_rule_when_rows_are_not_recorded(tmp_path, capsys):
    n, m = _write(tmp_path)
    info = _info(tmp_path, capsys)
    assert set(info) == {"classification", "regression"}
    c = info["classification"]
    assert (c["datasets"], c["meta_train_datasets"], c["meta_test_datasets"]) == (4, 3, 1)
    assert c["density"] == round(10 / len(load_catalogue("classification")), 4)
    # every score of the build is measured on min(rows, 800) rows: none at 5,000, two tables that large
    assert c["datasets_at_5000_rows"] == 0 and c["datasets_with_5000_rows"] == 2
    assert "build rule" in c["measured_rows_source"]
    r = info["regression"]  # no file in the folder: empty knowledge, still every key
    assert r["datasets"] == r["datasets_at_5000_rows"] == 0 and "meta_test_datasets" in r


def test_info_counts_datasets_with_an_observed_score_measured_on_5000_rows(tmp_path, capsys):
    measured = np.full((4, len(load_catalogue("classification"))), 800.0)
    measured[1, 3] = 5000  # observed (first ten pipelines are): counts
    measured[2, 50] = 20000  # an unobserved pipeline: does not count
    _write(tmp_path, measured)
    c = _info(tmp_path, capsys)["classification"]
    assert c["datasets_at_5000_rows"] == 1 and c["measured_rows_source"] == "artifact"
    assert main(["knowledge", "info", "--dir", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "at5k" in text and text.splitlines()[1].split()[-1] == "1"
