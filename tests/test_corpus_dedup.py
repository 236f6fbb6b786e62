"""Content fingerprints of tools/corpus/content_dedup.py on small frames."""
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools" / "corpus"))
from content_dedup import (  # noqa: E402
    group_variants,
    keel_base,
    row_containment,
    same_content,
    signature,
)


def _table(n=2000, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"age": rng.normal(40, 10, n).round(1), "income": rng.lognormal(10, 1, n).round(0),
                         "city": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2]),
                         "label": rng.choice(["yes", "no"], n, p=[0.7, 0.3])})


def test_keel_variant_names_map_to_their_base_table():
    names = {"yeast-1_vs_7": "yeast", "yeast4": "yeast", "abalone9-18": "abalone", "abalone19": "abalone",
             "kr-vs-k-zero-one_vs_draw": "kr-vs-k", "kddcup-land_vs_satan": "kddcup", "car-vgood": "car",
             "winequality-red-8_vs_6": "winequality-red", "winequality-white-3_vs_7": "winequality-white",
             "page-blocks-1-3_vs_4": "page-blocks", "shuttle-c0-vs-c4": "shuttle", "led7digit": "led7digit",
             "lymphography-normal-fibrosis": "lymphography", "new-thyroid2": "new-thyroid",
             "tic-tac-toe": "tic-tac-toe"}
    assert {n: keel_base(n) for n in names} == names


def test_a_renamed_rescaled_relabelled_copy_with_rows_missing_is_the_same_content():
    table = _table()
    copy = table.sample(frac=0.98, random_state=1).reset_index(drop=True)
    copy.columns = ["x1", "x2", "x3", "class"]
    copy["x1"] = (copy["x1"] - 40) / 10  # standardised, as KEEL ships some tables
    copy["x3"] = copy["x3"].map({"a": 3, "b": 1, "c": 2})  # re-coded levels
    copy["class"] = copy["class"].map({"yes": "positive", "no": "negative"})
    assert same_content(signature(table), signature(copy))


def test_different_tables_are_not_the_same_content():
    a, b = _table(seed=0), _table(seed=0)
    b["age"] = np.random.default_rng(5).uniform(0, 1, len(b))  # other distributions
    b["income"] = np.random.default_rng(6).uniform(0, 1, len(b))
    assert not same_content(signature(a), signature(b))
    assert not same_content(signature(a), signature(_table(n=200)))  # rows more than 10% apart


def test_an_all_categorical_copy_needs_every_column_matched():
    rng = np.random.default_rng(0)
    a = pd.DataFrame({c: rng.choice(list("abcd"), 300) for c in "pqr"})
    assert same_content(signature(a), signature(a.rename(columns=str.upper)))
    b = a.copy()
    b["r"] = rng.choice(["u", "v"], 300, p=[0.9, 0.1])
    assert not same_content(signature(a), signature(b))


def test_row_containment_and_variant_groups():
    base = _table()
    subset = base[base["city"] != "c"].reset_index(drop=True)
    other = _table(seed=3)
    assert row_containment(base, subset) == 1.0
    assert row_containment(base, other) < 0.1
    assert row_containment(base, subset.drop(columns=["age"])) == 0.0  # widths differ
    features = {"big": base, "part": subset, "other": other, "other3": other.iloc[:100], "zoo-3": other}
    groups = group_variants(list(features), features)
    assert groups["part"] == groups["big"] == "big"  # feature rows contained
    assert groups["other3"] == groups["other"] != groups["big"]
    assert groups["zoo-3"] == "other"  # identical rows group even when the base names differ
    assert group_variants(["glass0", "glass-0-1-6_vs_5"], {"glass0": base, "glass-0-1-6_vs_5": other}) == \
        {"glass0": "glass-0-1-6_vs_5", "glass-0-1-6_vs_5": "glass-0-1-6_vs_5"}  # same base name
