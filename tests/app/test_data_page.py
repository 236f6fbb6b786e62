"""Data page: samples, uploads, target and task, column profile, guardrails, bad files, hostile names."""
from pathlib import Path

import numpy as np
import pandas as pd
from apphelpers import load_sample, texts

from automl_app.text import md

ROOT = Path(__file__).resolve().parents[2]


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def small_table(n=60, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pd.DataFrame({"row_id": np.arange(n), "x": x, "colour": rng.choice(["red", "blue"], n),
                         "price": 3 * x + rng.normal(size=n)})


def test_starts_empty_and_loads_a_sample(app):
    assert "Load a table to start" in texts(app.info)[0]
    load_sample(app)
    assert app.session_state["data"].shape == (178, 14)
    assert app.session_state["target"] == "cultivar"
    assert "Detected from the target: multiclass" in texts(app.caption)
    assert [m.label.split()[-1] for m in app.metric] == ["passed", "fixed", "alert"]
    profile = app.dataframe[1].value
    assert len(profile) == 14 and set(profile.columns) >= {"column", "type", "missing %", "distinct",
                                                           "what will be done"}
    assert profile.set_index("column").loc["cultivar", "what will be done"] == "the target"
    checks = [m.value for m in app.markdown if " — *" in m.value]   # one full sentence per check, never cut
    assert len(checks) > 3 and not any("…" in c for c in checks)


def test_upload_a_csv_pick_target_task_and_columns_to_leave_out(app):
    app.file_uploader(key="upload").set_value(("prices.csv", csv_bytes(small_table()), "text/csv")).run()
    assert not app.exception and app.session_state["data_name"] == "prices.csv"
    assert app.session_state["target"] is None
    assert "Pick the target column" in " ".join(texts(app.info))
    token = app.session_state["data_token"]
    app.selectbox(key=f"target_{token}").set_value("price").run()
    assert app.session_state["target"] == "price"
    plan = app.dataframe[1].value.set_index("column")["what will be done"]
    assert "→ id" in plan["row_id"] and "(left out)" in plan["row_id"]     # intake drops the id column
    app.multiselect(key=f"exclude_{token}_3").set_value(["colour"]).run()
    assert app.session_state["exclude"] == ["colour"]
    assert app.dataframe[1].value.set_index("column").loc["colour", "what will be done"] == "left out (your choice)"
    app.selectbox(key=f"task_{token}").set_value("binary").run()     # a wrong override: a sentence, no crash
    assert not app.exception and app.session_state["task"] == "binary"
    assert len(app.error) == 1 and "\n" not in app.error[0].value
    app.selectbox(key=f"task_{token}").set_value("regression").run()
    assert not app.error and "Task: **regression** (chosen)" in texts(app.markdown)


def test_a_bad_file_shows_its_error_and_keeps_the_data(app):
    load_sample(app)
    for name, content in [("empty.csv", b""), ("binary.parquet", b"\x00\x01\x02\x03garbage" * 50),
                          ("one.csv", b"a\n1\n2\n")]:
        app.file_uploader(key="upload").set_value((name, content, "text/csv")).run()
        assert not app.exception
        assert len(app.error) == 1 and md(name) in app.error[0].value
        assert "still in use" in app.error[0].value
        assert app.session_state["data"].shape == (178, 14)
    app.file_uploader(key="upload").set_value(("good.csv", csv_bytes(small_table()), "text/csv")).run()
    assert not app.error and app.session_state["data_name"] == "good.csv"


def test_hostile_column_names_are_shown_as_text(app):
    # (a header starting with "<" reads as an HTML document to intake, so markup is not first)
    names = ["**strong** _em_", "<b>bold</b><script>alert(1)</script>", 'say "hi"', "🙂 emoji",
             "[link](http://example.com) ![img](http://example.com/x.png)", "$x^2$ :red[colour]", "x" * 10_000]
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({n: rng.normal(size=40) for n in names})
    target = "[target](http://example.com) <i>y</i>"
    frame[target] = rng.choice(["a", "b"], 40)
    app.file_uploader(key="upload").set_value(("weird.csv", csv_bytes(frame), "text/csv")).run()
    assert not app.exception and list(app.session_state["data"].columns) == names + [target]
    token = app.session_state["data_token"]
    app.selectbox(key=f"target_{token}").set_value(target).run()
    app.multiselect(key=f"exclude_{token}_{len(names)}").set_value([names[1], names[-1]]).run()
    assert not app.exception and app.session_state["exclude"] == [names[1], names[-1]]
    assert len(app.selectbox(key=f"target_{token}").format_func(names[-1])) <= 60
    shown = " ".join(texts(app.markdown) + texts(app.caption) + texts(app.error) + texts(app.info))
    app.switch_page("app_pages/search.py").run()           # the search page names the target
    assert not app.exception
    shown += " ".join(texts(app.caption))
    assert md(target) in shown
    for raw in ("<b>", "<i>", "<script>", "](http", "![", ":red[", "$x"):
        assert raw not in shown


def test_pages_never_allow_html():
    for path in [ROOT / "streamlit_app.py", *sorted((ROOT / "automl_app").glob("*.py")),
                 *sorted((ROOT / "app_pages").glob("*.py"))]:
        assert "unsafe_allow_html" not in path.read_text(), path


def test_the_target_is_kept_for_a_reload_before_the_slow_profile(app, monkeypatch):
    """A click to another page while a large table's profile runs ends that script run: the target picked
    must already be in the owner's draft, or a reload (F5) brings the table back without it."""
    from automl_app import drafts, state

    app.file_uploader(key="upload").set_value(("prices.csv", csv_bytes(small_table()), "text/csv")).run()

    def interrupted(*args, **kwargs):
        raise RuntimeError("the user went to another page")

    monkeypatch.setattr(state, "profile", interrupted)
    app.selectbox(key=f"target_{app.session_state['data_token']}").set_value("price").run()
    assert app.exception                              # the run ended inside the profile
    draft = drafts.load(app.session_state["owner"])
    assert draft.name == "prices.csv" and draft.target == "price"
