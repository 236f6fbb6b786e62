"""The user data folder and its files are readable by their owner only (issue 23, item 6): folders 0700, files 0600."""
import os
import stat
from contextlib import closing
from pathlib import Path

import numpy as np
import pandas as pd

from automl_engine.knowledge.store import KnowledgeStore
from automl_engine.service.jobs import JobManager, save_frame
from automl_engine.store.paths import save_npz_atomically, user_data_dir
from automl_engine.store.runs import RunStore
from automl_engine.store.sqlite import connect


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def modes_open_to_others(root: Path) -> dict[str, str]:
    """Every folder and file under ``root`` (itself included) that its group or others may read."""
    found = {}
    for path in [root, *root.rglob("*")]:
        if mode(path) & 0o077:
            found[str(path.relative_to(root.parent))] = oct(mode(path))
    return found


def test_a_new_run_store_is_owner_only_with_its_journal_files(isolated_data_dir):
    store = RunStore()
    with closing(connect(store.path)) as held:   # the journal files exist while a connection is open
        held.execute("SELECT COUNT(*) FROM runs").fetchone()
        store.create(name="t.csv", target="y", settings={})
        files = {p.name: mode(p) for p in isolated_data_dir.iterdir()}
    assert mode(isolated_data_dir) == 0o700
    # WAL mode: SQLite gives its journal files the database file's mode
    assert files == {"runs.sqlite": 0o600, "runs.sqlite-wal": 0o600, "runs.sqlite-shm": 0o600}


def test_a_data_folder_from_before_is_made_owner_only_when_opened(isolated_data_dir):
    isolated_data_dir.mkdir(mode=0o755)
    os.chmod(isolated_data_dir, 0o755)
    RunStore().create(name="t.csv", target="y", settings={})
    os.chmod(isolated_data_dir / "runs.sqlite", 0o644)
    RunStore()
    assert mode(isolated_data_dir) == 0o700 and mode(isolated_data_dir / "runs.sqlite") == 0o600


def test_saved_tables_knowledge_and_npz_files_are_owner_only(isolated_data_dir, tmp_path):
    path = save_frame(pd.DataFrame({"name": ["Ann", "Bob"], "y": [1, 0]}), user_data_dir() / "run-data" / "r.parquet")
    assert mode(path) == 0o600 and mode(path.parent) == 0o700
    KnowledgeStore(user_data_dir() / "knowledge.sqlite")
    assert mode(user_data_dir() / "knowledge.sqlite") == 0o600
    save_npz_atomically(user_data_dir() / "local.npz", a=np.arange(3))
    assert mode(user_data_dir() / "local.npz") == 0o600
    shipped = tmp_path / "shipped" / "knowledge.npz"   # outside the data folder: a file to ship, 0644 as before
    shipped.parent.mkdir()
    save_npz_atomically(shipped, a=np.arange(3))
    assert mode(shipped) == 0o644


def test_after_a_search_in_the_app_service_nothing_in_the_data_folder_is_open_to_others(isolated_data_dir):
    manager = JobManager(max_workers=1)
    frame = pd.DataFrame({"age": np.arange(80) % 37, "name": [f"person {i}" for i in range(80)],
                          "y": np.arange(80) % 2})
    settings = {"max_evals": 2, "strategy": "random", "n_folds": 3, "learn": True}
    job = manager.submit(frame, "y", settings, owner="a" * 32)
    assert job.wait(300) and job.status == "finished", job.error
    written = sorted(str(p.relative_to(isolated_data_dir)) for p in isolated_data_dir.rglob("*") if p.is_file())
    assert "runs.sqlite" in written and any(p.endswith(".parquet") for p in written)
    assert any(p.endswith(".skops") for p in written)
    assert modes_open_to_others(isolated_data_dir) == {}


def test_a_drafts_table_and_choices_are_owner_only(isolated_data_dir):
    from automl_app import drafts

    owner = "b" * 32
    drafts.save_table(owner, pd.DataFrame({"name": ["Ann", "Bob"], "y": [1, 0]}), "people.csv", "y")
    drafts.save_choices(owner, target="name")
    assert drafts.load(owner).target == "name"
    assert modes_open_to_others(user_data_dir()) == {}
