"""The draft table (automl_app.drafts): kept per owner, choices updated, unreadable owners refused."""
import pandas as pd

from automl_app import drafts


def test_a_draft_round_trips_with_its_choices(tmp_path):
    frame = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", None], "y": [0, 1, 0]})
    drafts.save_table("o" * 32, frame, "t.csv", None, folder=tmp_path)
    drafts.save_choices("o" * 32, target="y", task="binary", exclude=["b", "gone"], folder=tmp_path)
    draft = drafts.load("o" * 32, folder=tmp_path)
    assert draft.name == "t.csv" and draft.target == "y" and draft.task == "binary"
    assert draft.exclude == ["b"] and draft.loaded_at > 0
    pd.testing.assert_frame_equal(draft.frame, frame)
    assert drafts.load("p" * 32, folder=tmp_path) is None


def test_an_owner_that_is_not_an_id_is_never_a_path(tmp_path):
    drafts.save_table("../escape", pd.DataFrame({"a": [1]}), "t.csv", None, folder=tmp_path)
    assert not any(tmp_path.rglob("*escape*")) and drafts.load("../escape", folder=tmp_path) is None
