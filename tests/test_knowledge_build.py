"""The offline knowledge build: identical locally and on Dask, resumable after a kill, exported and loadable."""
import os
import signal
import sqlite3
import subprocess
import sys
import time

import dask
import distributed
import numpy as np
import pytest

from automl_engine.catalogue import family_changes, load_catalogue
from automl_engine.evaluation import Evaluator, Limits
from automl_engine.knowledge.artifact import knowledge_from_store, load_knowledge, save_knowledge
from automl_engine.knowledge.build import BuildSettings, build_knowledge, planned_indices
from automl_engine.knowledge.corpus import load_corpus_table
from automl_engine.knowledge.store import KnowledgeStore

TINY = BuildSettings(max_rows=120, n_folds=3, density=0.02, n_anchors=13, seed=0)
SMALLER = BuildSettings(max_rows=120, n_folds=3, density=0.01, n_anchors=6, seed=0)  # half TINY's evaluations


def _three_tasks():
    table = load_corpus_table()
    return table[table["name"].isin(["sklearn/iris:target", "sklearn/wine:target", "sklearn/diabetes:target"])]


def _scores(store: KnowledgeStore) -> dict:
    return {(e["dataset"], e["pipeline_id"]): (e["status"], e["score"]) for e in store.evaluations()}


@pytest.mark.slow
def test_tiny_build_is_identical_locally_and_on_a_dask_cluster(tmp_path):
    table = _three_tasks()
    assert len(table) == 3
    local = KnowledgeStore(tmp_path / "local.sqlite")
    with Evaluator(n_jobs=2, limits=Limits(timeout=120)) as evaluator:
        ran = build_knowledge(local, table, evaluator, SMALLER)
    assert ran == sum(len(planned_indices(load_catalogue("regression" if t == "regression" else "classification"),
                                          n, SMALLER)) for n, t in zip(table["name"], table["task"]))
    with dask.config.set({"distributed.worker.daemon": False}):
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
            remote = KnowledgeStore(tmp_path / "dask.sqlite")
            with Evaluator(n_jobs=2, dask_address=cluster.scheduler_address, limits=Limits(timeout=120)) as ev:
                build_knowledge(remote, table, ev, SMALLER)
    assert _scores(local) == _scores(remote)
    assert {d["name"]: d["meta_features"] for d in local.datasets()} == \
           {d["name"]: d["meta_features"] for d in remote.datasets()}


@pytest.mark.slow
def test_export_round_trip_and_failures_counted_as_worst(tmp_path):
    table = _three_tasks()
    store = KnowledgeStore(tmp_path / "s.sqlite")
    with Evaluator(n_jobs=2, limits=Limits(timeout=120)) as evaluator:
        build_knowledge(store, table[table["task"] != "regression"], evaluator, TINY)
    catalogue = load_catalogue("classification")
    knowledge = knowledge_from_store(store, catalogue)
    save_knowledge(knowledge, tmp_path / "classification.npz")
    loaded = load_knowledge("classification", tmp_path / "classification.npz")
    assert loaded.summary() == knowledge.summary()
    assert np.array_equal(np.isnan(loaded.scores), np.isnan(knowledge.scores))
    assert loaded.scores.shape == (2, len(catalogue)) and 0.015 < loaded.density() < 0.03


@pytest.mark.slow
def test_a_killed_build_resumes_without_losing_finished_evaluations(tmp_path):
    store_path, out = tmp_path / "build.sqlite", tmp_path / "artifact"
    command = [sys.executable, "-m", "automl_engine.cli", "knowledge", "build", "--store", str(store_path),
               "--out", str(out), "--task-type", "classification", "--limit", "1", "--density", "0.04",
               "--max-rows", "120", "--n-jobs", "1"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 300
    done_before = 0
    while time.time() < deadline:
        if store_path.exists():
            with sqlite3.connect(store_path) as db:
                try:
                    done_before = db.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0]
                except sqlite3.OperationalError:
                    done_before = 0
            if done_before >= 5:
                break
        time.sleep(0.5)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert done_before >= 5, "the build made progress before it was killed"
    before = _scores(KnowledgeStore(store_path))
    finished = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert finished.returncode == 0, finished.stderr
    after = _scores(KnowledgeStore(store_path))
    assert all(after[key] == value for key, value in before.items()), "finished evaluations are kept as they were"
    plan = planned_indices(load_catalogue("classification"), next(iter(after))[0], BuildSettings(density=0.04))
    assert len(after) == len(plan) > len(before)
    assert load_knowledge("classification", out / "classification.npz").observed_count() == len(plan)


@pytest.mark.slow
def test_a_build_of_part_of_the_corpus_keeps_every_shipped_dataset_in_the_export(tmp_path):
    """A fresh store, building only some rows (here the first classification meta-test row), must
    not export an artifact that forgets the shipped datasets it did not build."""
    import shutil

    from automl_engine.knowledge.artifact import data_dir

    out = tmp_path / "artifact"
    out.mkdir()
    for task_type in ("classification", "regression"):
        shutil.copy(data_dir() / f"{task_type}.npz", out / f"{task_type}.npz")
    shipped = {t: load_knowledge(t, out / f"{t}.npz") for t in ("classification", "regression")}
    command = [sys.executable, "-m", "automl_engine.cli", "knowledge", "build", "--store", str(tmp_path / "s.sqlite"),
               "--out", str(out), "--task-type", "classification", "--split", "test", "--limit", "1",
               "--density", "0.01", "--max-rows", "120", "--n-jobs", "1"]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert finished.returncode == 0, finished.stderr
    for task_type, before in shipped.items():
        after = load_knowledge(task_type, out / f"{task_type}.npz")
        assert set(before.datasets) <= set(after.datasets), f"{task_type}: shipped datasets dropped"
        assert int(after.train.sum()) == int(before.train.sum()) > 0
        # scores of a family whose estimator changed after the shipped artifact's catalogue are re-evaluated
        changed = family_changes(task_type)
        families = load_catalogue(task_type).families
        stale = np.array([tuple(map(int, changed[f].split("."))) > tuple(map(int, before.catalogue_version.split(".")))
                          for f in families])
        assert after.observed_count() >= int((before.status[:, ~stale] != 0).sum())


# SHA-1 of the comma-joined pipeline ids each dataset's plan held under catalogue 1.0.0 (main at
# ae003d8), and of the anchors: the datasets built then keep their plans under later catalogues.
PLANS_1_0_0 = {("classification", "sklearn/iris:target"): (210, "1e79d6bf887896f739e8adea745b0008bdaa00f1"),
               ("classification", "sklearn/wine:target"): (210, "7210827d2380330d3f43ba3ff4357976ded14a14"),
               ("regression", "sklearn/diabetes:target"): (123, "a6446175a81f50b551040553a4b2eb2b067b05f6")}
ANCHORS_1_0_0 = {"classification": "25b31a46cd3ba7370e84e24b43afdaf4b5926734",
                 "regression": "15f443b5d64dd626d56ce676728f9f560ce76ce8"}


def _digest(ids):
    import hashlib

    return hashlib.sha1(",".join(ids).encode()).hexdigest()


def test_plans_of_built_datasets_only_add_the_new_families_share():
    from automl_engine.knowledge.build import anchor_indices, version_groups

    for (task_type, name), (_count, digest) in PLANS_1_0_0.items():
        catalogue = load_catalogue(task_type)
        (first, old), (later, new) = version_groups(catalogue)
        assert (first, later) == ("1.0.0", "1.1.0") and old == list(range(len(old)))
        plan = planned_indices(catalogue, name, BuildSettings())
        assert _digest([catalogue[i].id for i in plan if i in set(old)]) == digest
        added = [i for i in plan if i in set(new)]
        assert len(added) == np.ceil(0.205 * len(new)) and len(set(plan)) == len(plan)
        anchors = anchor_indices(catalogue, BuildSettings.n_anchors)
        assert _digest([catalogue[i].id for i in anchors if i in set(old)]) == ANCHORS_1_0_0[task_type]
        assert sum(i in set(new) for i in anchors) == 3 and set(anchors) <= set(plan)


def _knowledge_with_rbf_svm(version):
    from automl_engine.knowledge.artifact import Knowledge
    from automl_engine.knowledge.metafeatures import META_FEATURE_NAMES

    catalogue = load_catalogue("classification")
    svm = catalogue.families.index("rbf_svm")
    ids = np.array(catalogue.ids[:svm + 2])  # a logreg ... and two rbf_svm columns
    n = len(ids)
    return Knowledge("classification", version, np.array(["sklearn/iris:target"]), np.array(["multiclass"]),
                     np.array(["train"]), ids, np.full((1, n), 0.9, np.float32), np.ones((1, n), np.int8),
                     np.ones((1, n), np.float32), np.zeros((1, len(META_FEATURE_NAMES))),
                     np.array(META_FEATURE_NAMES), 0.0)


@pytest.mark.parametrize("version, copied_svm", [("1.0.0", 0), ("1.1.0", 2)])
def test_scores_of_an_estimator_changed_since_the_artifact_are_evaluated_again(tmp_path, version, copied_svm):
    from automl_engine.knowledge.build import seed_store_from_knowledge

    store = KnowledgeStore(tmp_path / "s.sqlite")
    knowledge = _knowledge_with_rbf_svm(version)
    added = seed_store_from_knowledge(store, knowledge, load_corpus_table())
    assert added == len(knowledge.pipeline_ids) - 2 + copied_svm


def _family_of():
    return {spec.id: spec.family for t in ("classification", "regression") for spec in load_catalogue(t)}


def test_a_family_that_keeps_timing_out_on_a_dataset_is_skipped_there_and_stays_unobserved(tmp_path):
    table = _three_tasks()
    table = table[table["name"] == "sklearn/wine:target"]
    settings = BuildSettings(max_rows=120, n_folds=3, density=0.03, n_anchors=13, seed=0, timeout_streak=2)
    store = KnowledgeStore(tmp_path / "s.sqlite")
    with Evaluator(n_jobs=1, limits=Limits(timeout=0.05)) as evaluator:  # hardly anything finishes in 50 ms
        ran = build_knowledge(store, table, evaluator, settings)
    catalogue = load_catalogue("classification")
    assert ran == len(planned_indices(catalogue, "sklearn/wine:target", settings))  # skipped ones are recorded
    family, timeouts = _family_of(), {}
    evaluations = sorted(store.evaluations(), key=lambda e: e["created"])
    for e in evaluations:  # one worker: nothing of a family is evaluated after its second timeout
        seen = timeouts.setdefault(family[e["pipeline_id"]], 0)
        assert (e["status"] == "skipped") == (seen >= 2), (e, seen)
        timeouts[family[e["pipeline_id"]]] += e["status"] == "timeout"
    skipped = {e["pipeline_id"] for e in evaluations if e["status"] == "skipped"}
    assert skipped and all("timed out" in e["error"] for e in evaluations if e["status"] == "skipped")
    knowledge = knowledge_from_store(store, catalogue)
    columns = [catalogue.ids.index(pid) for pid in skipped]
    assert (knowledge.status[0, columns] == 0).all()  # unobserved, not a failure counted as the worst score
    assert knowledge.observed_count() == len(evaluations) - len(skipped)
    with Evaluator(n_jobs=1, limits=Limits(timeout=0.05)) as evaluator:  # a resumed build neither re-runs nor retries
        assert build_knowledge(store, table, evaluator, settings) == 0


def test_a_resumed_build_counts_the_timeouts_already_in_its_store(tmp_path):
    table = _three_tasks()
    table = table[table["name"] == "sklearn/iris:target"]
    settings = BuildSettings(max_rows=120, n_folds=3, density=0.03, n_anchors=13, seed=0, timeout_streak=2)
    catalogue = load_catalogue("classification")
    plan = [catalogue[i] for i in planned_indices(catalogue, "sklearn/iris:target", settings)]
    family = plan[0].family
    store = KnowledgeStore(tmp_path / "s.sqlite")
    earlier = [spec.id for spec in plan if spec.family == family][:2]
    store.add_evaluations("sklearn/iris:target", [{"pipeline_id": pid, "status": "timeout", "wall_time": 60.0}
                                                  for pid in earlier])
    with Evaluator(n_jobs=2, limits=Limits(timeout=120)) as evaluator:
        build_knowledge(store, table, evaluator, settings)
    status = {e["pipeline_id"]: e["status"] for e in store.evaluations()}
    rest = [spec.id for spec in plan if spec.family == family and spec.id not in earlier]
    assert rest and all(status[pid] == "skipped" for pid in rest)
    assert all(status[spec.id] != "skipped" for spec in plan if spec.family != family)


def test_large_datasets_are_also_evaluated_on_a_sample_of_the_second_fidelity_into_their_own_file(tmp_path,
                                                                                                  monkeypatch):
    """Issue 19 item 3, scaled down: iris (150 rows) is 'large' at a 100-row second fidelity: after its plan at
    the first fidelity it is evaluated again on a 100-row sample, anchor pipelines only, exported to a file of
    its own that records the rows, counted by `knowledge info`, and resumed from on a new machine."""
    from automl_engine.cli import knowledge_cmd
    from automl_engine.knowledge.build import _pending, anchor_indices, fidelity_origin, seed_store_from_knowledge

    table = _three_tasks()
    table = table[table["name"] == "sklearn/iris:target"]
    settings = BuildSettings(max_rows=120, n_folds=3, density=0.01, n_anchors=6, seed=0, fidelity_rows=100)
    store = KnowledgeStore(tmp_path / "s.sqlite")
    with Evaluator(n_jobs=2, limits=Limits(timeout=120)) as evaluator:
        ran = build_knowledge(store, table, evaluator, settings)
    catalogue = load_catalogue("classification")
    plan, anchors = planned_indices(catalogue, "sklearn/iris:target", settings), anchor_indices(catalogue, 6, 0)
    assert ran == len(plan) + len(anchors)
    by_name = {d["name"]: d for d in store.datasets()}
    assert by_name["sklearn/iris:target@100"]["origin"] == "corpus@100"
    sampled = {e["pipeline_id"] for e in store.evaluations("sklearn/iris:target@100")}
    assert sampled == {catalogue[i].id for i in anchors}

    out = tmp_path / "artifact"
    knowledge_cmd.export(store, out, rows=100)
    first = load_knowledge("classification", out / "classification.npz")
    assert first.datasets.tolist() == ["sklearn/iris:target"] and first.observed_count() == len(plan)
    second_path = knowledge_cmd.second_fidelity_path(out, "classification", 100)
    second = load_knowledge("classification", second_path)
    assert second.datasets.tolist() == ["sklearn/iris:target@100"] and second.observed_count() == len(anchors)
    with np.load(second_path) as data:
        assert (data["measured_rows"] == 100).all()

    monkeypatch.setattr(knowledge_cmd, "AT_ROWS", 100)  # iris counts as measured at >= 100 rows, by its sample
    assert knowledge_cmd.info_summary("classification", out, fidelity_rows=100)["datasets_at_100_rows"] == 1

    resumed = KnowledgeStore(tmp_path / "new-machine.sqlite")  # a new machine starts from both files
    seed_store_from_knowledge(resumed, load_knowledge("classification", out / "classification.npz"), table)
    seed_store_from_knowledge(resumed, second, table, origin=fidelity_origin(100))
    with Evaluator(n_jobs=1, limits=Limits(timeout=120)) as evaluator:
        assert build_knowledge(resumed, table, evaluator, settings) == 0
    names = {0: [], 100: ["sklearn/iris:target", "sklearn/iris:target@100"], 200: ["sklearn/iris:target"]}
    for rows, expected in names.items():  # 0 turns the second fidelity off; iris is below a 200-row threshold
        pending = _pending(KnowledgeStore(tmp_path / f"empty{rows}.sqlite"), table,
                           BuildSettings(max_rows=120, fidelity_rows=rows), {"classification": catalogue})
        assert [row["name"] for row, _ in pending] == (expected or ["sklearn/iris:target"])
    first = _pending(KnowledgeStore(tmp_path / "empty-first.sqlite"), table,
                     BuildSettings(max_rows=120, fidelity_rows=100, fidelity_first=True), {"classification": catalogue})
    assert [row["name"] for row, _ in first] == ["sklearn/iris:target@100", "sklearn/iris:target"]
    two = _three_tasks()  # iris (150 rows) comes before wine (178) in the corpus; only wine reaches 160 rows
    two = two[two["name"].isin(["sklearn/iris:target", "sklearn/wine:target"])]
    assert two["name"].tolist() == ["sklearn/iris:target", "sklearn/wine:target"]
    for fidelity_first, expected in ((False, ["sklearn/iris:target", "sklearn/wine:target", "sklearn/wine:target@160"]),
                                     (True, ["sklearn/wine:target@160", "sklearn/wine:target", "sklearn/iris:target"])):
        pending = _pending(KnowledgeStore(tmp_path / f"two-{fidelity_first}.sqlite"), two,
                           BuildSettings(max_rows=120, fidelity_rows=160, fidelity_first=fidelity_first),
                           {"classification": catalogue})
        assert [row["name"] for row, _ in pending] == expected
    # the large dataset's first fidelity still comes first once its second fidelity is complete
    done_second = KnowledgeStore(tmp_path / "second-done.sqlite")
    wine_second = two[two["name"] == "sklearn/wine:target"].iloc[0]
    done_second.add_dataset("sklearn/wine:target@160", "classification", "multiclass", fidelity_origin(160), {},
                            "train", str(wine_second["fingerprint"]), 160, int(wine_second["features"]))
    done_second.add_evaluations("sklearn/wine:target@160", [
        {"pipeline_id": catalogue[i].id, "status": "ok", "score": 0.9, "wall_time": 1.0}
        for i in anchor_indices(catalogue, BuildSettings().n_anchors, 0)])
    pending = _pending(done_second, two, BuildSettings(max_rows=120, fidelity_rows=160, fidelity_first=True),
                       {"classification": catalogue})
    assert [row["name"] for row, _ in pending] == ["sklearn/wine:target", "sklearn/iris:target"]
