"""A binary model's other class is derived from the computed one (automl_app.work.mirrored), exactly."""
import numpy as np
import pytest
from fitted_model import fitted_automl, keep_main_module  # noqa: F401 - autouse fixture

from automl_app.work import default_class, mirrored
from automl_engine.explain import explain


@pytest.mark.parametrize("time_budget", [None])
def test_the_other_class_is_the_computed_one_with_every_sign_changed(time_budget):
    automl, data = fitted_automl()
    X = data.drop(columns=["label"])
    yes = explain(automl, X, max_rows=40, class_index=1, time_budget=time_budget)
    no = explain(automl, X, max_rows=40, class_index=0, time_budget=time_budget)
    derived = mirrored(yes, "no")
    assert yes.output_kind in ("probability", "log-odds") and derived.class_label == "no"
    np.testing.assert_allclose(derived.values.to_numpy(), no.values.to_numpy(), atol=1e-6)
    assert derived.base_value == pytest.approx(no.base_value, abs=1e-6)
    np.testing.assert_allclose(derived.output, no.output, atol=1e-6)
    assert list(derived.values.index) == list(no.values.index)


def test_a_raw_score_is_not_mirrored():
    automl, data = fitted_automl()
    e = explain(automl, data.drop(columns=["label"]), max_rows=10, class_index=1, time_budget=None)
    from dataclasses import replace

    assert mirrored(replace(e, output_kind="raw score"), "no") is None


def test_explain_starts_on_the_class_that_reads_as_the_positive_outcome():
    assert [default_class(c) for c in (["+", "-"], ["-", "+"], ["no", "yes"], ["Yes", "No"], [False, True])] == \
        [0, 1, 1, 0, 1]
    assert default_class(["benign", "malignant"]) == 1      # no positive-looking label: scikit-learn's positive
    assert default_class(["0", "1"]) == 1 and default_class([1, 2]) == 1 and default_class([-1, 1]) == 1
    assert default_class(["a", "b", "c"]) == 0 and default_class([]) is None
