"""Data: upload a table or load a sample, look at it, pick the target, see what intake will do."""
import pandas as pd
import streamlit as st

from automl_app import uploads
from automl_app.navigation import SEARCH, link
from automl_app.state import profile, remember_choices, set_data
from automl_app.text import md, short
from automl_engine.data.intake import load_table
from automl_engine.data.samples import sample_datasets
from automl_engine.errors import DataError

ss = st.session_state
TASKS = ["auto", "binary", "multiclass", "regression"]
STATUS_ICONS = {"passed": ":material/check_circle:", "fixed": ":material/build:", "alert": ":material/warning:"}

st.title("Data")

upload_col, sample_col = st.columns([3, 2])
with upload_col:
    upload = st.file_uploader("Upload a table: CSV or TSV (also .gz, .bz2, .xz), Parquet or Excel (.xlsx), "
                              "up to 200 MB", type=list(uploads.UPLOAD_TYPES), key="upload")
with sample_col:
    st.write("Or try a sample dataset:")
    for name, (path, target) in sample_datasets().items():
        if st.button(f"Load the {name} sample", key=f"sample_{name}", icon=":material/dataset:"):
            set_data(load_table(path), f"{name} (sample)", target)
            ss["upload_error"] = None

if upload is None:
    ss["upload_id"] = None
elif upload.file_id != ss.get("upload_id"):
    ss["upload_id"] = upload.file_id
    try:
        with st.spinner("Reading the table…"):
            frame = load_table(upload)
        set_data(frame, upload.name)
        ss["upload_error"] = None
    except DataError as exc:
        ss["upload_error"] = f"{short(upload.name, 80)}: {exc}"
    except Exception as exc:  # noqa: BLE001 - any unreadable file is a message, never a crash
        ss["upload_error"] = (f"{short(upload.name, 80)} could not be read ({type(exc).__name__}); "
                              "check that it is a CSV, TSV, Parquet or .xlsx table with a header row.")
    uploads.release(upload)  # read or refused: its bytes leave the server's memory
if ss.get("upload_error"):
    kept = " The table loaded before is still in use." if ss["data"] is not None else ""
    st.error(md(ss["upload_error"] + kept, limit=600), icon=":material/error:")

data: pd.DataFrame | None = ss["data"]
if data is None:
    st.info("Load a table to start: upload your own or pick a sample.", icon=":material/upload_file:")
    st.stop()

token = ss["data_token"]
columns = [str(c) for c in data.columns]
st.subheader("Table")
st.caption(md(f"{ss['data_name']} · {len(data):,} rows × {len(columns)} columns"
              + (f" (a uniform sample of {data.attrs['sampled_from']:,} rows)"
                 if "sampled_from" in data.attrs else "")))
st.dataframe(data.head(200), height=260)

st.subheader("What to predict")
target_col, task_col = st.columns(2)
with target_col:
    current = ss["target"] if ss["target"] in columns else None
    ss["target"] = st.selectbox("Target column", columns, index=columns.index(current) if current else None,
                                format_func=short, placeholder="Pick the column to predict", key=f"target_{token}")
target = ss["target"]
with task_col:
    ss["task"] = st.selectbox("Task", TASKS, index=TASKS.index(ss["task"]) if ss["task"] in TASKS else 0,
                              key=f"task_{token}", disabled=target is None,
                              help="auto: detected from the target's values; override it if the guess is wrong.")
features = [c for c in columns if c != target]
ss["exclude"] = st.multiselect("Columns to leave out", features, default=[c for c in ss["exclude"] if c in features],
                               format_func=short, key=f"exclude_{token}_{columns.index(target) if target else -1}",
                               help="For example identifiers, or columns only known after the outcome.")
# Kept before the profile (seconds on a large table): a click to another page mid-profile ends this run.
remember_choices()
detected = profile(data, target, "auto", ()) if target else None
if detected and detected["task"]:
    task_col.caption(f"Detected from the target: {detected['task']}")

result = profile(data, target, ss["task"], tuple(ss["exclude"]))
if result["error"]:
    st.error(md(result["error"], limit=600), icon=":material/error:")

st.subheader("Columns")
n_rows = max(1, result["n_rows"])
rows = []
for name, info in result["columns"].items():
    if name == target:
        plan = "the target"
    elif name in ss["exclude"]:
        plan = "left out (your choice)"
    else:
        plan = info.reason + (" (left out)" if name in result["dropped"] else "")
    rows.append({"column": name, "type": info.kind, "missing %": round(100 * info.n_missing / n_rows, 1),
                 "distinct": info.n_distinct, "what will be done": plan})
st.dataframe(pd.DataFrame(rows), hide_index=True,
             column_config={"missing %": st.column_config.NumberColumn(format="%.1f %%")})

if target is None:
    st.info("Pick the target column to see the task and the data checks.", icon=":material/ads_click:")
    st.stop()

st.subheader("Data checks")
if result["task"]:
    st.write(f"Task: **{result['task']}**" + (" (chosen)" if ss["task"] != "auto" else " (detected)"))
report = result["report"]
for alert in result["alerts"]:
    st.warning(md(alert, limit=None), icon=":material/report:")
if report is not None and len(report):
    counts = report["status"].value_counts()
    metric_cols = st.columns(3)
    for col, status in zip(metric_cols, ("passed", "fixed", "alert")):
        col.metric(f"{STATUS_ICONS[status]} {status}", int(counts.get(status, 0)))
    order = {"alert": 0, "fixed": 1, "passed": 2}
    shown = report.sort_values("status", key=lambda s: s.map(order), kind="stable")
    with st.container(border=True, key="data_checks"):     # every sentence in full, never cut to a cell
        for check in shown.itertuples():
            st.markdown(f"{STATUS_ICONS.get(check.status, '')} **{md(check.name, limit=80)}** · "
                        f"{md(check.message, limit=None)} — *{md(check.action, limit=None)}*")
    link(SEARCH, "Next: search for a model", icon=":material/arrow_forward:")
