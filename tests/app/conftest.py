"""AppTest helpers: the app from its entry point, tiny searches, a session-wide tiny knowledge folder."""
import pytest
from apphelpers import new_app
from knowledge_fixture import build_tiny_knowledge


@pytest.fixture(scope="session")
def knowledge_dir(tmp_path_factory):
    return build_tiny_knowledge(tmp_path_factory.mktemp("knowledge"))


@pytest.fixture
def app():
    return new_app()
