"""The engine and the CLI work without the optional extras ([app]: Streamlit / Altair, [dask])."""
import subprocess
import sys

import pytest

from automl_engine.errors import DataError
from automl_engine.evaluation.executor import Evaluator

EXTRAS = ("streamlit", "altair", "dask", "distributed")  # psutil is a runtime dependency (data/memory.py)

# A fresh interpreter in which the optional packages cannot be imported, as in a core install
# (LightGBM and XGBoost import Dask only when it is there).
BLOCKED = f"""
import sys
class Blocked:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {EXTRAS!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
sys.meta_path.insert(0, Blocked())
"""


def run_blocked(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", BLOCKED + code], capture_output=True, text=True, timeout=120,
                          check=False)


@pytest.mark.slow
def test_engine_and_cli_import_without_the_extras():
    out = run_blocked("from automl_engine import AutoML, PMFRecommender, load_table, load_model, explain, DataError\n"
                      "import automl_engine.cli, automl_engine.service.jobs, automl_engine.knowledge.build\n"
                      "sys.exit(automl_engine.cli.main(['catalogue']))\n")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip()


@pytest.mark.slow
def test_dask_scheduler_without_dask_names_the_extra(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("a,b,y\n" + "".join(f"{i},{i % 7},{i % 2}\n" for i in range(60)))
    out = run_blocked("import automl_engine.cli\n"
                      f"sys.exit(automl_engine.cli.main(['fit', {str(table)!r}, '--target', 'y', '--max-evals', '2',"
                      " '--scheduler', 'tcp://127.0.0.1:1']))\n")
    assert out.returncode == 2, out.stderr
    assert out.stderr.strip().splitlines()[-1] == (
        "error: install automl-engine[dask] (pip install 'automl-engine[dask]') to use a Dask scheduler")


def test_evaluator_with_a_dask_address_without_dask_says_which_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if the [dask] extra were not installed
    with pytest.raises(DataError, match=r"automl-engine\[dask\]"):
        Evaluator(dask_address="tcp://127.0.0.1:1")
