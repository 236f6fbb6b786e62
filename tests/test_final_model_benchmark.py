"""benchmarks/final_model.py: which tables it measures on (meta-train only, 1,000-20,000 rows) and its paired report."""
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import final_model  # noqa: E402


def test_only_meta_train_tables_of_the_cross_validated_sizes_are_chosen():
    corpus = pd.read_csv(Path(final_model.ROOT) / "automl_engine" / "knowledge" / "corpus.csv")
    tables = final_model.select_tables(corpus, 30)
    assert len(tables) == 30 and (tables["split"] == "train").all()
    assert tables["rows"].between(1000, 20000).all()
    assert (tables["task"] == "regression").sum() == 10
    assert final_model.select_tables(corpus, 30)["name"].tolist() == tables["name"].tolist()   # seeded


def test_the_report_pairs_each_strategy_with_refit(tmp_path):
    rows = []
    for dataset, refit, ensemble in (("a", 0.80, 0.82), ("b", 0.70, 0.69), ("c", 0.60, 0.63)):
        for strategy, score in (("refit", refit), ("ensemble", ensemble)):
            rows.append({"dataset": dataset, "task": "binary", "rows": 1000, "seed": 0, "budget": 60,
                         "strategy": strategy, "built": strategy, "val_score": score + 0.01, "test_score": score,
                         "final_seconds": 1.0, "search_seconds": 60, "evaluations": 9, "load_before": 1.0,
                         "finished_at": "2026-12-07T00:00:00+00:00"})
    path = tmp_path / "r.csv"
    pd.DataFrame(rows, columns=final_model.COLUMNS).to_csv(path, index=False)
    text = final_model.report(path)
    ensemble = next(line for line in text.splitlines() if line.startswith("| ensemble"))
    cells = [c.strip() for c in ensemble.strip("|").split("|")]
    assert cells[2].startswith("+0.0133 ±") and cells[3] == "2 / 0 / 1" and cells[5] == "+0.0100"
