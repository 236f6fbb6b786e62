"""Explain: which columns drive the best model's predictions (SHAP values on a sample of the data)."""
import streamlit as st

from automl_app import explain_charts as charts
from automl_app.navigation import go_to_search
from automl_app.text import md, short
from automl_engine.errors import DataError
from automl_engine.explain import ADDITIVITY_TOLERANCE, TIME_BUDGET_SECONDS, explain

ss = st.session_state
SAMPLE_SIZES = [100, 200, 500, 1000]


st.title("Explain")
automl, data, target = ss.get("automl"), ss.get("data"), ss.get("target")
if automl is None or data is None:
    st.info("There is no model to explain yet: run a search, and its best model is explained here.",
            icon=":material/insights:")
    go_to_search()
    st.stop()

X = data.drop(columns=[target]) if target in data.columns else data
classes = [] if getattr(automl, "task_", "regression") == "regression" else list(automl.classes_)
left, right = st.columns(2)
n_rows = left.select_slider("Rows to explain (a random sample)", SAMPLE_SIZES, value=200, key="explain_rows")
class_index = None
if classes:
    default = 1 if len(classes) == 2 else 0
    class_index = right.selectbox("Class whose output is explained", range(len(classes)), index=default,
                                  format_func=lambda i: short(classes[i]), key="explain_class")

key = (id(automl), id(data), n_rows, class_index)
cached = ss.get("explanation")
if not cached or cached.get("key") != key:
    ss["explanation"] = None
    with st.status(f"Computing SHAP values on {min(n_rows, len(X))} rows…", expanded=True) as status:
        bar = st.progress(0.0, text="starting")
        try:
            result = explain(automl, X, max_rows=n_rows, class_index=class_index,
                             progress=lambda fraction, message: bar.progress(min(1.0, fraction), text=message))
        except DataError as exc:
            status.update(label="The explanation failed", state="error")
            st.error(md(str(exc), limit=600), icon=":material/error:")
            st.stop()
        except Exception as exc:  # noqa: BLE001 - a sentence, never a traceback
            status.update(label="The explanation failed", state="error")
            st.error(md(f"The SHAP values could not be computed ({type(exc).__name__}: {exc}).", limit=600),
                     icon=":material/error:")
            st.stop()
        done = (f"{len(result.values)} of {result.n_requested}" if len(result.values) < result.n_requested
                else f"{len(result.values)}")
        status.update(label=f"SHAP values computed on {done} rows", state="complete", expanded=False)
    ss["explanation"] = {"key": key, "result": result}
e = ss["explanation"]["result"]

baseline = (f"over {e.n_background} background rows" if e.n_background else
            "whose base value is the model's average output on its training data")
st.caption(md(f"Explained: the {charts.output_label(e)} with the {e.explainer} explainer {baseline}; base value "
              f"{e.base_value:.4g}. For every row, base value + the SHAP values of its "
              f"columns = the model's output (within {ADDITIVITY_TOLERANCE[e.explainer]:g}, relative). One-hot "
              f"levels, text terms and date parts are summed into the column they come from.", limit=None))

if e.time_limited:  # the engine cut the sample or the background to stay within its time budget
    within = f"to keep the explanation within about {TIME_BUDGET_SECONDS:g} s: this model is slow to evaluate"
    if len(e.values) < e.n_requested:
        st.info(f"Explained {len(e.values)} of the {e.n_requested} sampled rows {within}. The charts cover those "
                f"rows; choose fewer rows to explain all of them.", icon=":material/timer:")
    else:
        st.info(f"Used {e.n_background} background rows {within}.", icon=":material/timer:")

st.subheader("Global importance")
st.altair_chart(charts.importance_chart(e), key="importance_chart")
st.subheader("Effect of each column, row by row")
st.altair_chart(charts.beeswarm_chart(e), key="beeswarm_chart")

st.subheader("Dependence on one column")
ranked = list(e.importance().index)
column = st.selectbox("Column", ranked, format_func=short, key="explain_dependence")
st.altair_chart(charts.dependence_chart(e, column), key="dependence_chart")

st.subheader("One row")
rows = list(e.values.index)
row = st.selectbox("Row (index in the data)", rows, key="explain_row")
st.altair_chart(charts.waterfall_chart(e, row), key="waterfall_chart")
st.dataframe(e.data.loc[[row]], hide_index=False, key="explain_row_data")
