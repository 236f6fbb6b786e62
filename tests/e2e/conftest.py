"""End-to-end tests need Debian's Chromium; they are skipped (with the reason) when it is missing."""
from pathlib import Path

import pytest
from helpers import CHROMIUM


def pytest_collection_modifyitems(items):
    if not Path(CHROMIUM).exists():
        skip = pytest.mark.skip(reason=f"{CHROMIUM} is missing: apt-get install -y chromium")
        for item in items:
            if "e2e" in item.keywords:
                item.add_marker(skip)
