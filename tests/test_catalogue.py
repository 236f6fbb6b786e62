import hashlib

import numpy as np
import pytest
from tables import MIXED_TYPES

from automl_engine.catalogue import build_pipeline, family_costs, family_versions, load_catalogue, load_spec
from automl_engine.catalogue.enumerate import pipeline_id

CLASSIFICATION_FAMILIES = {"logreg", "linear_svm", "rbf_svm", "knn", "naive_bayes", "decision_tree", "random_forest",
                           "extra_trees", "hist_gradient_boosting", "lightgbm", "xgboost", "mlp", "adaboost",
                           "catboost"}
REGRESSION_FAMILIES = {"ridge", "lasso", "elastic_net", "svr", "knn", "decision_tree", "random_forest", "extra_trees",
                       "hist_gradient_boosting", "lightgbm", "xgboost", "mlp", "catboost"}


def test_catalogue_sizes_and_families():
    clf, reg = load_catalogue("classification"), load_catalogue("regression")
    assert len(clf) >= 1000 and len(reg) >= 600
    assert set(clf.families) == CLASSIFICATION_FAMILIES
    assert set(reg.families) == REGRESSION_FAMILIES
    assert len(set(clf.ids)) == len(clf) and len(set(reg.ids)) == len(reg)


def test_enumeration_is_deterministic_and_ids_are_hashes_of_the_spec():
    first, second = load_catalogue("classification"), load_catalogue("classification")
    assert first.ids == second.ids
    spec = first[17]
    assert spec.id == pipeline_id(spec.task_type, spec.estimator, spec.params, spec.prep)
    assert first.index_of(spec.id) == 17


def test_descriptions_are_readable():
    for spec in load_catalogue("classification").pipelines[::97]:
        text = spec.description
        assert "→" in text and spec.label in text


def test_spec_is_versioned_package_data():
    spec = load_spec()
    assert spec["version"] and spec["families"]["classification"]


def _one_per_family(catalogue):
    seen = {}
    for spec in catalogue.pipelines:
        seen.setdefault(spec.family, spec)
    return list(seen.values())


@pytest.mark.slow
@pytest.mark.parametrize("spec", _one_per_family(load_catalogue("classification")), ids=lambda s: s.family)
def test_every_classification_family_fits_and_predicts_raw_columns(spec, mixed_classification):
    X, y = mixed_classification
    model = build_pipeline(spec, MIXED_TYPES).fit(X, y)
    proba = model.predict_proba(X.head(7))
    assert proba.shape == (7, 2) and np.allclose(proba.sum(axis=1), 1.0)
    assert set(model.predict(X.head(7))) <= {"yes", "no"}


@pytest.mark.slow
@pytest.mark.parametrize("spec", _one_per_family(load_catalogue("regression")), ids=lambda s: s.family)
def test_every_regression_family_fits_and_predicts_raw_columns(spec, mixed_regression):
    X, y = mixed_regression
    model = build_pipeline(spec, MIXED_TYPES).fit(X, y)
    assert np.isfinite(model.predict(X.head(5))).all()


def test_every_catalogue_pipeline_builds():
    for task_type in ("classification", "regression"):
        for spec in load_catalogue(task_type).pipelines:
            pipe = build_pipeline(spec, MIXED_TYPES)
            assert pipe.steps[-1][0] == "model"


def test_pipeline_ignores_columns_it_was_not_given(mixed_classification):
    X, y = mixed_classification
    spec = load_catalogue("classification")[0]
    model = build_pipeline(spec, {"num_a": "numeric", "colour": "categorical"}).fit(X, y)
    extra = X.assign(unrelated=1.0)
    assert (model.predict(extra) == model.predict(X)).all()


# Ids of catalogue 1.0.0 (computed on main at ae003d8, before catalogue 1.1.0): (index, id, family,
# hyper-parameters, preprocessing). The knowledge and every user's run history refer to them.
PINNED_1_0_0 = {
    "classification": [
        (0, "58325f0f6fab", "logreg", {"max_iter": 2000, "C": 100.0, "class_weight": "balanced"},
         {"impute": "mean", "indicators": False, "scale": "standard", "encode": "onehot", "poly": False,
          "select": None, "pca": None}),
        (100, "70a564c07e2c", "linear_svm", {"C": 0.001, "class_weight": None},
         {"impute": "median", "indicators": False, "scale": "robust", "encode": "target", "poly": True,
          "select": None, "pca": None}),
        (500, "ad1fd99fb2a6", "random_forest", {"n_jobs": 1, "class_weight": "balanced", "criterion": "entropy",
                                                 "max_features": "sqrt", "min_samples_leaf": 2, "n_estimators": 200},
         {"impute": "median", "indicators": False, "scale": "none", "encode": "ordinal", "poly": False,
          "select": 50, "pca": None}),
        (1019, "a75d3084a8ee", "adaboost", {"base_depth": 1, "learning_rate": 0.1, "n_estimators": 200},
         {"impute": "most_frequent", "indicators": True, "scale": "none", "encode": "target", "poly": False,
          "select": 50, "pca": None}),
    ],
    "regression": [
        (0, "d1a1b344463f", "ridge", {"alpha": 0.1},
         {"impute": "mean", "indicators": False, "scale": "standard", "encode": "onehot", "poly": False,
          "select": None, "pca": None}),
        (170, "3c4e88955d96", "svr", {"kernel": "rbf", "cache_size": 200, "C": 16.0, "epsilon": 0.01, "gamma": 0.1},
         {"impute": "mean", "indicators": False, "scale": "standard", "encode": "onehot", "poly": False,
          "select": None, "pca": 0.95}),
        (599, "083edac39089", "mlp", {"max_iter": 300, "early_stopping": True, "alpha": 1e-05,
                                      "hidden_layer_sizes": [64], "learning_rate_init": 0.01},
         {"impute": "median", "indicators": True, "scale": "quantile", "encode": "target", "poly": False,
          "select": 50, "pca": 0.95}),
    ],
}
# rbf_svm pipelines of 1.0.0 (then SVC with probability=True): (id, C, gamma, class_weight, preprocessing)
PINNED_RBF_SVM = [
    ("fe629d4408ac", 128.0, "scale", None,
     {"impute": "median", "indicators": True, "scale": "standard", "encode": "onehot", "poly": False,
      "select": None, "pca": None}),
    ("bcdf41386bd6", 0.25, 0.01, "balanced",
     {"impute": "median", "indicators": True, "scale": "standard", "encode": "onehot", "poly": False,
      "select": None, "pca": None}),
    ("18956cee20dd", 16.0, 0.1, "balanced",
     {"impute": "median", "indicators": True, "scale": "quantile", "encode": "target", "poly": False,
      "select": 50, "pca": 0.95}),
]
# SHA-1 of the comma-joined ids of all 1,020 / 600 pipelines of catalogue 1.0.0, in order
IDS_1_0_0 = {"classification": (1020, "2e85ade4fb0ca3e92139509b70697386c1765d37"),
             "regression": (600, "81a0e630ce06492e61dd6f74ec45c123c383e73a")}


@pytest.mark.parametrize("task_type", ["classification", "regression"])
def test_pipelines_of_catalogue_1_0_keep_their_ids_and_positions(task_type):
    catalogue = load_catalogue(task_type)
    for index, pid, family, params, prep in PINNED_1_0_0[task_type]:
        spec = catalogue[index]
        assert (spec.id, spec.family, spec.params, spec.prep) == (pid, family, params, prep)
    count, digest = IDS_1_0_0[task_type]
    assert hashlib.sha1(",".join(catalogue.ids[:count]).encode()).hexdigest() == digest
    assert set(catalogue.families[count:]) == {"catboost"}  # new families are appended


def test_rbf_svm_keeps_its_ids_without_probability_true():
    catalogue = load_catalogue("classification")
    for pid, C, gamma, class_weight, prep in PINNED_RBF_SVM:
        spec = catalogue[catalogue.index_of(pid)]
        assert spec.family == "rbf_svm" and spec.estimator == "CalibratedSVC" and spec.prep == prep
        assert (spec.params["C"], spec.params["gamma"], spec.params["class_weight"]) == (C, gamma, class_weight)
        assert "probability" not in spec.params
        model = build_pipeline(spec, MIXED_TYPES).steps[-1][1]
        assert type(model).__name__ == "CalibratedSVC" and model.C == C
    # the 1.0.0 id rule, spelled out: the estimator name and fixed parameters the ids were made from
    spec = catalogue[catalogue.index_of(PINNED_RBF_SVM[0][0])]
    old_params = {"kernel": "rbf", "probability": True, "cache_size": 200,
                  **{k: spec.params[k] for k in ("C", "gamma", "class_weight")}}
    assert pipeline_id("classification", "SVC", old_params, spec.prep) == spec.id


def test_catboost_is_a_new_family_with_new_ids():
    for task_type, count in (("classification", 80), ("regression", 50)):
        catalogue = load_catalogue(task_type)
        specs = [s for s in catalogue if s.family == "catboost"]
        assert len(specs) == count and family_versions(task_type)["catboost"] == "1.1.0"
        assert all(s.params["thread_count"] == 1 and s.params["iterations"] <= 400 for s in specs)
        assert not set(s.id for s in specs) & set(catalogue.ids[: IDS_1_0_0[task_type][0]])


@pytest.mark.parametrize("task_type", ["classification", "regression"])
def test_every_family_declares_how_its_cost_grows(task_type):
    costs = family_costs(task_type)
    assert set(costs) == set(load_catalogue(task_type).families)
    for family, exponents in costs.items():
        assert set(exponents) == {"rows", "cols"}
        assert all(0 < v <= 3 for v in exponents.values()), family
    kernel = "rbf_svm" if task_type == "classification" else "svr"
    assert costs[kernel]["rows"] > costs["lightgbm"]["rows"]  # kernel machines grow faster with rows


def test_every_family_declares_how_it_is_explained():
    from automl_engine.catalogue import explain_traits, load_spec

    traits = explain_traits()
    for task_type in ("classification", "regression"):
        for family in load_spec()["families"][task_type]:
            t = traits[family["estimator"]]
            assert t.kind in ("tree", "linear", "permutation"), family["name"]
            assert not (t.probability_output and t.kind != "tree"), family["name"]
    assert traits["XGBRegressor"].kind == "tree" and traits["XGBRegressor"].float32
    assert traits["CatBoostClassifier"].kind == "permutation" and traits["Ridge"].kind == "linear"


def test_every_random_state_of_an_estimator_gets_the_seed():
    from automl_engine.catalogue.registry import ESTIMATORS, make_estimator

    for name in ESTIMATORS:
        params = make_estimator(name, {}, random_state=11).get_params(deep=True)
        seeds = {k: v for k, v in params.items() if k == "random_state" or k.endswith("__random_state")}
        assert all(v == 11 for v in seeds.values()), name
    assert make_estimator("AdaBoostClassifier", {}, 3).get_params()["estimator__random_state"] == 3
    assert "random_state" not in make_estimator("KNeighborsClassifier", {}, 3).get_params()


def test_the_explainer_follows_the_catalogue_traits(monkeypatch):
    """A family declared 'permutation' is explained by permutation even if it is a tree model."""
    import importlib

    from automl_engine import explain

    explainer = importlib.import_module("automl_engine.explain.explainer")  # the package name is also the function
    from model_zoo import fitted

    from automl_engine.catalogue import ExplainTraits

    model, X, _ = fitted("regression", "random_forest", n=80)
    assert explain(model, X.head(20), time_budget=None).explainer == "tree"
    monkeypatch.setattr(explainer, "explain_traits", lambda: {"RandomForestRegressor": ExplainTraits("permutation")})
    assert explain(model, X.head(20), time_budget=None).explainer == "permutation"
