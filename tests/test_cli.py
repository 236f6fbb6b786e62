"""The `automl` command, run for real in a subprocess: exit codes, one-line errors, no tracebacks."""
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_wine


def automl(*args, env_dir=None, timeout=600):
    env = None
    if env_dir is not None:
        import os

        env = {**os.environ, "AUTOML_DATA_DIR": str(env_dir)}
    return subprocess.run([sys.executable, "-m", "automl_engine.cli", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, env=env)


@pytest.fixture(scope="module")
def wine_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "wine.csv"
    load_wine(as_frame=True).frame.to_csv(path, index=False)
    return path


def _assert_clean_error(result, *words):
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0]


@pytest.mark.slow
def test_fit_prints_a_leaderboard_saves_a_model_and_predict_uses_it(wine_csv, tmp_path):
    model = tmp_path / "wine.skops"
    fit = automl("fit", wine_csv, "--target", "target", "--max-evals", "3", "--strategy", "random", "--seed", "0",
                 "--no-learn", "--out", model, env_dir=tmp_path / "d")
    assert fit.returncode == 0, fit.stderr
    assert "balanced_accuracy" in fit.stdout and "Traceback" not in fit.stderr
    assert model.exists()
    run_id = fit.stdout.strip().splitlines()[-1].split()[1].rstrip(":")
    out = tmp_path / "pred.csv"
    pred = automl("predict", model, wine_csv, "--out", out, env_dir=tmp_path / "d")
    assert pred.returncode == 0, pred.stderr
    predictions = pd.read_csv(out)
    assert len(predictions) == 178
    resumed = automl("fit", wine_csv, "--target", "target", "--max-evals", "4", "--strategy", "random",
                     "--no-learn", "--resume", run_id, "--out", model, env_dir=tmp_path / "d")
    assert resumed.returncode == 0, resumed.stderr
    assert "evaluations: 4" in resumed.stdout
    runs = automl("runs", env_dir=tmp_path / "d")  # the command the --resume error points to
    assert runs.returncode == 0, runs.stderr
    assert run_id in runs.stdout and "finished" in runs.stdout and "wine.csv" in runs.stdout
    unknown = automl("fit", wine_csv, "--target", "target", "--resume", "nope", env_dir=tmp_path / "d")
    assert unknown.returncode == 2 and "`automl runs` lists them" in unknown.stderr


@pytest.mark.slow
def test_fit_says_what_the_data_checks_found_before_the_search(tmp_path):
    """A column that leaks the target must not pass silently on the command line: the alert, what to do about
    it (with the option that does it) and the fixes are on stderr, and passed checks are only counted."""
    rng = np.random.default_rng(0)
    n = 300
    y = rng.choice(["+", "-"], n)
    frame = pd.DataFrame({"customer_id": np.arange(1000, 1000 + n), "x": rng.normal(size=n),
                          "given late": (y == "+").astype(int), "y": y})
    path = tmp_path / "leaky.csv"
    frame.to_csv(path, index=False)
    fit = automl("fit", path, "--target", "y", "--max-evals", "1", "--strategy", "random", "--no-learn",
                 "--out", tmp_path / "m.skops", env_dir=tmp_path / "d")
    assert fit.returncode == 0, fit.stderr
    report = [line for line in fit.stderr.splitlines() if line.startswith(("data:", "  alert:", "  fixed:"))]
    assert report[0].startswith(f"data: {n} rows, 2 feature columns; 1 alert(s), 1 fixed, "), report
    assert "'given late'" in report[1] and report[1].endswith("(--exclude 'given late')"), report
    assert report[2].startswith("  fixed:") and "'customer_id'" in report[2], report
    assert len(report) == 3, report  # passed checks are not listed one by one


@pytest.mark.parametrize("content, words", [
    (b"", ("empty",)),
    (b"a,b,c\n", ("no rows",)),
    (bytes(range(256)) * 20, ()),
])
@pytest.mark.slow
def test_bad_files_give_one_line_and_exit_2(tmp_path, content, words):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    _assert_clean_error(automl("fit", path, "--target", "a"))


@pytest.mark.slow
def test_missing_target_and_missing_file(wine_csv, tmp_path):
    _assert_clean_error(automl("fit", wine_csv, "--target", "nope"), "nope")
    _assert_clean_error(automl("fit", tmp_path / "absent.csv", "--target", "x"))
    _assert_clean_error(automl("fit", wine_csv, "--target", "target", "--max-evals", "0"), "--max-evals")
    _assert_clean_error(automl("fit", wine_csv))  # argparse: --target is required


@pytest.mark.slow
def test_constant_target_is_refused(tmp_path):
    path = tmp_path / "const.csv"
    pd.DataFrame({"x": np.arange(50.0), "z": np.arange(50.0) % 3, "y": 1}).to_csv(path, index=False)
    _assert_clean_error(automl("fit", path, "--target", "y"))


@pytest.mark.slow
def test_predict_refuses_a_file_that_is_not_a_model(wine_csv, tmp_path):
    fake = tmp_path / "fake.skops"
    fake.write_bytes(b"not a model at all")
    _assert_clean_error(automl("predict", fake, wine_csv))


@pytest.mark.slow
def test_catalogue_and_knowledge_info_json():
    catalogue = json.loads(automl("catalogue", "--json").stdout)
    assert catalogue["classification"]["pipelines"] >= 1000 and catalogue["regression"]["pipelines"] >= 600
    info = json.loads(automl("knowledge", "info", "--json").stdout)
    for task_type in ("classification", "regression"):
        assert {"datasets", "pipelines", "density"} <= set(info[task_type])
        assert info[task_type]["pipelines"] == catalogue[task_type]["pipelines"]


@pytest.mark.slow
def test_knowledge_fit_uses_the_training_steps_chosen_for_the_task_type(tmp_path):
    """Regression's default (no GP-LVM steps) differs from the class default; --n-iter overrides it."""
    from knowledge_fixture import build_tiny_knowledge

    from automl_engine.knowledge.recommender_io import SHIPPED_PARAMS, load_recommender
    from automl_engine.recommender import PMFRecommender

    assert SHIPPED_PARAMS["regression"]["n_iter"] != PMFRecommender().n_iter
    build_tiny_knowledge(tmp_path, "regression")
    result = automl("knowledge", "fit", "--out", tmp_path, "--n-latent", "2")
    assert result.returncode == 0, result.stderr
    recommender = load_recommender("regression", tmp_path)
    assert recommender.n_iter == len(recommender.loss_curve_) == SHIPPED_PARAMS["regression"]["n_iter"]
    assert recommender.pipeline_kinds_ is not None
    assert automl("knowledge", "fit", "--out", tmp_path, "--n-latent", "2", "--n-iter", "3").returncode == 0
    assert load_recommender("regression", tmp_path).n_iter == 3
    replaced = automl("knowledge", "fit", "--out", tmp_path, "--n-latent", "2", "--fidelity-use", "replace")
    assert replaced.returncode == 0 and "fitted on" in replaced.stdout, replaced.stderr  # no second file: the first
    assert not (tmp_path / "regression_recommender_at_5000_rows.npz").exists()
    assert automl("knowledge", "fit", "--out", tmp_path, "--fidelity-use", "mean").returncode == 2


@pytest.mark.slow
def test_a_large_table_gets_the_recommender_fitted_with_its_fidelity(tmp_path):
    """With 5,000-row scores shipped, regression (SHIPPED_FIDELITY_USE "replace") gets a second recommender, which
    tables of 5,000 rows or more load; smaller tables, and every table after a fit with "first", get the other."""
    from dataclasses import replace

    from knowledge_fixture import build_tiny_knowledge

    from automl_engine.knowledge.artifact import load_knowledge, save_knowledge
    from automl_engine.knowledge.recommender_io import SHIPPED_FIDELITY_USE, load_recommender
    from automl_engine.service.jobs import JobManager

    assert SHIPPED_FIDELITY_USE["regression"] == "replace"
    build_tiny_knowledge(tmp_path, "regression")
    first = load_knowledge("regression", tmp_path / "regression.npz", align=False)
    measured = first.status == 1
    second = replace(first, datasets=np.array([f"{n}@5000" for n in first.datasets]),
                     scores=np.where(measured, 1.5 - first.scores, np.nan).astype(np.float32))  # another order
    save_knowledge(second, tmp_path / "regression_at_5000_rows.npz")
    fitted = automl("knowledge", "fit", "--out", tmp_path, "--n-latent", "2")
    assert fitted.returncode == 0, fitted.stderr
    assert "regression for tables of 5,000 rows or more (second fidelity: replace)" in fitted.stdout
    small, large = load_recommender("regression", tmp_path, n_rows=4999), load_recommender("regression", tmp_path,
                                                                                            n_rows=5000)
    at = np.isfinite(small.Y_)   # each row's normal scores: the 5,000-row order is the 800-row order reversed
    assert at.sum() == measured.sum() and np.ptp(small.Y_[at]) > 1
    np.testing.assert_allclose(large.Y_[at], -small.Y_[at], atol=1e-6)
    assert load_recommender("regression", tmp_path).Y_[at].tolist() == small.Y_[at].tolist()  # size unknown
    where = f"regression knowledge in {tmp_path}"                          # what the model card says
    assert (small.source, large.source) == (where, f"{where}, with the scores measured at 5,000 rows")
    manager = JobManager(max_workers=1, store_path=tmp_path / "runs.sqlite", knowledge_dir=tmp_path)
    for rows, expected in ((6000, large), (300, small)):                   # the app's searches ask the same way
        y = pd.Series(np.random.default_rng(0).normal(size=rows))
        np.testing.assert_allclose(manager.recommender_for("regression", y).Y_[at], expected.Y_[at])
    again = automl("knowledge", "fit", "--out", tmp_path, "--n-latent", "2", "--fidelity-use", "first")
    assert again.returncode == 0 and not (tmp_path / "regression_recommender_at_5000_rows.npz").exists()
    np.testing.assert_allclose(load_recommender("regression", tmp_path, n_rows=50_000).Y_[at], small.Y_[at])


def test_the_leaderboard_shows_no_spread_for_a_promoted_pipelines_prediction():
    """A pipeline promoted to more rows was predicted from its own score on fewer rows (std about 0): the CLI
    prints that prediction without "±0.000"; a pick by expected improvement keeps its spread. Below the table,
    the knowledge that guided the search."""
    import io
    from types import SimpleNamespace

    from automl_engine.cli.fit_cmd import print_leaderboard

    board = pd.DataFrame({"pipeline_id": ["a", "b", "c"], "description": ["A", "B", "C"], "score": [0.98, 0.97, 0.9],
                          "score_std": [0.01, 0.02, np.nan], "predicted_score": [0.975, 0.914, np.nan],
                          "predicted_std": [0.0001, 0.101, np.nan], "source": ["promoted", "expected improvement",
                                                                               "ensemble selection"]})
    model = SimpleNamespace(leaderboard_=board, history_=[], metric_="r2", task_="regression", search_stats_={},
                            knowledge_={})
    out = io.StringIO()
    print_leaderboard(model, stream=out)
    lines = out.getvalue().splitlines()
    assert "0.975" in lines[2] and "0.975±" not in out.getvalue()
    assert "0.914±0.101" in lines[3] and "guided by" not in out.getvalue()
    model.knowledge_ = {"recommender": "shipped regression knowledge, with the scores measured at 5,000 rows"}
    print_leaderboard(model, stream=(again := io.StringIO()))
    assert "search guided by: shipped regression knowledge, with the scores measured at 5,000 rows" in again.getvalue()
