"""Who may see a run (issue 23, item 6): the owner of a session, and the store and jobs refusing anyone else.

No identity provider is available here: the signed-in mode is simulated with ``AppTest.user`` (what
``st.user`` returns) and with the mappings ``automl_app.identity.resolve`` takes.
"""
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from automl_app.identity import SINGLE_USER_NOTE, Identity, owner_of, resolve
from automl_engine.errors import DataError
from automl_engine.service.jobs import JobManager
from automl_engine.store.runs import RunStore

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "app"))
ALICE = {"is_logged_in": True, "iss": "https://idp.example", "sub": "alice-123", "email": "alice@example.com"}
BOB = {"is_logged_in": True, "iss": "https://idp.example", "sub": "bob-456", "email": "bob@example.com"}


# -- owner resolution --------------------------------------------------------------------------------
def test_single_user_mode_takes_the_address_id_and_keeps_the_sessions():
    assert resolve({}, "a" * 32) == Identity("a" * 32, False)
    assert resolve({}, "b" * 32, session_owner="a" * 32).owner == "a" * 32
    fresh = resolve({}, "not an id").owner
    assert fresh != "not an id" and len(fresh) == 32
    assert resolve({"email": "viewer@example.com"}, "a" * 32).owner == "a" * 32  # no [auth]: no is_logged_in


def test_signed_in_owner_is_stable_per_user_and_ignores_the_address_and_the_session():
    alice = resolve(ALICE, address_owner="f" * 32, session_owner="e" * 32)
    assert alice.auth and alice.owner == owner_of(ALICE) and alice.label == "alice@example.com"
    assert alice.owner not in ("f" * 32, "e" * 32)
    assert resolve(dict(ALICE, name="Alice again")).owner == alice.owner   # another browser, same user
    assert resolve(BOB, address_owner=alice.owner).owner != alice.owner   # Bob with Alice's address id
    other_idp = resolve(dict(ALICE, iss="https://other.example")).owner
    assert other_idp != alice.owner  # the same subject at another provider is another user


def test_signed_out_or_anonymous_sessions_get_no_owner():
    assert resolve({"is_logged_in": False}, "a" * 32, "a" * 32) == Identity(None, True)
    assert resolve({"is_logged_in": True}, "a" * 32).owner is None          # no subject, no e-mail
    assert resolve({"is_logged_in": True, "email": "c@example.com"}).owner == owner_of({"email": "c@example.com"})


# -- the store and the jobs refuse another owner ------------------------------------------------------
@pytest.fixture
def alices_run():
    store = RunStore()
    run_id = store.create(name="people.csv", target="y", settings={}, owner=owner_of(ALICE))
    store.add_evaluation(run_id, {"iteration": 1, "pipeline_id": "p1", "description": "logistic regression",
                                  "family": "logreg", "status": "ok", "score": 0.9, "score_std": 0.01,
                                  "fit_time": 0.1, "fold_scores": [0.9]})
    return store, run_id


def test_the_run_store_answers_only_the_runs_owner(alices_run):
    store, run_id = alices_run
    alice, bob = owner_of(ALICE), owner_of(BOB)
    assert store.get(run_id, owner=alice)["id"] == run_id and len(store.history(run_id, owner=alice)) == 1
    assert store.get(run_id, owner=bob) is None
    assert store.history(run_id, owner=bob) == []
    assert [r["id"] for r in store.list(owner=bob)] == [] and [r["id"] for r in store.list(owner=alice)] == [run_id]


def test_a_job_manager_refuses_to_resume_or_hand_out_anothers_run(tmp_path):
    manager = JobManager(max_workers=1, store_path=tmp_path / "runs.sqlite")
    frame = pd.DataFrame({"x": range(60), "y": [i % 2 for i in range(60)]})
    job = manager.submit(frame, "y", {"max_evals": 2, "strategy": "random", "n_folds": 3, "learn": False},
                         owner=owner_of(ALICE), name="people.csv")
    try:
        assert manager.get(job.run_id, owner=owner_of(ALICE)) is job
        assert manager.get(job.run_id, owner=owner_of(BOB)) is None
        assert manager.jobs(owner_of(BOB)) == []
        with pytest.raises(DataError, match="no run .* of yours"):   # live: the job itself was handed out
            manager.resume(job.run_id, owner=owner_of(BOB))
    finally:
        job.stop()
        assert job.wait(300)
    with pytest.raises(DataError, match="no run .* of yours"):       # stored: the store refuses
        manager.resume(job.run_id, owner=owner_of(BOB), extra_evals=1)


# -- the app in both modes -----------------------------------------------------------------------------
def app(user: dict, **query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    at.user = user
    for key, value in query.items():
        at.query_params[key] = value
    return at


def test_signed_in_the_address_owner_id_reaches_nobodys_runs(alices_run):
    _, run_id = alices_run
    at = app(BOB, owner=owner_of(ALICE), run=run_id)
    at.switch_page("app_pages/history.py").run()
    assert not at.exception
    assert at.session_state["owner"] == owner_of(BOB)
    assert any("No runs yet" in i.value for i in at.info)       # Alice's run is not listed
    assert at.session_state["run_id"] is None                    # nor opened from the address
    assert any("Signed in as bob@example.com" in c.value for c in at.sidebar.caption)
    at = app(ALICE).switch_page("app_pages/history.py").run()
    assert not at.exception and list(at.dataframe[0].value["run"]) == [run_id]


def test_signed_out_sessions_see_only_the_sign_in_page(alices_run):
    _, run_id = alices_run
    at = app({"is_logged_in": False}, owner=owner_of(ALICE), run=run_id).run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert "owner" not in at.session_state and not at.dataframe


def test_without_authentication_the_sidebar_says_the_server_is_single_user():
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60).run()
    assert not at.exception
    assert [c.value for c in at.sidebar.caption].count(SINGLE_USER_NOTE) == 1


def test_the_server_listens_on_localhost_unless_configured_otherwise():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "localhost"


def test_signed_in_users_pick_up_their_runs_in_a_new_session(alices_run):
    _, run_id = alices_run
    first = app(ALICE).switch_page("app_pages/history.py").run()
    second = app(dict(ALICE)).switch_page("app_pages/history.py").run()
    assert first.session_state["owner"] == second.session_state["owner"] == owner_of(ALICE)
    assert list(second.dataframe[0].value["run"]) == [run_id]
