"""Workspaces: init only adds, reset backs up and touches only module N's regions."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from course_fakes import make_course, make_reference
from tito.workspace import (
    WorkspaceError,
    atomic_write,
    find_workspace,
    init_workspace,
    module_fingerprint,
    reset_module,
)


@pytest.fixture
def course(tmp_path):
    manifest = make_course(tmp_path / "course")
    reference = make_reference(tmp_path / "ref")
    return manifest, reference


@pytest.fixture
def workspace(tmp_path, course):
    manifest, reference = course
    workspace, _ = init_workspace(tmp_path / "ws", manifest, reference)
    return workspace


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_init_creates_the_workspace(tmp_path, workspace):
    assert (workspace.root / "tito.toml").is_file()
    assert 'raise NotImplementedError("Module 01: add' in (workspace.package_dir / "ops.py").read_text(encoding="utf-8")
    assert (workspace.blank_dir / "ops.py").read_text(encoding="utf-8") == (workspace.package_dir / "ops.py").read_text(
        encoding="utf-8"
    )
    assert json.loads(workspace.progress_file.read_text(encoding="utf-8")) == {"format": 1, "modules": {}}
    notebook = workspace.lessons_dir / "01_one.ipynb"
    assert notebook.is_file()  # jupytext is a test dependency
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    assert "tito.toml" in "".join(cells[0]["source"])  # the workspace cell comes first
    assert find_workspace(workspace.package_dir / "data") == workspace


def test_init_twice_never_overwrites(tmp_path, course, workspace):
    manifest, reference = course
    ops = workspace.package_dir / "ops.py"
    _edit(ops, 'raise NotImplementedError("Module 01: add — see lesson 01")', "return a + b  # mine")
    (workspace.lessons_dir / "01_one.ipynb").write_text("my notes", encoding="utf-8")
    (workspace.package_dir / "layers.py").unlink()
    _, report = init_workspace(workspace.root, manifest, reference)
    assert "return a + b  # mine" in ops.read_text(encoding="utf-8")
    assert (workspace.lessons_dir / "01_one.ipynb").read_text(encoding="utf-8") == "my notes"
    assert workspace.package_dir / "layers.py" in report.created  # only the missing file came back
    assert ops in report.kept and workspace.package_dir / "layers.py" not in report.kept


def test_init_without_jupytext_copies_the_lesson(tmp_path, course, monkeypatch):
    manifest, reference = course
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "jupytext" else real(name, *a))
    workspace, _ = init_workspace(tmp_path / "ws", manifest, reference)
    lesson = workspace.lessons_dir / "01_one.py"
    assert lesson.is_file() and workspace.lesson_file(manifest.module(1)) == lesson
    assert lesson.read_text(encoding="utf-8").startswith("# ---\n# jupyter:")  # Jupytext header kept first
    monkeypatch.undo()  # jupytext is back: `tito init` again adds the notebook beside the .py copy
    init_workspace(workspace.root, manifest, reference)
    assert workspace.lesson_file(manifest.module(1)) == workspace.lessons_dir / "01_one.ipynb" and lesson.is_file()


def test_lesson_imports_the_workspace_package(workspace):
    """PITFALL 1 for lessons: run from lessons/, the lesson's first cell picks the workspace's tinytorch."""
    notebook = json.loads((workspace.lessons_dir / "01_one.ipynb").read_text(encoding="utf-8"))
    code = "\n".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code")
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=workspace.lessons_dir, capture_output=True, text=True, check=True
    )
    assert f"lesson uses {workspace.package_dir / '__init__.py'}" in run.stdout


def test_init_refuses_a_directory_inside_a_workspace(workspace, course):
    manifest, reference = course
    with pytest.raises(WorkspaceError, match="inside the workspace"):
        init_workspace(workspace.root / "lessons" / "nested", manifest, reference)


def test_reset_restores_only_module_regions_after_a_backup(workspace, course):
    manifest, _ = course
    ops, layers = workspace.package_dir / "ops.py", workspace.package_dir / "layers.py"
    _edit(ops, 'raise NotImplementedError("Module 01: add — see lesson 01")', "return a + b  # module 01 work")
    _edit(ops, 'raise NotImplementedError("Module 02: scale — see lesson 02")', "return a * k  # module 02 work")
    _edit(ops, '"""Arithmetic."""', '"""Arithmetic, with my notes."""')
    _edit(
        layers,
        'raise NotImplementedError("Module 03: Box.triple — see lesson 03")',
        "return self.v * 3  # module 03 work",
    )
    before_ops, before_layers = ops.read_text(encoding="utf-8"), layers.read_text(encoding="utf-8")

    report = reset_module(workspace, manifest.module(2))

    assert report.reset == [ops]  # layers.py's module 02 region was still blank: not touched
    text = ops.read_text(encoding="utf-8")
    assert 'raise NotImplementedError("Module 02: scale — see lesson 02")' in text and "module 02 work" not in text
    assert "module 01 work" in text and "with my notes" in text  # other regions and code kept
    assert layers.read_text(encoding="utf-8") == before_layers
    assert report.backup_dir.parent == workspace.backups_dir and "module-02" in report.backup_dir.name
    assert (report.backup_dir / "tinytorch" / "ops.py").read_text(encoding="utf-8") == before_ops


def test_reset_twice_keeps_both_backups(workspace, course):
    manifest, _ = course
    ops = workspace.package_dir / "ops.py"
    backups = []
    for attempt in ("first", "second"):
        _edit(ops, 'raise NotImplementedError("Module 01: add — see lesson 01")', f"return 0  # {attempt}")
        backups.append(reset_module(workspace, manifest.module(1)).backup_dir)
    assert backups[0] != backups[1]
    assert "# first" in (backups[0] / "tinytorch" / "ops.py").read_text(encoding="utf-8")
    assert "# second" in (backups[1] / "tinytorch" / "ops.py").read_text(encoding="utf-8")


def test_reset_of_an_untouched_module_changes_nothing(workspace, course):
    manifest, _ = course
    report = reset_module(workspace, manifest.module(3))
    assert report.reset == [] and report.backup_dir is None and not workspace.backups_dir.exists()


def test_reset_refuses_when_markers_are_broken(workspace, course):
    manifest, _ = course
    ops = workspace.package_dir / "ops.py"
    _edit(ops, 'raise NotImplementedError("Module 02: scale — see lesson 02")\n    # END SOLUTION', "return a * k")
    before = ops.read_text(encoding="utf-8")
    with pytest.raises(WorkspaceError, match="Nothing was changed"):
        reset_module(workspace, manifest.module(2))
    assert ops.read_text(encoding="utf-8") == before


def test_reset_restores_a_deleted_file(workspace, course):
    manifest, _ = course
    (workspace.package_dir / "layers.py").unlink()
    report = reset_module(workspace, manifest.module(3))
    assert report.restored == [workspace.package_dir / "layers.py"]
    assert (workspace.package_dir / "layers.py").read_text(encoding="utf-8") == (
        workspace.blank_dir / "layers.py"
    ).read_text(encoding="utf-8")


def test_fingerprint_follows_only_the_module_regions(workspace, course):
    manifest, _ = course
    one, two = manifest.module(1), manifest.module(2)
    first = module_fingerprint(workspace, one), module_fingerprint(workspace, two)
    ops = workspace.package_dir / "ops.py"
    _edit(ops, 'raise NotImplementedError("Module 02: scale — see lesson 02")', "return a * k")
    assert module_fingerprint(workspace, one) == first[0]
    assert module_fingerprint(workspace, two) != first[1]
    _edit(ops, "# END SOLUTION\n\n\ndef scale", "\n\ndef scale")  # module 01's markers broken
    assert module_fingerprint(workspace, one) != first[0]


def test_atomic_write_leaves_no_temporary_files(workspace):
    atomic_write(workspace.progress_file, "{}\n")
    assert sorted(os.listdir(workspace.state_dir)) == ["blank", "progress.json"]
