"""Turn a catalogue ``PipelineSpec`` into a scikit-learn Pipeline over the user's raw columns."""
from __future__ import annotations

from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.feature_selection import SelectPercentile, f_classif, f_regression
from sklearn.impute import SimpleImputer
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import (
    OneHotEncoder,
    OrdinalEncoder,
    QuantileTransformer,
    RobustScaler,
    StandardScaler,
    TargetEncoder,
)

from automl_engine.catalogue.enumerate import PipelineSpec
from automl_engine.catalogue.registry import make_estimator
from automl_engine.catalogue.steps import (
    BoundedPolynomialFeatures,
    DatetimeFeatures,
    Flatten,
    ToNumeric,
    ToStrings,
)
from automl_engine.data import column_types as kinds
from automl_engine.task import Task

TARGET_ENCODER_FOLDS = 5
TFIDF_MAX_FEATURES = 200
ONEHOT_MIN_FREQUENCY = 0.01
ONEHOT_MAX_CATEGORIES = 30


def _scaler(name: str, random_state):
    if name == "standard":
        return StandardScaler()
    if name == "robust":
        return RobustScaler()
    if name == "quantile":
        return QuantileTransformer(n_quantiles=100, output_distribution="normal", random_state=random_state)
    return "passthrough"


def _encoder(name: str, task_type: str, random_state, allow_onehot: bool = True):
    if name == "onehot" and allow_onehot:
        return OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=ONEHOT_MIN_FREQUENCY,
                             max_categories=ONEHOT_MAX_CATEGORIES, sparse_output=False)
    if name == "target":
        # the cross-fitting folds TargetEncoder chose itself before scikit-learn 1.9 deprecated
        # its shuffle / random_state parameters: the same encodings, without the FutureWarning
        if task_type == Task.REGRESSION:
            return TargetEncoder(target_type="continuous",
                                 cv=KFold(TARGET_ENCODER_FOLDS, shuffle=True, random_state=random_state))
        return TargetEncoder(target_type="auto",
                             cv=StratifiedKFold(TARGET_ENCODER_FOLDS, shuffle=True, random_state=random_state))
    return OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1,
                          encoded_missing_value=-1)


def _column_transformer(spec: PipelineSpec, column_types: dict[str, str], random_state) -> ColumnTransformer:
    prep = spec.prep
    numeric = kinds.columns_of_kind(column_types, kinds.NUMERIC)
    categorical = kinds.columns_of_kind(column_types, kinds.CATEGORICAL, kinds.BOOLEAN)
    high_card = kinds.columns_of_kind(column_types, kinds.HIGH_CARDINALITY)
    datetimes = kinds.columns_of_kind(column_types, kinds.DATETIME)
    texts = kinds.columns_of_kind(column_types, kinds.TEXT)
    scaler = lambda: _scaler(prep["scale"], random_state)  # noqa: E731 - fresh instance per branch
    imputer = lambda: SimpleImputer(strategy=prep["impute"], add_indicator=prep["indicators"])  # noqa: E731
    categorical_imputer = lambda: SimpleImputer(strategy="constant", fill_value="__missing__")  # noqa: E731
    branches = []
    if numeric:
        branches.append(("numeric", make_pipeline(ToNumeric(), imputer(), scaler()), numeric))
    if categorical:
        branches.append(("categorical", make_pipeline(
            ToStrings(), categorical_imputer(), _encoder(prep["encode"], spec.task_type, random_state), scaler()
        ), categorical))
    if high_card:
        branches.append(("high_cardinality", make_pipeline(
            ToStrings(), categorical_imputer(),
            _encoder(prep["encode"], spec.task_type, random_state, allow_onehot=False), scaler()
        ), high_card))
    if datetimes:
        branches.append(("datetime", make_pipeline(DatetimeFeatures(), imputer(), scaler()), datetimes))
    for i, column in enumerate(texts):
        branches.append((f"text_{i}", make_pipeline(
            ToStrings(), SimpleImputer(strategy="constant", fill_value=""), Flatten(),
            TfidfVectorizer(max_features=TFIDF_MAX_FEATURES, sublinear_tf=True)
        ), [column]))
    if not branches:
        raise ValueError("no usable feature columns: every column was dropped or unsupported")
    return ColumnTransformer(branches, remainder="drop", sparse_threshold=0.0)


def build_pipeline(spec: PipelineSpec, column_types: dict[str, str], random_state: int | None = 0) -> Pipeline:
    """A scikit-learn Pipeline for ``spec`` that takes the user's raw columns.

    Parameters
    ----------
    spec : PipelineSpec
        A pipeline of the catalogue.
    column_types : dict
        Feature column name → kind (see ``automl_engine.data.column_types``); other columns are ignored.
    random_state : int or None
        Seed for every randomised step.

    Examples
    --------
    >>> from automl_engine.catalogue import load_catalogue, build_pipeline
    >>> spec = load_catalogue("classification")[0]
    >>> pipe = build_pipeline(spec, {"age": "numeric", "city": "categorical"})
    >>> pipe.steps[-1][0]
    'model'
    """
    prep = spec.prep
    steps = [("columns", _column_transformer(spec, column_types, random_state))]
    if prep["poly"]:
        steps.append(("poly", BoundedPolynomialFeatures()))
    if prep["select"]:
        score = f_regression if spec.task_type == Task.REGRESSION else f_classif
        steps.append(("select", SelectPercentile(score, percentile=prep["select"])))
    if prep["pca"]:
        steps.append(("pca", PCA(n_components=prep["pca"], svd_solver="full", random_state=random_state)))
    steps.append(("model", make_estimator(spec.estimator, dict(spec.params), random_state)))
    return Pipeline(steps)
