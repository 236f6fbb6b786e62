"""The engine's docstring examples run and print what they show (doctest), module by module."""
import doctest
import importlib
import pkgutil

import pytest

import automl_engine

SLOW_EXAMPLES = {"automl_engine.automl"}  # fits a model
MODULES = sorted(m.name for m in pkgutil.walk_packages(automl_engine.__path__, "automl_engine.")
                 if not m.name.endswith("__main__"))


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW_EXAMPLES else n
                                  for n in MODULES])
def test_docstring_examples(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an example that writes a file writes it here
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed (see the output above)"


def test_the_public_examples_are_collected():
    finder = doctest.DocTestFinder()
    examples = {name: sum(len(t.examples) for t in finder.find(importlib.import_module(name))) for name in MODULES}
    assert examples["automl_engine.automl"] >= 3 and examples["automl_engine.explain.explainer"] >= 3
    assert sum(examples.values()) >= 50
