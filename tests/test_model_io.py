"""skops save/load with a reviewed trusted-type list, model card, tampered/corrupt files, version policy."""
import json
import subprocess
import sys
import textwrap
import warnings
import zipfile

import numpy as np
import pytest
import skops.io as sio
from model_zoo import CLASSIFICATION_FAMILIES, REGRESSION_FAMILIES, fitted, fitted_ensemble
from tables import MIXED_TYPES

from automl_engine import AutoML, DataError, explain, load_model
from automl_engine.model.skops_io import (
    TRUSTED_TYPES,
    LoadedModel,
    ModelVersionWarning,
    model_bytes,
    model_card_markdown,
    save_model,
)


@pytest.fixture(scope="module")
def automl_binary():
    from tables import mixed_frame

    X = mixed_frame()
    y = np.where(X["num_b"] + (X["colour"] == "red") > 1.0, "yes", "no")
    return AutoML(max_evals=3, strategy="random", random_state=0, learn=False, ensemble=False).fit(X, y), X


def rewrite_schema(path, edit) -> None:
    """Apply ``edit`` (text -> text) to the skops file's schema.json, keeping the other members."""
    with zipfile.ZipFile(path) as z:
        members = {name: z.read(name) for name in z.namelist()}
    members["schema.json"] = edit(members["schema.json"].decode("utf-8")).encode("utf-8")
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)


def edit_strings(path, edit) -> None:
    """Apply ``edit`` (str -> str) to every string value stored in the skops file."""
    def walk(node):
        if isinstance(node, dict):
            if node.get("__loader__") == "JsonNode" and node.get("__class__") == "str":
                value = json.loads(node["content"])
                if isinstance(value, str):
                    node["content"] = json.dumps(edit(value))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    def rewrite(text):
        schema = json.loads(text)
        walk(schema)
        return json.dumps(schema)

    rewrite_schema(path, rewrite)


@pytest.mark.slow
def test_round_trip_in_a_fresh_process(automl_binary, tmp_path):
    automl, X = automl_binary
    path = automl.save(tmp_path / "model.skops")
    X.to_csv(tmp_path / "new.csv", index=False)
    code = textwrap.dedent(f"""
        import json, sys
        from automl_engine import load_model, load_table
        model = load_model({str(path)!r})
        X = load_table({str(tmp_path / 'new.csv')!r})
        json.dump({{"labels": [str(v) for v in model.predict(X)],
                   "proba": model.predict_proba(X).tolist()}}, sys.stdout)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    child = json.loads(done.stdout)
    from automl_engine.data.intake import load_table

    same_input = load_table(tmp_path / "new.csv")
    assert child["labels"] == [str(v) for v in automl.predict(same_input)]
    np.testing.assert_array_equal(np.asarray(child["proba"]), automl.predict_proba(same_input))


def test_card_describes_the_model(automl_binary, tmp_path):
    automl, X = automl_binary
    model = load_model(automl.save(tmp_path / "m.skops"))
    card = model.card
    assert isinstance(model, LoadedModel)
    assert [c["name"] for c in card["input_schema"]] == list(automl.column_types_)
    assert {c["name"]: c["kind"] for c in card["input_schema"]} == automl.column_types_
    assert card["task"] == "binary" and card["target"] == automl.target_name_ and card["metric"] == automl.metric_
    assert card["cv_score"] == pytest.approx(automl.best_record_["score"])
    assert card["classes"] == ["no", "yes"]
    assert card["data_fingerprint"] == automl.fingerprint_
    assert card["versions"]["scikit-learn"] and card["versions"]["skops"] and card["trained_at"]
    assert "validation" in card and "holdout_score" in card and "ensemble" in card
    markdown = model_card_markdown(card)
    assert markdown.startswith("# Model card") and "| colour |" in markdown and "scikit-learn" in markdown
    assert card["search_guided_by"] == "random" and "- **Search guided by:** random" in markdown
    assert json.loads(json.dumps(card)) == card
    e = explain(model, X, max_rows=15, background=10)
    assert list(e.values.columns) == list(automl.column_types_)
    assert e.additivity_error() < 1e-5


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_ensemble_and_bytes_round_trip(task):
    model, X, _ = fitted_ensemble(task)
    loaded = load_model(model_bytes(model))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    if task != "regression":
        np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
        assert loaded.card["classes"] == list(model.classes_)
    else:
        with pytest.raises(AttributeError):
            loaded.predict_proba(X)
    assert len(loaded.card["input_schema"]) == len(MIXED_TYPES)


def catalogue_models():
    """Every family (default preprocessing), plus variants that use every other step."""
    for task in ("binary", "multiclass"):
        for family in CLASSIFICATION_FAMILIES:
            yield fitted(task, family, n=60)[0]
    for family in REGRESSION_FAMILIES:
        yield fitted("regression", family, n=60)[0]
    for task, family in (("binary", "logreg"), ("regression", "ridge")):
        yield fitted(task, family, {"poly": True, "select": 50, "pca": 0.95, "scale": "quantile"}, n=60)[0]
        yield fitted(task, family, {"encode": "target", "indicators": True, "scale": "robust"}, n=60)[0]
    yield fitted("binary", "random_forest", {"encode": "onehot", "indicators": True, "select": 50}, n=60)[0]
    yield fitted_ensemble("binary", n=60)[0]


@pytest.mark.slow
def test_every_catalogue_model_needs_only_reviewed_types():
    found = set()
    for model in catalogue_models():
        found |= set(sio.get_untrusted_types(data=sio.dumps({"model": model})))
    assert found <= set(TRUSTED_TYPES), f"review before trusting: {sorted(found - set(TRUSTED_TYPES))}"


def test_foreign_function_is_refused(tmp_path):
    import os

    model, _, _ = fitted("binary", "decision_tree")
    path = tmp_path / "evil.skops"
    sio.dump({"format": "automl-engine/model", "format_version": 1, "card": "{}", "model": model,
              "hook": os.system}, path)
    with pytest.raises(DataError, match="refused.*system"):
        load_model(path)


def test_edited_zip_with_a_custom_class_is_refused(tmp_path):
    model, _, _ = fitted("binary", "decision_tree")
    path = save_model(model, tmp_path / "m.skops")
    marker = tmp_path / "ran"

    def swap(text):  # the tree becomes a class of a module nobody reviewed
        assert '"DecisionTreeClassifier"' in text
        return text.replace('"DecisionTreeClassifier"', '"Evil"').replace('"sklearn.tree._classes"', '"evil_module"')

    rewrite_schema(path, swap)
    with pytest.raises(DataError, match="evil_module.Evil"):
        load_model(path)
    assert not marker.exists()


@pytest.mark.parametrize("content", [b"", b"not a zip at all", b"PK\x03\x04 truncated"])
def test_non_skops_files_are_refused(tmp_path, content):
    path = tmp_path / "model.skops"
    path.write_bytes(content)
    with pytest.raises(DataError, match="not a model file"):
        load_model(path)


def test_corrupt_and_foreign_skops_files_are_refused(tmp_path):
    broken = tmp_path / "broken.skops"
    with zipfile.ZipFile(broken, "w") as z:
        z.writestr("schema.json", "{not json")
    with pytest.raises(DataError, match="not a model file"):
        load_model(broken)
    other = tmp_path / "other.skops"
    sio.dump({"something": [1, 2, 3]}, other)
    with pytest.raises(DataError, match="not a model file"):
        load_model(other)
    with pytest.raises(DataError, match="no model file"):
        load_model(tmp_path / "missing.skops")
    model, _, _ = fitted("regression", "ridge")
    good = save_model(model, tmp_path / "good.skops").read_bytes()
    with pytest.raises(DataError):
        load_model(good[: len(good) // 2])


def _lying_payloads():
    from sklearn.linear_model import LogisticRegression

    return {"text": "not a model", "null": None, "unfitted": LogisticRegression(), "a class": LogisticRegression,
            "a list": [1, 2]}


@pytest.mark.parametrize("what", list(_lying_payloads()))
def test_a_payload_that_is_not_a_fitted_estimator_is_refused(tmp_path, what):
    """Trusted types, so the type check lets them through; they used to fail later with AttributeError."""
    path = tmp_path / "lie.skops"
    card = {"task": "binary", "input_schema": [], "classes": ["no", "yes"]}
    sio.dump({"format": "automl-engine/model", "format_version": 1, "card": json.dumps(card),
              "model": _lying_payloads()[what]}, path)
    with pytest.raises(DataError, match="refused because (it holds|the LogisticRegression it holds was never)"):
        load_model(path)


def _edit_card(path, edit) -> None:
    """Rewrite the card (JSON text inside the skops file) with ``edit`` (dict -> any JSON value)."""
    def swap(value: str) -> str:
        return json.dumps(edit(json.loads(value))) if value.startswith('{"format_version"') else value

    edit_strings(path, swap)


@pytest.mark.parametrize("edit, words", [
    (lambda card: None, "card is null"),
    (lambda card: [card], "card is a list"),
    (lambda card: "a card", "card is text"),
    (lambda card: {**card, "task": 3}, "task is a number"),
    (lambda card: {**card, "task": "ranking"}, "none of"),
    (lambda card: {**card, "input_schema": "a, b"}, "input_schema is text"),
    (lambda card: {**card, "input_schema": [None]}, "not a column"),
    (lambda card: {**card, "classes": "no,yes"}, "classes is text"),
    (lambda card: {**card, "versions": ["1.0"]}, "versions is a list"),
    (lambda card: {**card, "ensemble": [{"weight": "heavy", "pipeline": "x"}]}, "not a member"),
    (lambda card: {**card, "task": "regression"}, "task is regression but the model it holds is a binary"),
    (lambda card: {**card, "task": "multiclass"}, "binary model"),
    (lambda card: {**card, "classes": ["cat", "dog"]}, "classes (cat, dog) are not the model's"),
    (lambda card: {**card, "classes": list(reversed(card["classes"]))}, "are not the model's"),
])
def test_a_card_edited_to_lie_is_refused_with_one_sentence(tmp_path, edit, words):
    model, _, _ = fitted("binary", "decision_tree")
    path = save_model(model, tmp_path / "m.skops")
    load_model(path)                                 # the file as saved loads
    _edit_card(path, edit)
    with pytest.raises(DataError) as caught:
        load_model(path)
    message = str(caught.value)
    assert words in message and "\n" not in message and message.startswith("'m.skops' was refused because")


def test_the_cli_refuses_a_lying_model_file_with_exit_2(tmp_path):
    model, X, _ = fitted("binary", "decision_tree")
    path = save_model(model, tmp_path / "m.skops")
    _edit_card(path, lambda card: None)
    X.to_csv(tmp_path / "x.csv", index=False)
    done = subprocess.run([sys.executable, "-m", "automl_engine.cli", "predict", str(path), str(tmp_path / "x.csv"),
                           "--out", str(tmp_path / "p.csv")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and done.stderr.startswith("error: 'm.skops' was refused"), done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "AttributeError" not in done.stderr


def test_other_scikit_learn_version_loads_with_a_warning(tmp_path):
    import sklearn

    model, X, _ = fitted("binary", "random_forest")
    path = save_model(model, tmp_path / "old.skops")
    current = sklearn.__version__

    def older(value: str) -> str:  # the estimators' _sklearn_version and the card's versions
        if value == current:
            return "1.0.2"
        return value.replace(f'"scikit-learn": "{current}"', '"scikit-learn": "1.0.2"')

    edit_strings(path, older)
    with pytest.warns(ModelVersionWarning, match="scikit-learn 1.0.2"):
        loaded = load_model(path)
    assert loaded.warnings and "re-train" in loaded.warnings[0]
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_same_version_loads_silently(tmp_path):
    model, X, _ = fitted("multiclass", "lightgbm")
    path = save_model(model, tmp_path / "sub" / "m.skops")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ModelVersionWarning)
        loaded = load_model(str(path))
    assert loaded.warnings == []
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    resaved = load_model(loaded.save(tmp_path / "again.skops"))
    assert resaved.card["input_schema"] == loaded.card["input_schema"]
    with pytest.raises(DataError, match="'city'"):
        loaded.predict(X.drop(columns=["city"]))


def test_a_model_file_saved_before_the_engine_moved_its_modules_still_loads(tmp_path):
    """Files written before 2026-12-06 name automl_engine.transformers / automl_engine.ensemble."""
    model, X, _ = fitted_ensemble("binary")
    path = save_model(model, tmp_path / "old.skops")
    rewrite_schema(path, lambda text: text.replace("automl_engine.catalogue.steps", "automl_engine.transformers")
                   .replace("automl_engine.search.ensemble", "automl_engine.ensemble"))
    assert "automl_engine.ensemble.EnsembleModel" in sio.get_untrusted_types(file=str(path))
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
