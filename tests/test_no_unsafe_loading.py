"""No code path of the engine or the app loads data in a way that can run arbitrary code.

Scans every .py file of automl_engine/, automl_app/, app_pages/ and streamlit_app.py (syntax tree, so
aliases such as ``import pickle as p`` and ``from joblib import load`` are caught) for
``pickle.load(s)``, ``cloudpickle.load(s)``, ``dill.load(s)``, ``joblib.load``, ``pandas.read_pickle``,
``numpy.load(..., allow_pickle=<anything but False>)`` and ``skops.io.load(s)(..., trusted=True)``.
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ["automl_engine", "automl_app", "app_pages", "streamlit_app.py"]
UNSAFE_CALLS = {"pickle.load", "pickle.loads", "cloudpickle.load", "cloudpickle.loads", "dill.load", "dill.loads",
                "joblib.load", "pandas.read_pickle", "_pickle.load", "_pickle.loads"}


def python_files():
    for name in SCANNED:
        path = ROOT / name
        if path.is_file():
            yield path
        elif path.is_dir():
            yield from sorted(path.rglob("*.py"))


def _aliases(tree: ast.AST) -> dict[str, str]:
    """Local name → fully qualified name, from the module's imports."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name.split(".")[0]] = (alias.name if alias.asname
                                                                   else alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _is_true(node: ast.AST | None) -> bool:
    return not (isinstance(node, ast.Constant) and node.value in (False, None))


def unsafe_calls(source: str) -> list[str]:
    """Descriptions of unsafe loading calls in ``source`` (line: call)."""
    tree = ast.parse(source)
    aliases = _aliases(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        dotted = _dotted(node.func)
        if dotted is None:
            continue
        head, _, rest = dotted.partition(".")
        qualified = aliases.get(head, head) + (f".{rest}" if rest else "")
        qualified = qualified.replace("pd.", "pandas.", 1) if qualified.startswith("pd.") else qualified
        keywords = {k.arg: k.value for k in node.keywords}
        if qualified in UNSAFE_CALLS:
            found.append(f"{node.lineno}: {dotted}")
        elif (qualified in ("numpy.load", "np.load") and "allow_pickle" in keywords
              and _is_true(keywords["allow_pickle"])):
            found.append(f"{node.lineno}: {dotted}(allow_pickle=...)")
        elif qualified.split(".")[-1] in ("load", "loads") and ("skops" in qualified or head in ("sio", "skops")):
            trusted = keywords.get("trusted")
            if isinstance(trusted, ast.Constant) and trusted.value is True:
                found.append(f"{node.lineno}: {dotted}(trusted=True)")
    return found


@pytest.mark.parametrize("source,expected", [
    ("import pickle\npickle.load(f)", 1),
    ("import pickle as p\np.loads(b)", 1),
    ("from joblib import load\nload('m.joblib')", 1),
    ("import cloudpickle\ncloudpickle.load(f)", 1),
    ("import numpy as np\nnp.load(p, allow_pickle=True)", 1),
    ("import numpy as np\nnp.load(p, allow_pickle=False)", 0),
    ("import numpy as np\nnp.load(p)", 0),
    ("import skops.io as sio\nsio.load(p, trusted=True)", 1),
    ("from skops.io import load\nload(p, trusted=True)", 1),
    ("import skops.io as sio\nsio.load(p, trusted=list(TRUSTED))", 0),
    ("import pandas as pd\npd.read_pickle(p)", 1),
    ("import json\njson.load(f)", 0),
])
def test_the_scanner_finds_unsafe_calls(source, expected):
    assert len(unsafe_calls(source)) == expected


def test_no_unsafe_loading_in_the_engine_or_the_app():
    files = list(python_files())
    assert any(p.name == "skops_io.py" for p in files)
    problems = [f"{p.relative_to(ROOT)}:{line}" for p in files for line in unsafe_calls(p.read_text("utf-8"))]
    assert not problems, "unsafe loading (can run arbitrary code): " + "; ".join(problems)
