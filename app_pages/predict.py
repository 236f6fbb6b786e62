"""Predict: new data through the run's model, downloads of the predictions, the model file and its card."""
import json

import pandas as pd
import streamlit as st

from automl_app import uploads
from automl_app.navigation import go_to_search
from automl_app.text import md
from automl_app.work import diagnostics_key, task_board
from automl_app.workspace import current_run
from automl_engine.data.intake import load_table
from automl_engine.errors import DataError
from automl_engine.model.predict import check_schema, echo_input, predict_frame, to_csv_bytes
from automl_engine.model.skops_io import make_card, model_bytes, model_card_markdown

ss = st.session_state
SNIPPET = '''from automl_engine import load_model, load_table

model = load_model("model.skops")          # refuses files with types it does not trust
new = load_table("new.csv")
predictions = model.predict(new)
'''
PROBA_LINE = "probabilities = model.predict_proba(new)   # columns in model.classes_ order\n"


def holdout_score(run) -> float | None:
    """The search metric of the model in use on the holdout, when the diagnostics of this run computed it."""
    task = task_board().get(diagnostics_key(run.run_id))
    if task is None or task.status != "done":
        return None
    return task.result.get("model_metric_score")


def model_files(model, holdout) -> dict:
    """Card and skops bytes of ``model``, computed once per model and holdout score."""
    cached = ss.get("model_files")
    if not cached or cached.get("id") != (id(model), holdout):
        card = make_card(model, holdout_score=holdout)
        cached = {"id": (id(model), holdout), "card": card, "skops": model_bytes(model, holdout_score=holdout),
                  "card_json": json.dumps(card, indent=2).encode("utf-8"),
                  "card_md": model_card_markdown(card).encode("utf-8")}
        ss["model_files"] = cached
    return cached


st.title("Predict")
run = current_run()
if run is None or run.model is None:
    st.info("There is no model yet: run a search, and its best model predicts new data here." if run is None else
            md(f"Run {run.run_id} has no model to predict with: {run.no_model_reason()}", limit=None),
            icon=":material/batch_prediction:")
    if run is not None:
        st.caption(md(run.header(), limit=None))
    go_to_search()
    st.stop()
st.caption(md(run.header(), limit=None))
model = run.model

try:
    files = model_files(model, holdout_score(run))
except Exception as exc:  # noqa: BLE001 - a sentence, never a traceback
    st.error(md(f"The model could not be packaged for download ({type(exc).__name__}: {exc}).", limit=600),
             icon=":material/error:")
    st.stop()
card = files["card"]

st.subheader("Predict new data")
st.caption(md(f"The table needs the {len(card['input_schema'])} columns the model was trained on; other columns "
              f"are ignored. The predictions come first, then the columns of your table.", limit=None))
upload = st.file_uploader("Table to predict (CSV or TSV, also compressed; Excel or Parquet)",
                          type=list(uploads.UPLOAD_TYPES), key="predict_upload")


def predict_upload(upload) -> dict:
    """The predictions of an uploaded table (with the schema sentences), or the sentence saying why there are none."""
    result = {"run_id": run.run_id, "file_id": upload.file_id, "name": upload.name, "warnings": []}
    try:
        frame = load_table(upload)
        predicted = predict_frame(model, frame)
    except DataError as exc:       # one message: the reason predictions were refused
        result["error"] = str(exc)
    except Exception as exc:  # noqa: BLE001 - a sentence, never a traceback
        result["error"] = f"The predictions could not be made ({type(exc).__name__}: {exc})."
    else:
        result["warnings"] = check_schema(card, frame)
        result["predictions"] = pd.concat([predicted, echo_input(frame)], axis=1)
    return result


# the last upload's predictions are kept (for this run) and the upload itself released from the server's
# memory once read, so a rerun (a download click) shows them again without re-reading the file
kept = ss.get("predict_result")
if upload is not None and (kept is None or kept["file_id"] != upload.file_id or kept["run_id"] != run.run_id):
    with st.spinner("Predicting…"):
        kept = ss["predict_result"] = predict_upload(upload)
    uploads.release(upload)
if kept is not None and kept["run_id"] == run.run_id:
    if kept.get("error"):
        st.error(md(f"{kept['name']}: {kept['error']}", limit=600), icon=":material/error:")
    else:
        for sentence in kept["warnings"]:
            st.warning(md(sentence, limit=600), icon=":material/warning:")
        predictions = kept["predictions"]
        st.caption(md(f"Predictions for {kept['name']} ({len(predictions):,} rows).", limit=None))
        st.dataframe(predictions, hide_index=True, key="predictions")
        st.download_button("Download predictions (CSV)", to_csv_bytes(predictions), file_name="predictions.csv",
                           mime="text/csv", key="download_predictions", icon=":material/download:")
        st.caption("Text cells that a spreadsheet would run as a formula (starting with =, +, -, @) are prefixed "
                   "with a quote in the download; a lone + or - (a class label) is kept as it is.")

st.subheader("The model")
left, middle, right = st.columns(3)
left.download_button("Model file (.skops)", files["skops"], file_name="model.skops",
                     mime="application/octet-stream", key="download_model", icon=":material/download:")
middle.download_button("Model card (JSON)", files["card_json"], file_name="model_card.json",
                       mime="application/json", key="download_card_json", icon=":material/description:")
right.download_button("Model card (Markdown)", files["card_md"], file_name="model_card.md",
                      mime="text/markdown", key="download_card_md", icon=":material/description:")
if card.get("holdout_score") is not None:
    holdout_note = "Its card's holdout score comes from the Leaderboard's holdout diagnostics."
else:
    holdout_note = "Compute the holdout diagnostics on the Leaderboard page to add a holdout score to the card."
st.caption("The .skops file holds no pickled code: loading it builds only the types this app has reviewed. "
           + holdout_note)
st.code(SNIPPET + (PROBA_LINE if card.get("task") != "regression" else ""), language="python")
with st.expander("Model card"):
    st.json(card, expanded=1)
