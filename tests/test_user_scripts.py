"""The Python API as users run it: plain scripts without a main guard, stdin, ``python -c``."""
import subprocess
import sys

import pytest
from sklearn.datasets import load_breast_cancer

from automl_engine import AutoML
from automl_engine.errors import WorkerStartError
from automl_engine.evaluation import isolation

# The README's example in the shape users write it: no ``if __name__ == "__main__":`` guard.
PLAIN_SCRIPT = """\
from sklearn.datasets import load_breast_cancer
from automl_engine import AutoML
X, y = load_breast_cancer(return_X_y=True, as_frame=True)
m = AutoML(max_evals=2, random_state=0, learn=False).fit(X, y)
m.save("model.skops")
print("fitted", len(m.history_), sum(h["status"] == "ok" for h in m.history_))
"""


def _run(args, tmp_path, **kwargs):
    env = {"AUTOML_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, *args], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300, **kwargs)


@pytest.mark.slow
@pytest.mark.parametrize("how", ["file", "stdin", "command"])
def test_plain_script_without_main_guard_fits(tmp_path, how):
    if how == "file":
        (tmp_path / "train.py").write_text(PLAIN_SCRIPT)
        done = _run(["train.py"], tmp_path)
    elif how == "stdin":
        done = _run(["-"], tmp_path, input=PLAIN_SCRIPT)
    else:
        done = _run(["-c", PLAIN_SCRIPT], tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "fitted 2 2"  # both evaluations scored, none lost
    assert (tmp_path / "model.skops").is_file()
    # the script ran once: a child that re-ran it would have fitted again and printed again
    assert done.stdout.count("fitted") == 1


class _BrokenContext:
    """A multiprocessing context whose processes cannot start (as when the machine is out of processes)."""

    def __init__(self, real):
        self._real = real

    def Pipe(self, duplex=False):
        return self._real.Pipe(duplex=duplex)

    def Process(self, *args, **kwargs):
        process = self._real.Process(*args, **kwargs)

        def refuse():
            raise OSError(11, "Resource temporarily unavailable")

        process.start = refuse
        return process


def test_a_worker_that_cannot_start_is_one_sentence_not_a_data_error(monkeypatch, tmp_path):
    real = isolation._context
    monkeypatch.setattr(isolation, "_context", lambda: _BrokenContext(real()))
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    with pytest.raises(WorkerStartError, match="the evaluation worker process could not start") as caught:
        AutoML(max_evals=2, random_state=0, learn=False, data_dir=tmp_path).fit(X, y)
    assert "\n" not in str(caught.value) and "Resource temporarily unavailable" in str(caught.value)


def test_a_plus_minus_target_trains_as_two_classes(tmp_path):
    """A credit-approval style table: the class column holds '+' and '-', which are labels, not missing."""
    import numpy as np
    import pandas as pd

    from automl_engine import load_table

    rng = np.random.default_rng(0)
    n = 200
    income = rng.normal(size=n)
    frame = pd.DataFrame({"income": income.round(3), "job": rng.choice(["a", "b", "?"], n),
                          "class": np.where(income + rng.normal(scale=0.5, size=n) > 0, "+", "-")})
    frame.to_csv(tmp_path / "credit.csv", index=False)
    table = load_table(tmp_path / "credit.csv")
    model = AutoML(max_evals=2, strategy="random", random_state=0, n_folds=3, ensemble=False)
    model.fit(table.drop(columns="class"), table["class"])
    assert model.task_ == "binary" and list(model.classes_) == ["+", "-"]
    assert set(model.predict(table.drop(columns="class"))) <= {"+", "-"}
    assert model.score(table.drop(columns="class"), table["class"]) > 0.7
