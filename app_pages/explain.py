"""Explain: which columns drive the run's model's predictions (SHAP values on a sample of its table)."""
import streamlit as st

from automl_app import explain_charts as charts
from automl_app.navigation import go_to_search
from automl_app.text import md, short
from automl_app.work import SAME_PASS, default_class, explanation_task, wait_block
from automl_app.workspace import current_run
from automl_engine.explain import ADDITIVITY_TOLERANCE, TIME_BUDGET_SECONDS, explain

ss = st.session_state
SAMPLE_SIZES = [100, 200, 500, 1000]


st.title("Explain")
run = current_run()
if run is None:
    st.info("There is no model to explain yet: run a search, and its best model is explained here.",
            icon=":material/insights:")
    go_to_search()
    st.stop()
st.caption(md(run.header(), limit=None))
if run.model is None:
    st.info(md(f"Run {run.run_id} has no model to explain: {run.no_model_reason()}", limit=None),
            icon=":material/insights:")
    go_to_search()
    st.stop()
data = run.table()
if data is None:
    st.info(md(f"The table of run {run.run_id} was not saved, so there are no rows to explain.", limit=None),
            icon=":material/table:")
    st.stop()

model = run.model
X = data.drop(columns=[run.target]) if run.target in data.columns else data
classes = [] if getattr(model, "task_", "regression") == "regression" else list(model.classes_)
choices = ss.setdefault("explain_choices", {})          # {run id: {"rows": n, "class": i}}: kept across pages
choice = choices.setdefault(run.run_id, {"rows": 200, "class": default_class(classes)})
left, right = st.columns(2)
n_rows = left.select_slider("Rows to explain (a random sample)", SAMPLE_SIZES, value=choice["rows"],
                            key=f"explain_rows_{run.run_id}")
class_index = None
if classes:
    class_index = right.selectbox("Class whose output is explained", range(len(classes)), index=choice["class"],
                                  format_func=lambda i: short(classes[i]), key=f"explain_class_{run.run_id}")
choice.update(rows=n_rows, **{"class": class_index})

def compute(progress):
    return explain(model, X, max_rows=n_rows, class_index=class_index, progress=progress)


key, task = explanation_task(run.run_id, n_rows, class_index, classes, compute)
if task.running:
    wait_block(key, f"Computing SHAP values on {min(n_rows, len(X)):,} rows")
    st.stop()
if task.status == "failed":
    st.error(md(task.error, limit=600), icon=":material/error:")
    if st.button("Try again", icon=":material/refresh:", key="explain_retry"):
        explanation_task(run.run_id, n_rows, class_index, classes, compute, retry=True)
        st.rerun()
    st.stop()
e = task.result
done = f"{len(e.values)} of {e.n_requested}" if len(e.values) < e.n_requested else f"{len(e.values)}"
if task.message == "derived":
    relation = ("its log-odds is the other's negated" if e.output_kind == "log-odds" else
                "its probability is one minus the other's")
    how = f"derived from the other class's at once ({relation}, so every value changes sign)"
elif task.message == SAME_PASS:
    how = "computed with another class's in the same pass (the tree explainer gives every class at once)"
else:
    how = f"computed in {task.elapsed():.1f} s"
st.caption(f"SHAP values of {done} rows, {how} (kept for this run: coming back, or back to this class, shows "
           "them again at once).")

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
