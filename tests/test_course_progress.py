"""Progress is recomputed from results on disk and the student's files as they are now."""

from __future__ import annotations

import pytest

from course_fakes import make_course, make_reference, solve
from tito.grading import run_check
from tito.progress import ProgressError, Status, all_states, load_progress, missing_for, record_run
from tito.workspace import init_workspace


@pytest.fixture
def setup(tmp_path):
    manifest = make_course(tmp_path / "course")
    reference = make_reference(tmp_path / "ref")
    workspace, _ = init_workspace(tmp_path / "ws", manifest, reference)
    return manifest, reference, workspace


def _complete(manifest, workspace, number: int):
    module = manifest.module(number)
    result = run_check(manifest.path(module.check), workspace.root)
    record_run(workspace, module, "complete", result.passed, result.counts, result.summary())
    return result


def test_fresh_workspace_status(setup):
    manifest, _, workspace = setup
    states = all_states(workspace, manifest)
    assert [states[n].status for n in (1, 2, 3)] == [Status.NOT_STARTED, Status.NOT_STARTED, Status.NOT_AVAILABLE]
    assert missing_for(manifest.milestone(1), states) == [1, 2]


def test_completion_holds_until_the_student_edits_that_module(tmp_path, setup):
    manifest, reference, workspace = setup
    solve(reference, workspace.package_dir, {1})
    assert _complete(manifest, workspace, 1).passed
    assert all_states(workspace, manifest)[1].status is Status.COMPLETED

    ops = workspace.package_dir / "ops.py"
    ops.write_text(
        ops.read_text(encoding="utf-8").replace("return total_of_both", "return total_of_both  # tidy"),
        encoding="utf-8",
    )
    state = all_states(workspace, manifest)[1]
    assert state.status is Status.CHANGED and "`tito module complete 1` again" in state.detail


def test_work_on_another_module_in_the_same_file_keeps_completion(tmp_path, setup):
    manifest, reference, workspace = setup
    solve(reference, workspace.package_dir, {1})
    assert _complete(manifest, workspace, 1).passed
    solve(reference, workspace.package_dir, {1, 2})  # ops.py now also holds module 02's code
    assert all_states(workspace, manifest)[1].status is Status.COMPLETED


def test_milestone_unlocks_only_when_all_required_modules_are_completed(tmp_path, setup):
    manifest, reference, workspace = setup
    solve(reference, workspace.package_dir, {1, 2})
    assert _complete(manifest, workspace, 1).passed
    assert missing_for(manifest.milestone(1), all_states(workspace, manifest)) == [2]
    assert _complete(manifest, workspace, 2).passed
    assert missing_for(manifest.milestone(1), all_states(workspace, manifest)) == []


def test_a_failed_complete_replaces_an_earlier_pass(tmp_path, setup):
    manifest, reference, workspace = setup
    solve(reference, workspace.package_dir, {1})
    assert _complete(manifest, workspace, 1).passed
    solve(reference, workspace.package_dir, set())  # blank again
    result = _complete(manifest, workspace, 1)
    assert not result.passed
    state = all_states(workspace, manifest)[1]
    assert state.status is Status.FAILING and "Module 01: add" in state.detail


def test_a_passing_record_without_a_check_file_is_not_completion(setup):
    manifest, _, workspace = setup
    record_run(workspace, manifest.module(3), "complete", True, {"passed": 1}, "")
    assert all_states(workspace, manifest)[3].status is Status.NOT_AVAILABLE


def test_test_runs_are_recorded_but_do_not_complete(tmp_path, setup):
    manifest, reference, workspace = setup
    solve(reference, workspace.package_dir, {1})
    record_run(workspace, manifest.module(1), "test", True, {"passed": 2}, "")
    assert all_states(workspace, manifest)[1].status is Status.TESTED
    assert set(load_progress(workspace)["01"]) == {"test"}


def test_damaged_progress_file_is_a_clear_error(setup):
    manifest, _, workspace = setup
    workspace.progress_file.write_text("{not json", encoding="utf-8")
    with pytest.raises(ProgressError, match="progress.json is damaged"):
        all_states(workspace, manifest)
