"""AppTest helpers: the app from its entry point, tiny searches, a session-wide tiny knowledge folder."""
import pytest
from streamlit.runtime.pages_manager import PagesManager

from apphelpers import new_app
from knowledge_fixture import build_tiny_knowledge


@pytest.fixture(autouse=True)
def navigation_not_pages_directory(monkeypatch):
    """Run the entry point on every AppTest run, as a live server does.

    AppTest resets ``PagesManager.uses_pages_directory`` before each run; because this app's
    pages live in a folder named ``pages/``, it then takes Streamlit's legacy pages-directory
    path and runs only the page script from the second run on (no session defaults, no
    st.navigation). A live server runs the entry point, whose st.navigation sets the flag
    to False; this does the same before every run.
    """
    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


@pytest.fixture(scope="session")
def knowledge_dir(tmp_path_factory):
    return build_tiny_knowledge(tmp_path_factory.mktemp("knowledge"))


@pytest.fixture
def app():
    return new_app()
