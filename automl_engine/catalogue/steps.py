"""Small scikit-learn transformers and wrappers the catalogue's pipelines are made of.

They are plain estimators (``__init__`` stores arguments, learned attributes end in ``_``)
so that skops can save and load them as reviewed, trusted types.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, clone
from sklearn.preprocessing import LabelEncoder, PolynomialFeatures
from sklearn.utils.validation import check_is_fitted

from automl_engine.data.column_types import category_text, held_as_numpy_numbers

DATETIME_PARTS = ("year", "month", "day", "dayofweek", "dayofyear", "hour")
_PART_ATTRIBUTES = {"dayofweek": "day_of_week", "dayofyear": "day_of_year"}  # pandas 3 deprecates the short names


class DatetimeFeatures(TransformerMixin, BaseEstimator):
    """Expand datetime columns into numeric parts: year, month, day, day-of-week, ... .

    Unparsable or missing values become NaN, so an imputer downstream handles them.
    The hour is kept only for columns that had a time of day in the training data.
    """

    def fit(self, X, y=None):
        frame = self._as_datetimes(X)
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        self.parts_ = []
        for column in frame.columns:
            values = frame[column]
            has_time = bool((values.dropna().dt.hour != 0).any())
            parts = [p for p in DATETIME_PARTS if p != "hour" or has_time]
            self.parts_.append(parts)
        return self

    def transform(self, X):
        check_is_fitted(self, "parts_")
        frame = self._as_datetimes(X)
        blocks = []
        for column, parts in zip(frame.columns, self.parts_):
            accessor = frame[column].dt
            for part in parts:
                blocks.append(getattr(accessor, _PART_ATTRIBUTES.get(part, part)).astype("float64").to_numpy())
        if not blocks:
            return np.empty((len(frame), 0))
        return np.column_stack(blocks)

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "parts_")
        return np.asarray(
            [f"{c}__{p}" for c, parts in zip(self.feature_names_in_, self.parts_) for p in parts],
            dtype=object,
        )

    @staticmethod
    def _as_datetimes(X) -> pd.DataFrame:
        frame = pd.DataFrame(X).copy()
        for column in frame.columns:
            frame[column] = pd.to_datetime(frame[column], errors="coerce", format="mixed")
        return frame


class ToStrings(TransformerMixin, BaseEstimator):
    """Turn categorical columns into strings with missing values as NaN, for the encoders.

    With ``same_numbers`` (new pipelines) a number is written one way whatever its type (``5`` and
    ``5.0`` are both ``"5"``, see :func:`~automl_engine.data.column_types.category_text`), so a category
    column that arrives as floats because a cell is empty still matches the categories seen in training.
    Models saved before it existed load without it and keep writing ``str(value)``.
    """

    def __init__(self, same_numbers: bool = True):
        self.same_numbers = same_numbers

    def fit(self, X, y=None):
        self.n_features_in_ = pd.DataFrame(X).shape[1]
        return self

    def transform(self, X):
        frame = pd.DataFrame(X)
        out = frame.astype("object").where(frame.notna(), np.nan)
        text = category_text if getattr(self, "same_numbers", False) else str
        return out.map(lambda v: v if isinstance(v, float) and np.isnan(v) else text(v)).to_numpy(dtype=object)

    def get_feature_names_out(self, input_features=None):
        return np.asarray(input_features if input_features is not None else [], dtype=object)


class ToNumeric(TransformerMixin, BaseEstimator):
    """Coerce numeric columns to floats; text that is not a number (an NA marker) becomes NaN.

    Lets a fitted pipeline take a freshly read table, where numbers may arrive as text.
    """

    def fit(self, X, y=None):
        self.n_features_in_ = pd.DataFrame(X).shape[1]
        return self

    def transform(self, X):
        frame = pd.DataFrame(X)
        if all(held_as_numpy_numbers(dtype) for dtype in frame.dtypes):
            return frame.to_numpy(dtype=float)  # already numbers: one block, not a wide table column by column
        return frame.apply(lambda col: pd.to_numeric(col, errors="coerce")).to_numpy(dtype=float)

    def get_feature_names_out(self, input_features=None):
        return np.asarray(input_features if input_features is not None else [], dtype=object)


class BoundedPolynomialFeatures(TransformerMixin, BaseEstimator):
    """Degree-2 interaction features, or the identity when the input has too many columns.

    Keeps a catalogue pipeline with polynomial features usable on wide tables.
    """

    def __init__(self, max_input_features: int = 30):
        self.max_input_features = max_input_features

    def fit(self, X, y=None):
        n_features = np.asarray(X).shape[1]
        self.active_ = n_features <= self.max_input_features
        self.poly_ = (
            PolynomialFeatures(degree=2, interaction_only=True, include_bias=False).fit(X)
            if self.active_
            else None
        )
        return self

    def transform(self, X):
        check_is_fitted(self, "active_")
        return self.poly_.transform(X) if self.active_ else np.asarray(X)


class EncodedLabelClassifier(ClassifierMixin, BaseEstimator):
    """Wrap a classifier that needs labels 0..k-1 (XGBoost) so it takes any labels."""

    def __init__(self, estimator=None):
        self.estimator = estimator

    def fit(self, X, y, **fit_params):
        self.label_encoder_ = LabelEncoder().fit(y)
        self.classes_ = self.label_encoder_.classes_
        self.estimator_ = clone(self.estimator).fit(X, self.label_encoder_.transform(y), **fit_params)
        return self

    def predict(self, X):
        check_is_fitted(self, "estimator_")
        return self.label_encoder_.inverse_transform(np.asarray(self.estimator_.predict(X), dtype=int))

    def predict_proba(self, X):
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict_proba(X)


class Flatten(TransformerMixin, BaseEstimator):
    """Turn a one-column 2-D array into the 1-D array of strings a text vectoriser takes."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.asarray(X, dtype=object).reshape(-1)
