"""Helpers for the AppTest tests (fixtures are in conftest.py)."""
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from automl_app.navigation import SEARCH

APP = Path(__file__).resolve().parents[2] / "streamlit_app.py"


def new_app():
    return AppTest.from_file(str(APP), default_timeout=60).run()


def app_on_page(page_path: str, default_timeout: float = 60, **state):
    """The app from its entry point, with ``state`` set in the session first, run on one page."""
    at = AppTest.from_file(str(APP), default_timeout=default_timeout)
    for key, value in state.items():
        at.session_state[key] = value
    return at.switch_page(page_path).run()


def load_sample(at, name="wine"):
    at.button(key=f"sample_{name}").click().run()
    assert not at.exception
    return at


def start_tiny_search(at, max_evals=2, strategy="random"):
    """From any page: go to Search, set a tiny budget, press Start; returns the job."""
    at.switch_page(SEARCH.path).run()
    at.number_input(key="opt_max_evals").set_value(max_evals)
    at.number_input(key="opt_seconds").set_value(0)
    at.radio(key="opt_strategy").set_value(strategy)
    at.selectbox(key="opt_folds").set_value(3)
    at.checkbox(key="opt_learn").set_value(False)
    at.button(key="start").click().run()
    assert not at.exception, at.exception
    return at.session_state["job"]


def finish(at, job, timeout=300):
    assert job.wait(timeout), f"search still {job.status}"
    at.run()
    assert not at.exception, at.exception
    return at


def wait_until(predicate, timeout=180.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def texts(elements):
    return [e.value for e in elements]
