"""The student's workspace: their `tinytorch`, their lesson notebooks, and tito's own state.

    DIR/tito.toml               marks the workspace; commands find it from any subdirectory
    DIR/tinytorch/              the student edition: the student's code
    DIR/lessons/NN_slug.ipynb   the lessons (or the Jupytext .py files when jupytext is missing)
    DIR/.tito/progress.json     results of `tito module test` and `tito module complete`
    DIR/.tito/blank/tinytorch/  the blank edition, kept to reset a module
    DIR/.tito/backups/          a copy of every student file before tito changes it

Rules: `tito init` only adds what is missing and never overwrites a file; `reset_module` saves a
timestamped backup of each file it touches and rewrites only module N's regions in it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from tito.edition import generate_edition
from tito.manifest import Manifest, Module
from tito.regions import MarkerError, Region, scan_markers

MARKER_FILE = "tito.toml"
PACKAGE = "tinytorch"

# First cell of every lesson notebook: lessons run on the workspace's tinytorch, not an installed one.
WORKSPACE_CELL = """\
# %%
# tito: use the tinytorch of this workspace (the folder holding tito.toml), not an installed copy.
import sys, pathlib
_here = pathlib.Path.cwd().resolve()
_workspace = next((p for p in (_here, *_here.parents) if (p / "tito.toml").is_file()), None)
if _workspace is None:
    raise RuntimeError(f"{_here} is not inside a tito workspace: open this notebook from its lessons/ folder")
sys.path.insert(0, str(_workspace))

"""


class WorkspaceError(RuntimeError):
    """A workspace operation was refused; the message says why and what to do."""


@dataclass(frozen=True)
class Workspace:
    root: Path

    @property
    def package_dir(self) -> Path:
        return self.root / PACKAGE

    @property
    def state_dir(self) -> Path:
        return self.root / ".tito"

    @property
    def blank_dir(self) -> Path:
        return self.state_dir / "blank" / PACKAGE

    @property
    def backups_dir(self) -> Path:
        return self.state_dir / "backups"

    @property
    def progress_file(self) -> Path:
        return self.state_dir / "progress.json"

    @property
    def lessons_dir(self) -> Path:
        return self.root / "lessons"

    def lesson_file(self, module: Module) -> Path | None:
        """The lesson as the student has it (notebook first), or None."""
        stem = Path(module.lesson).stem
        for suffix in (".ipynb", ".py"):
            if (self.lessons_dir / f"{stem}{suffix}").is_file():
                return self.lessons_dir / f"{stem}{suffix}"
        return None


def find_workspace(start: Path | None = None) -> Workspace | None:
    """The workspace containing `start` (default: the current directory), or None."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / MARKER_FILE).is_file():
            return Workspace(folder)
    return None


def atomic_write(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file and os.replace: never a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass
class InitReport:
    created: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)  # existing student files left untouched


def _copy_missing(source_dir: Path, target_dir: Path, report: InitReport, *, student: bool) -> None:
    for source in sorted(p for p in source_dir.rglob("*") if p.is_file()):
        target = target_dir / source.relative_to(source_dir)
        if target.exists():
            if student:
                report.kept.append(target)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
        report.created.append(target)


def lesson_text(source: Path) -> str:
    """A lesson's Jupytext text with the workspace cell first (after the Jupytext header, if any)."""
    text = source.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    if lines and lines[0].strip() == "# ---":  # YAML header: '# ---' ... '# ---'
        close = next((i for i in range(1, len(lines)) if lines[i].strip() == "# ---"), None)
        if close is not None:
            head = "".join(lines[: close + 1])
            return head + "\n" + WORKSPACE_CELL + "".join(lines[close + 1 :]).lstrip("\n")
    return WORKSPACE_CELL + text


def _write_lessons(workspace: Workspace, manifest: Manifest, report: InitReport) -> None:
    have_jupytext = importlib.util.find_spec("jupytext") is not None
    for module in manifest.modules:
        source = manifest.path(module.lesson)
        if not source.is_file():
            continue  # the lesson is not written yet
        target = workspace.lessons_dir / (f"{source.stem}.ipynb" if have_jupytext else source.name)
        if target.exists():
            report.kept.append(target)
            continue
        text = lesson_text(source)
        if have_jupytext:
            import jupytext

            workspace.lessons_dir.mkdir(parents=True, exist_ok=True)
            jupytext.write(jupytext.reads(text, fmt="py:percent"), target, fmt="ipynb")
        else:
            atomic_write(target, text)
        report.created.append(target)


def init_workspace(root: Path, manifest: Manifest, reference_dir: Path) -> tuple[Workspace, InitReport]:
    """Create the workspace at `root`, or add what is missing to an existing one. Never overwrites."""
    root = root.resolve()
    if root.exists() and not root.is_dir():
        raise WorkspaceError(f"{root} is a file, not a directory")
    outer = find_workspace(root.parent) if root.parent != root else None
    if outer is not None and not (root / MARKER_FILE).exists():
        raise WorkspaceError(f"{root} is inside the workspace {outer.root}: choose a directory outside it")
    workspace = Workspace(root)
    report = InitReport()
    with tempfile.TemporaryDirectory(prefix="tito-edition-") as tmp:
        edition = Path(tmp) / PACKAGE
        generate_edition(reference_dir, edition, valid_modules=manifest.numbers)
        _copy_missing(edition, workspace.package_dir, report, student=True)
        _copy_missing(edition, workspace.blank_dir, report, student=False)
    _write_lessons(workspace, manifest, report)
    created = datetime.now().isoformat(timespec="seconds")
    for path, text in (
        (root / MARKER_FILE, f'# A TinyTorch workspace, created by `tito init`.\n[workspace]\ncreated = "{created}"\n'),
        (workspace.progress_file, '{"format": 1, "modules": {}}\n'),
    ):
        if path.exists():
            report.kept.append(path)
        else:
            atomic_write(path, text)
            report.created.append(path)
    return workspace, report


def _module_regions(path: Path, text: str, module: int) -> list[Region]:
    return [r for r in scan_markers(text, path) if r.module == module]


def module_fingerprint(workspace: Workspace, module: Module) -> str:
    """A hash of the student's code for `module`: the text of its regions in the student's files.

    Only module N's regions count, so working on module 06 in tensor.py does not undo module 02's
    completion; a file whose markers are broken is hashed whole (and so no longer matches).
    """
    digest = hashlib.sha256()
    for file in module.files:
        path = workspace.package_dir / file
        digest.update(f"\0{file}\0".encode())
        if not path.is_file():
            digest.update(b"<missing>")
            continue
        text = path.read_text(encoding="utf-8")
        try:
            regions = _module_regions(path, text, module.number)
        except MarkerError:
            digest.update(b"<markers broken>" + text.encode())
            continue
        for region in regions:
            digest.update("".join(region.lines(text)).encode())
    return digest.hexdigest()


@dataclass
class ResetReport:
    backup_dir: Path | None
    reset: list[Path]  # student files whose module-N regions were restored
    restored: list[Path]  # student files that were missing and were copied whole


def _backup_dir(workspace: Workspace, module: Module) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    candidate = workspace.backups_dir / f"{stamp}-module-{module.nn}"
    n = 2
    while candidate.exists():
        candidate = workspace.backups_dir / f"{stamp}-module-{module.nn}-{n}"
        n += 1
    return candidate


def reset_module(workspace: Workspace, module: Module) -> ResetReport:
    """Restore module N's regions in the student's files from the blank edition.

    Every file that will change is first copied to `.tito/backups/<time>-module-NN/`. Code outside
    module N's regions is kept as the student left it. If a file's markers no longer match the blank
    edition (a region deleted, a marker edited), nothing at all is changed and the error says where.
    """
    plans: list[tuple[Path, str]] = []  # (student file, new text)
    restored: list[tuple[Path, Path]] = []  # (blank file, student file)
    for blank_path in sorted(workspace.blank_dir.rglob("*.py")):
        blank = blank_path.read_text(encoding="utf-8")
        blank_regions = _module_regions(blank_path, blank, module.number)
        if not blank_regions:
            continue
        student_path = workspace.package_dir / blank_path.relative_to(workspace.blank_dir)
        if not student_path.exists():
            restored.append((blank_path, student_path))
            continue
        text = student_path.read_text(encoding="utf-8")
        try:
            regions = _module_regions(student_path, text, module.number)
        except MarkerError as error:
            raise WorkspaceError(
                f"cannot find module {module.nn}'s regions: {error}. Nothing was changed; the blank file is {blank_path}"
            ) from error
        if len(regions) != len(blank_regions):
            raise WorkspaceError(
                f"{student_path} has {len(regions)} regions of module {module.nn}, the blank edition has {len(blank_regions)} "
                f"(a marker was deleted?). Nothing was changed; the blank file is {blank_path}"
            )
        lines = text.splitlines(keepends=True)
        for mine, fresh in sorted(
            zip(regions, blank_regions, strict=True), key=lambda pair: pair[0].begin, reverse=True
        ):
            lines[mine.begin - 1 : mine.end] = fresh.lines(blank)
        new_text = "".join(lines)
        if new_text != text:
            plans.append((student_path, new_text))
    backup = _backup_dir(workspace, module) if plans else None
    for student_path, _ in plans:
        target = backup / student_path.relative_to(workspace.root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(student_path, target)
    for student_path, new_text in plans:
        atomic_write(student_path, new_text)
    for blank_path, student_path in restored:
        student_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(blank_path, student_path)
    return ResetReport(backup, [p for p, _ in plans], [s for _, s in restored])
