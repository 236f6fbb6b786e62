"""Merging the build's two fidelities into the recommender's matrix (automl_engine/knowledge/fidelity.py)."""
import numpy as np
import pytest

from automl_engine.knowledge.artifact import STATUS_CODES, Knowledge
from automl_engine.knowledge.fidelity import base_name, combine_fidelities, twin_rows

OK, UNOBSERVED, FAILED = STATUS_CODES["ok"], STATUS_CODES["unobserved"], STATUS_CODES["failed"]


def _knowledge(names, scores, status, splits=None, pipelines=("p0", "p1", "p2", "p3")):
    scores = np.array(scores, dtype=np.float32)
    return Knowledge("classification", "1.1.0", np.array(names), np.array(["binary"] * len(names)),
                     np.array(splits or ["train"] * len(names)), np.array(pipelines), scores,
                     np.array(status, dtype=np.int8), np.where(np.isnan(scores), np.nan, 1.0).astype(np.float32),
                     np.arange(len(names) * 2, dtype=float).reshape(len(names), 2), np.array(["a", "b"]), 1.0)


@pytest.fixture
def fidelities():
    first = _knowledge(["small", "large"], [[0.5, 0.6, 0.7, 0.8], [0.6, 0.7, 0.8, 0.5]],
                       [[OK] * 4, [OK] * 4], splits=["train", "test"])
    # the large table at 5,000 rows: anchors p0 and p2 measured, p3 failed there; one row whose twin is unknown
    second = _knowledge(["large@5000", "elsewhere@5000"],
                        [[0.9, np.nan, 0.85, np.nan], [0.1, 0.1, 0.1, 0.1]],
                        [[OK, UNOBSERVED, OK, FAILED], [OK] * 4], splits=["test", "train"])
    return first, second


def test_twins_are_found_by_the_name_without_its_fidelity_suffix(fidelities):
    first, second = fidelities
    assert base_name("openml/adult:class@5000") == "openml/adult:class"
    assert twin_rows(first, second).tolist() == [1, -1]


def test_replace_puts_the_scores_measured_at_5000_rows_in_place_of_the_800_row_ones(fidelities):
    first, second = fidelities
    merged = combine_fidelities(first, second, "replace")
    assert merged.datasets.tolist() == ["small", "large"]
    np.testing.assert_allclose(merged.scores[0], first.scores[0])  # the small table is untouched
    np.testing.assert_allclose(merged.scores[1, [0, 1, 2]], [0.9, 0.7, 0.85], rtol=1e-6)
    assert merged.status[1].tolist() == [OK, OK, OK, FAILED]  # p3 failed at 5,000 rows: a failure now
    assert merged.training_matrix()[1, 3] == pytest.approx(0.7)  # ... scored as the row's worst
    assert merged.cpu_hours == 2.0


def test_replace_centred_keeps_the_row_scale_and_the_5000_row_order(fidelities):
    first, second = fidelities
    merged = combine_fidelities(first, second, "replace_centred")
    gap = np.mean([0.9 - 0.6, 0.85 - 0.8])  # the anchors measured (ok) at both sizes
    np.testing.assert_allclose(merged.scores[1, [0, 2]], [0.9 - gap, 0.85 - gap], rtol=1e-6)
    assert merged.scores[1, 0] > merged.scores[1, 2]  # p0 beats p2 at 5,000 rows, as measured there
    assert merged.scores[1, 1] == pytest.approx(0.7)  # not measured at 5,000 rows: kept
    assert np.mean(merged.scores[1, [0, 2]]) == pytest.approx(np.mean(first.scores[1, [0, 2]]))


def test_stack_adds_the_second_fidelity_rows_as_datasets_of_their_own(fidelities):
    first, second = fidelities
    merged = combine_fidelities(first, second, "stack")
    assert merged.datasets.tolist() == ["small", "large", "large@5000", "elsewhere@5000"]
    assert merged.splits.tolist() == ["train", "test", "test", "train"]
    assert merged.scores.shape == (4, 4) and merged.meta_features.shape == (4, 2)


def test_first_or_no_second_fidelity_leaves_the_matrix_as_it_is_and_bad_arguments_say_so(fidelities):
    first, second = fidelities
    assert combine_fidelities(first, second, "first") is first
    assert combine_fidelities(first, None) is first
    with pytest.raises(ValueError, match="must be one of"):
        combine_fidelities(first, second, "average")
    other = _knowledge(["large@5000"], [[0.9, 0.8, 0.7, 0.6]], [[OK] * 4], pipelines=("p0", "p1", "p2", "q"))
    with pytest.raises(ValueError, match="different pipelines"):
        combine_fidelities(first, other, "replace")


def test_the_recommender_is_fitted_on_the_fidelities_merged_as_chosen(tmp_path, fidelities):
    """training_knowledge reads both files of a folder: merged as asked, the first alone without a second file."""
    from automl_engine.catalogue import load_catalogue
    from automl_engine.knowledge.artifact import save_knowledge
    from automl_engine.knowledge.recommender_io import training_knowledge

    ids = np.array(load_catalogue("classification").ids[:4])
    first, second = (replace_ids(k, ids) for k in fidelities)
    save_knowledge(first, tmp_path / "classification.npz")
    assert training_knowledge("classification", tmp_path, "replace").observed_count() == 8  # no second file yet
    save_knowledge(second, tmp_path / "classification_at_5000_rows.npz")
    merged = training_knowledge("classification", tmp_path, "replace")
    j = list(merged.pipeline_ids).index(ids[0])
    assert merged.scores[1, j] == pytest.approx(0.9)  # the large table's anchor, as measured at 5,000 rows
    assert training_knowledge("classification", tmp_path, "first").scores[1, j] == pytest.approx(0.6)
    assert len(training_knowledge("classification", tmp_path, "stack").datasets) == 4


def replace_ids(knowledge, ids):
    from dataclasses import replace

    return replace(knowledge, pipeline_ids=ids)
