"""The peers benchmark on larger tables (benchmarks/peers_large.py, peers_report.py): statistics,
table selection and resuming. Nothing here runs a search, FLAML or AutoGluon."""
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import peers_large  # noqa: E402
from peers_report import large_summary, mean_ranks, paired_difference, per_table, sign_test, targets  # noqa: E402


def results_frame(rows):
    """Result rows (dataset, seed, system, test score, validation score) at a 60 s budget."""
    frame = pd.DataFrame(rows, columns=["dataset", "seed", "system", "test_score", "val_score"])
    frame["status"] = np.where(frame["test_score"].isna(), "error", "ok")
    return frame.assign(budget=60.0, seconds=50.0)


# Four tables; D has two splits whose means tie all three systems at 0.6.
SCORES = {"A": [(0.80, 0.70, 0.75)], "B": [(0.60, 0.65, 0.60)], "C": [(0.90, 0.90, 0.85)],
          "D": [(0.70, 0.60, 0.50), (0.50, 0.60, 0.70)]}


@pytest.fixture
def four_tables():
    rows = [(name, seed, system, score, score + 0.05 if system == "pmf" else np.nan)
            for name, splits in SCORES.items() for seed, scores in enumerate(splits)
            for system, score in zip(("pmf", "random", "flaml"), scores)]
    return results_frame(rows)


def test_sign_test_two_sided():
    assert sign_test(5, 0) == pytest.approx(2 / 32)
    assert sign_test(9, 1) == pytest.approx(2 * 11 / 1024)
    assert sign_test(1, 1) == pytest.approx(1.0)
    assert np.isnan(sign_test(0, 0))


def test_per_table_averages_the_splits(four_tables):
    wide = per_table(four_tables)
    assert list(wide.index) == ["A", "B", "C", "D"]
    assert wide.loc["D"].tolist() == pytest.approx([0.6, 0.6, 0.6])  # columns flaml, pmf, random


def test_mean_ranks_by_hand(four_tables):
    ranks = mean_ranks(per_table(four_tables))
    # A: pmf 1, flaml 2, random 3; B: random 1, pmf and flaml 2.5; C: pmf and random 1.5, flaml 3; D: all 2
    assert ranks["pmf"] == pytest.approx(7 / 4)
    assert ranks["random"] == pytest.approx(7.5 / 4)
    assert ranks["flaml"] == pytest.approx(9.5 / 4)


def test_paired_difference_by_hand():
    mean, se, n = paired_difference(pd.Series([0.9, 0.6, 0.5, 0.5]), pd.Series([0.8, 0.65, 0.5, 0.5]))
    assert n == 4 and mean == pytest.approx(0.0125)
    assert se == pytest.approx(np.sqrt(0.011875 / 3) / 2)
    mean, se, n = paired_difference(pd.Series([0.5, 0.7, -np.inf]), pd.Series([0.4, 0.4, 0.3]))
    assert n == 2 and mean == pytest.approx(0.2)  # the failed run is left out of the difference


def test_summary_by_hand(four_tables):
    summary = large_summary(four_tables).set_index("system")
    assert list(summary.index) == ["pmf", "random", "flaml"]
    random, flaml = summary.loc["random"], summary.loc["flaml"]
    # pmf − random per table: +0.10, −0.05, 0, 0
    assert (random["wins"], random["ties"], random["losses"]) == (1, 2, 1)
    assert random["p"] == pytest.approx(1.0)
    assert random["diff"] == pytest.approx(0.0125)
    assert random["diff_se"] == pytest.approx(np.sqrt(0.011875 / 3) / 2)
    # pmf − flaml per table: +0.05, 0, +0.05, 0
    assert (flaml["wins"], flaml["ties"], flaml["losses"]) == (2, 2, 0)
    assert flaml["p"] == pytest.approx(0.5)
    assert flaml["diff_se"] == pytest.approx(np.sqrt(0.0025 / 3) / 2)
    assert summary.loc["pmf", "gap"] == pytest.approx(0.05)
    assert np.isnan(summary.loc["flaml", "gap"])
    assert summary.loc["pmf", "mean_test"] == pytest.approx((0.8 + 0.6 + 0.9 + 0.6) / 4)
    assert summary.loc["pmf", "splits"] == 1 and summary.loc["pmf", "tables"] == 4


def test_targets_by_hand(four_tables):
    lines = targets(large_summary(four_tables))
    # ranks 1.75 vs flaml's 2.375; ahead of random on 1 of 4 tables: 25%, 40 points short of 65%
    assert "rank vs flaml 1.75 vs 2.38 (met)" in lines
    assert "ahead of random on 1 of 4 tables (25%; target 65%: missed by 40%)" in lines
    assert "autogluon" not in lines


def test_a_failed_run_ranks_last_and_leaves_the_means():
    results = results_frame([("E", 0, "pmf", 0.5, np.nan), ("E", 0, "random", 0.4, np.nan),
                             ("E", 0, "flaml", np.nan, np.nan), ("F", 0, "pmf", 0.6, np.nan),
                             ("F", 0, "random", 0.7, np.nan), ("F", 0, "flaml", 0.8, np.nan)])
    summary = large_summary(results).set_index("system")
    assert summary.loc["flaml", "mean_rank"] == pytest.approx((3 + 1) / 2)
    assert summary.loc["flaml", "mean_test"] == pytest.approx(0.8)
    assert summary.loc["flaml", "not_ok"] == 1
    assert (summary.loc["flaml", "wins"], summary.loc["flaml", "losses"]) == (1, 1)
    assert summary.loc["flaml", "diff_n"] == 1


def test_a_split_missing_a_system_is_left_out():
    results = results_frame([("A", 0, "pmf", 0.5, np.nan), ("A", 0, "random", 0.4, np.nan),
                             ("A", 1, "pmf", 0.9, np.nan)])
    assert per_table(results).loc["A", "pmf"] == pytest.approx(0.5)


def test_select_tables_keeps_large_meta_test_tables_smallest_first():
    corpus = pd.DataFrame({"name": ["a", "b", "c", "d", "e"], "split": ["test", "train", "test", "test", "test"],
                           "rows": [5000, 20000, 999, 1000, 1500]})
    assert peers_large.select_tables(corpus)["name"].tolist() == ["d", "e", "a"]
    assert peers_large.select_tables(corpus, 2000)["name"].tolist() == ["a"]


def test_the_shipped_corpus_has_twenty_tables_of_a_thousand_rows():
    from automl_engine.knowledge.corpus import load_corpus_table

    tables = peers_large.select_tables(load_corpus_table())
    assert len(tables) >= 20 and (tables["split"] == "test").all() and tables["rows"].min() >= 1000


def table(rows=1200, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=rows)
    return pd.DataFrame({"x": x, "z": rng.normal(size=rows), "y": np.where(x > 0, "yes", "no")})


def recorded_row(seed):
    return {"dataset": "t", "seed": seed, "system": "pmf", "budget": 60.0, "status": "ok", "finished_at": "now"}


def test_run_grid_resumes_and_skips_what_is_recorded(tmp_path, monkeypatch):
    calls = []

    def fake_run(system, task, X_tr, y_tr, X_te, y_te, seed, budget):
        calls.append((system, seed, budget, len(y_te)))
        return {"status": "ok", "test_score": 0.5, "val_score": 0.6, "seconds": 1.0}

    monkeypatch.setattr(peers_large, "run_system", fake_run)
    tables = pd.DataFrame({"name": ["t"], "target": ["y"], "rows": [1200]})
    results = tmp_path / "results.csv"
    peers_large.append_row(results, recorded_row(seed=0))
    ran = peers_large.run_grid(tables, [0, 1], ["pmf", "flaml"], [60], results, load=lambda row: table())
    assert ran == 3 and ("pmf", 0, 60, 300) not in calls
    assert all(n_test >= peers_large.MIN_TEST_ROWS for *_, n_test in calls)
    calls.clear()
    assert peers_large.run_grid(tables, [0, 1], ["pmf", "flaml"], [60], results, load=lambda row: table()) == 0
    assert calls == []
    recorded = peers_large.read_results(results)
    assert len(recorded) == 4 and set(recorded["seed"]) == {0, 1}


def test_a_line_cut_short_by_a_kill_is_dropped_and_the_next_row_starts_clean(tmp_path):
    results = tmp_path / "results.csv"
    peers_large.append_row(results, recorded_row(seed=0))
    with open(results, "a", encoding="utf-8") as f:
        f.write("t,binary,1200,1,900,300,flaml,60.0,o")  # killed mid-row: the status is cut
    peers_large.append_row(results, recorded_row(seed=1))
    keys = peers_large.done_keys(peers_large.read_results(results))
    assert keys == {("t", 0, "pmf", 60.0), ("t", 1, "pmf", 60.0)}


def test_a_small_test_set_is_skipped(tmp_path, monkeypatch):
    monkeypatch.setattr(peers_large, "run_system", lambda *a: pytest.fail("a small table must not run"))
    tables = pd.DataFrame({"name": ["t"], "target": ["y"], "rows": [400]})
    assert peers_large.run_grid(tables, [0], ["pmf"], [60], tmp_path / "r.csv", load=lambda row: table(400)) == 0


def test_mixed_object_columns_reach_parquet(tmp_path):
    X = pd.DataFrame({"mixed": pd.Series([1, "a", None], dtype=object), "x": [1.0, 2.0, 3.0]})
    peers_large._parquet_ready(X).to_parquet(tmp_path / "x.parquet")
    back = pd.read_parquet(tmp_path / "x.parquet")
    assert back["mixed"].tolist()[:2] == ["1", "a"] and pd.isna(back["mixed"].iloc[2])
