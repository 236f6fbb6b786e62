"""Background tasks (automl_app.background): one task per key, found again, failures as sentences."""
import threading

from automl_app.background import DONE, FAILED, TaskBoard


def test_a_key_runs_once_and_is_found_again():
    board, release, calls = TaskBoard(), threading.Event(), []

    def work(progress):
        calls.append(1)
        progress(0.5, "half way")
        release.wait(10)
        return 42

    task = board.start(("me", "run", "shap", 200, 1), work)
    assert board.start(("me", "run", "shap", 200, 1), work) is task        # a second visit: the same task
    assert board.get(("me", "run", "shap", 200, 1)) is task and task.running
    release.set()
    assert task.wait(10) and task.status == DONE and task.result == 42 and calls == [1]
    assert [k for k, _ in board.find(("me", "run"))] == [("me", "run", "shap", 200, 1)]
    assert board.find(("someone else", "run")) == []


def test_a_failure_is_a_sentence_and_is_retried():
    board = TaskBoard()

    def broken(progress):
        raise ValueError("no rows")

    task = board.start(("k",), broken, lambda exc: f"It failed: {exc}.")
    assert task.wait(10) and task.status == FAILED and task.error == "It failed: no rows."
    again = board.start(("k",), lambda progress: 1)
    assert again is not task and again.wait(10) and again.result == 1


def test_the_oldest_finished_tasks_are_forgotten():
    board = TaskBoard(keep=2)
    for i in range(4):
        board.start((i,), lambda progress: None).wait(10)
    assert board.get((0,)) is None and board.get((3,)) is not None
