"""The shipped knowledge's training matrix: failures count as the row's worst, R² floored at −1."""
import numpy as np
import pytest

from automl_engine.knowledge.artifact import STATUS_CODES, Knowledge


def _knowledge(task_type, scores, status):
    n, p = scores.shape
    return Knowledge(task_type, "1", np.array([f"d{i}" for i in range(n)]), np.array(["x"] * n),
                     np.array(["train"] * n), np.array([f"p{j}" for j in range(p)]), scores, status,
                     np.ones_like(scores), np.zeros((n, 2)), np.array(["a", "b"]), 0.0)


def test_regression_scores_are_floored_and_failures_take_the_row_minimum():
    ok, failed, unseen = STATUS_CODES["ok"], STATUS_CODES["failed"], STATUS_CODES["unobserved"]
    scores = np.array([[0.8, -50.0, np.nan, np.nan], [0.3, 0.5, np.nan, np.nan]])
    status = np.array([[ok, ok, failed, unseen], [ok, ok, unseen, failed]], dtype=np.int8)
    matrix = _knowledge("regression", scores, status).training_matrix()
    assert matrix[0, 1] == -1.0 and matrix[0, 2] == -1.0 and np.isnan(matrix[0, 3])
    assert matrix[1, 3] == 0.3 and np.isnan(matrix[1, 2])


def test_classification_scores_are_kept_as_they_are():
    ok = STATUS_CODES["ok"]
    scores = np.array([[0.2, 0.9]])
    matrix = _knowledge("classification", scores, np.array([[ok, ok]], dtype=np.int8)).training_matrix()
    assert np.array_equal(matrix, scores)


def test_the_fitted_recommender_groups_pipelines_by_model_family(tmp_path):
    """The warm start hedges across families (fit_recommender passes each pipeline's family) for
    as many picks as chosen for the task type."""
    from knowledge_fixture import build_tiny_knowledge

    from automl_engine.catalogue import family_kinds, load_catalogue
    from automl_engine.knowledge.recommender_io import SHIPPED_PARAMS, load_recommender

    folder = build_tiny_knowledge(tmp_path)
    recommender = load_recommender("classification", folder)
    families = np.array(load_catalogue("classification").families)
    codes = recommender.pipeline_groups_
    assert len(np.unique(codes)) == len(set(families))
    for code in np.unique(codes):
        assert len(set(families[codes == code])) == 1
    assert recommender.n_warm_start == SHIPPED_PARAMS["classification"]["n_warm_start"]
    kinds = np.array([family_kinds("classification")[f] for f in families])
    for code in np.unique(recommender.pipeline_kinds_):  # one kind (preprocessing profile) per code
        assert len(set(kinds[recommender.pipeline_kinds_ == code])) == 1
    assert len(np.unique(recommender.pipeline_kinds_)) == len(set(kinds)) > 1


@pytest.mark.parametrize("task_type", ["classification", "regression"])
def test_the_shipped_recommenders_carry_the_settings_chosen_for_their_task_type(task_type):
    """The packaged recommender files were refitted after the last change of the choices."""
    from automl_engine.knowledge.recommender_io import SHIPPED_PARAMS, read_recommender, recommender_path

    recommender = read_recommender(recommender_path(task_type))  # the packaged file itself, unwrapped
    assert len(recommender.loss_curve_) == recommender.n_iter == SHIPPED_PARAMS[task_type]["n_iter"]
    assert recommender.pipeline_kinds_ is not None
    for name, value in SHIPPED_PARAMS[task_type].items():
        assert getattr(recommender, name) == value, name


class _Unwritable:
    def __array__(self, dtype=None, copy=None):
        raise RuntimeError("disk full")


def test_an_interrupted_save_leaves_the_previous_file_whole_and_no_temporary_file(tmp_path):
    from automl_engine.store.paths import save_npz_atomically

    path = tmp_path / "classification.npz"
    save_npz_atomically(path, scores=np.arange(3.0))
    with pytest.raises(RuntimeError, match="disk full"):
        save_npz_atomically(path, scores=np.arange(5.0), broken=_Unwritable())
    with np.load(path) as data:
        assert data["scores"].tolist() == [0.0, 1.0, 2.0]
    assert [p.name for p in tmp_path.iterdir()] == ["classification.npz"]
    assert path.stat().st_mode & 0o777 == 0o644  # readable by everyone, like any shipped file
    save_npz_atomically(path, scores=np.arange(5.0))
    with np.load(path) as data:
        assert data["scores"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]


def _older_knowledge(tmp_path, drop_family="catboost"):
    """The tiny knowledge and recommender as a build before ``drop_family`` existed would have shipped them."""
    from dataclasses import replace

    from knowledge_fixture import build_tiny_knowledge

    from automl_engine.catalogue import load_catalogue
    from automl_engine.knowledge.artifact import load_knowledge, save_knowledge
    from automl_engine.knowledge.recommender_io import fit_recommender, recommender_path, save_recommender

    folder = build_tiny_knowledge(tmp_path, density=0.3)
    full = load_knowledge("classification", folder / "classification.npz")
    keep = np.array(load_catalogue("classification").families) != drop_family
    old = replace(full, pipeline_ids=full.pipeline_ids[keep], scores=full.scores[:, keep],
                  status=full.status[:, keep], wall_times=full.wall_times[:, keep])
    save_knowledge(old, folder / "classification.npz")
    save_recommender(fit_recommender(old, n_latent=3, n_iter=5), recommender_path("classification", folder))
    return folder, keep


def test_knowledge_of_an_older_catalogue_is_aligned_by_pipeline_id(tmp_path):
    from automl_engine.catalogue import load_catalogue
    from automl_engine.knowledge.artifact import load_knowledge

    folder, keep = _older_knowledge(tmp_path)
    raw = load_knowledge("classification", folder / "classification.npz", align=False)
    aligned = load_knowledge("classification", folder / "classification.npz")
    catalogue = load_catalogue("classification")
    assert len(raw.pipeline_ids) == keep.sum() < len(catalogue) == aligned.scores.shape[1]
    assert aligned.pipeline_ids.tolist() == catalogue.ids
    assert (aligned.status[:, ~keep] == STATUS_CODES["unobserved"]).all() and np.isnan(aligned.scores[:, ~keep]).all()
    np.testing.assert_array_equal(aligned.scores[:, keep], raw.scores)
    assert aligned.observed_count() == raw.observed_count()


def test_a_recommender_of_an_older_catalogue_suggests_catalogue_indices(tmp_path):
    from automl_engine.knowledge.recommender_io import load_recommender
    from automl_engine.recommender.aligned import CatalogueAlignedRecommender

    folder, keep = _older_knowledge(tmp_path)
    recommender = load_recommender("classification", folder)
    assert isinstance(recommender, CatalogueAlignedRecommender)
    covered = np.flatnonzero(keep)
    observed = {int(covered[0]): 0.8, int(covered[5]): 0.7}
    picks = recommender.suggest(observed, n=4, meta_features=np.zeros(len(recommender.meta_mean_)))
    assert len(picks) == 4 and all(keep[p] for p in picks) and not set(picks) & set(observed)
    mean, std = recommender.predict(observed)
    assert mean.shape == keep.shape and np.isnan(mean[~keep]).all() and np.isfinite(mean[keep]).all()
    assert mean[covered[0]] == 0.8 and std[covered[0]] == 0.0
    assert recommender.embeddings_.shape[0] == recommender.project_2d().shape[0] == len(keep)
    # once every covered pipeline is taken, the uncovered ones come, so a search can exhaust the catalogue
    rest = recommender.suggest({}, n=3, exclude=[int(i) for i in covered])
    assert rest == [int(i) for i in np.flatnonzero(~keep)[:3]]


def test_a_search_with_the_shipped_recommender_runs_on_a_small_table():
    from sklearn.datasets import load_iris

    from automl_engine import AutoML

    data = load_iris(as_frame=True)
    m = AutoML(max_evals=4, random_state=0, learn=False, ensemble=False, n_jobs=1).fit(data.data, data.target)
    assert len(m.history_) == 4 and m.best_pipeline_ is not None
    assert len({h["pipeline_index"] for h in m.history_}) == 4
    assert all(0 <= h["pipeline_index"] < len(m.catalogue_) for h in m.history_)
