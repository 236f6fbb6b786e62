"""tools/corpus/find_extra_tasks.py's top-up: a larger run written without the earlier run's picks."""
import os
import sys
from pathlib import Path
from unittest import mock

import pandas as pd

TOOLS = Path(__file__).resolve().parents[1] / "tools" / "corpus"
sys.path.insert(0, str(TOOLS))
with mock.patch.dict(os.environ):  # the script pins OMP_NUM_THREADS=1 on import: not for the rest of the suite
    from find_extra_tasks import without_tasks_of  # noqa: E402


def test_the_earlier_picks_are_left_out_and_the_new_ones_kept_in_order(tmp_path):
    earlier = tmp_path / "earlier.csv"
    pd.DataFrame({"package": ["AER", "MASS"], "item": ["Affairs", "Pima"], "target": ["a", "b"]}).to_csv(
        earlier, index=False)
    larger = pd.DataFrame({"package": ["AER", "AER", "MASS", "MASS"],
                           "item": ["Affairs", "Fatalities", "Pima", "survey"],
                           "target": ["other target", "x", "b", "y"]})
    topped_up = without_tasks_of(larger, [earlier])
    # a table already picked is left out whatever its target: one task per table
    assert topped_up[["package", "item"]].values.tolist() == [["AER", "Fatalities"], ["MASS", "survey"]]
    assert topped_up.index.tolist() == [0, 1]
    assert without_tasks_of(larger, []).equals(larger)


def test_the_committed_top_up_adds_only_tables_the_corpus_does_not_have():
    top_up = pd.read_csv(TOOLS / "top_up_classification_tasks.csv")
    earlier = pd.concat([pd.read_csv(TOOLS / name) for name in
                         ("rdatasets_tasks.csv", "extra_classification_tasks.csv", "big_rdatasets_tasks.csv")])
    earlier_tables = set(zip(earlier["package"], earlier["item"]))
    assert len(top_up) > 0
    assert not any(table in earlier_tables for table in zip(top_up["package"], top_up["item"]))
    assert set(top_up["task"]) == {"clf"}
