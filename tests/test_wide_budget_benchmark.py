"""benchmarks/wide_budget.py: the table it writes, and one row of its report from a real CLI run."""
import ast
import subprocess
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import wide_budget  # noqa: E402


def test_the_table_has_the_asked_shape_and_a_yes_no_target(tmp_path):
    path = tmp_path / "wide.csv"
    wide_budget.write_table(path, 40, 25)
    frame = pd.read_csv(path)
    assert frame.shape == (40, 26) and set(frame["target"]) == {"yes", "no"}


def test_a_run_reports_the_stages_and_what_the_cli_said():
    done = subprocess.run([sys.executable, "benchmarks/wide_budget.py", "--rows", "60", "--columns", "30",
                           "--budget", "8"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    row = ast.literal_eval(done.stdout.strip().splitlines()[-1])
    assert row["rows"] == 60 and row["columns"] == 30
    assert all(row[f"{stage}_s"] >= 0 for stage in ("load_table", "prepare_data", "meta_features"))
    assert row["exit"] == 0 and "model saved" in row["outcome"]  # a small table gets its model within 8 s
    assert row["wall_s"] > 0
