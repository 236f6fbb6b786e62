"""An uploaded file leaves the server's memory once read (issue 23, item 6): Streamlit's uploaded-file manager
no longer holds it and its buffer is closed; the Data page still has the table read from it."""
from types import SimpleNamespace

from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
from streamlit.runtime.uploaded_file_manager import UploadedFile, UploadedFileRec

from automl_app import uploads


def test_release_drops_the_record_and_closes_the_buffer(monkeypatch):
    manager = MemoryUploadedFileManager("/_stcore/upload_file")
    record = UploadedFileRec("f1", "people.csv", "text/csv", b"name,y\nAnn,1\n" * 100_000)
    manager.add_file("session-1", record)
    other = UploadedFileRec("f2", "theirs.csv", "text/csv", b"a\n1\n")
    manager.add_file("session-2", other)
    upload = UploadedFile(record, None)
    ctx = SimpleNamespace(uploaded_file_mgr=manager, session_id="session-1")
    monkeypatch.setattr("streamlit.runtime.scriptrunner.get_script_run_ctx", lambda *a, **k: ctx)
    assert manager.get_files("session-1", ["f1"])
    uploads.release(upload)
    assert manager.get_files("session-1", ["f1"]) == []
    assert upload.closed
    assert manager.get_files("session-2", ["f2"]) == [other]   # another session's file is left alone


def test_release_without_a_script_context_still_closes_the_file(monkeypatch):
    upload = UploadedFile(UploadedFileRec("f1", "t.csv", "text/csv", b"a\n1\n"), None)
    monkeypatch.setattr("streamlit.runtime.scriptrunner.get_script_run_ctx", lambda *a, **k: None)
    uploads.release(upload)
    assert upload.closed


def test_the_data_page_keeps_the_table_after_its_upload_is_released():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent / "app"))
    from apphelpers import new_app

    at = new_app()
    table = b"name,age,y\n" + b"Ann,31,1\nBob,42,0\nCy,25,1\n" * 20
    at.file_uploader(key="upload").set_value(("people.csv", table, "text/csv")).run()
    assert not at.exception and at.session_state["data"].shape == (60, 3)
    at.run()   # the next run: the released file is gone from the uploader, the table stays
    assert not at.exception and at.session_state["data"].shape == (60, 3) and not at.error
