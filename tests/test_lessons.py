"""The lessons: each runs top to bottom as a plain script on the reference, and again without
matplotlib on a student edition where only the modules up to its own are written (a lesson must
not reach ahead); it converts to a notebook, follows the seven-part outline, points at exactly the
exercises of its module, and names only `tito` commands that exist.

Commands are written in backticks in a lesson (`tito module test 2`); any other mention of a tito
command fails the test, so none escapes the check.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jupytext
import pytest

from tito.cli import build_parser
from tito.edition import generate_edition
from tito.manifest import load_manifest, reference_package
from tito.regions import package_regions
from tito.workspace import lesson_text

MANIFEST = load_manifest()
LESSONS_DIR = MANIFEST.course_dir / "lessons"
LESSONS = sorted(LESSONS_DIR.glob("[0-9][0-9]_*.py"))
REFERENCE = reference_package()
TIMEOUT = 60  # seconds; a lesson is meant to run in a few
SECTIONS = ["Why now", "The idea", "Build it", "Measure it", "In the real world", "Reflect", "What breaks next"]

# Runs a lesson like `python lesson.py`, with matplotlib made unimportable, after checking which
# tinytorch it gets.
STUDENT_RUNNER = """
import pathlib, runpy, sys
lesson, package = sys.argv[1], pathlib.Path(sys.argv[2]).resolve()
sys.modules["matplotlib"] = None
import tinytorch
assert pathlib.Path(tinytorch.__file__).resolve().parent == package, f"imported {tinytorch.__file__}, not {package}"
runpy.run_path(lesson, run_name="__main__")
"""


def module_of(lesson: Path) -> int:
    return int(lesson.name[:2])


def markdown(lesson: Path) -> str:
    """The lesson's markdown cells joined, as a student reads them."""
    notebook = jupytext.reads(lesson.read_text(encoding="utf-8"), fmt="py:percent")
    return "\n\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")


def section(text: str, title: str) -> str:
    """The body of the markdown section `## N. title`, up to the next `## ` heading."""
    match = re.search(rf"^## \d\. {re.escape(title)}\s*$(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"no section '## N. {title}'"
    return match.group(1)


def run_lesson(lesson: Path, package: Path, cwd: Path, student: bool) -> subprocess.CompletedProcess:
    """Run `lesson` in `cwd` with `package` (a tinytorch directory) first on the path."""
    path = os.pathsep.join([str(package.parent), os.environ.get("PYTHONPATH", "")])
    # One BLAS thread: on a busy machine threaded BLAS stalls on small products, and lessons print timings.
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=path, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    if student:
        command = [sys.executable, "-c", STUDENT_RUNNER, str(lesson), str(package)]
    else:
        command = [sys.executable, str(lesson)]
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, encoding="utf-8", errors="replace", timeout=TIMEOUT
    )


def saved_plots(lesson: Path) -> set[str]:
    return set(re.findall(r"savefig\(\"([^\"]+\.png)\"", lesson.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def exercises() -> dict[int, set[tuple[str, str]]]:
    """(file as `tinytorch/...`, qualname) of every region of the reference, by module."""
    found: dict[int, set[tuple[str, str]]] = {}
    for region in package_regions(REFERENCE, MANIFEST.numbers):
        file = "tinytorch/" + region.path.relative_to(REFERENCE).as_posix()
        found.setdefault(region.module, set()).add((file, region.qualname))
    return found


def test_lessons_are_the_manifests():
    assert LESSONS, f"no lessons found in {LESSONS_DIR}"
    for lesson in LESSONS:
        module = MANIFEST.module(module_of(lesson))
        assert MANIFEST.path(module.lesson) == lesson, f"{lesson.name}: module {module.nn}'s lesson is {module.lesson}"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_lesson_runs_on_the_reference(lesson, tmp_path):
    result = run_lesson(lesson, REFERENCE, tmp_path, student=False)
    assert result.returncode == 0, f"{lesson.name} failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    missing = {name for name in saved_plots(lesson) if not (tmp_path / name).is_file()}
    assert not missing, f"{lesson.name} did not save {sorted(missing)} although matplotlib is installed"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_lesson_runs_without_matplotlib_on_modules_up_to_its_own(lesson, tmp_path):
    number = module_of(lesson)
    edition = tmp_path / "edition" / "tinytorch"
    generate_edition(REFERENCE, edition, valid_modules=MANIFEST.numbers, select=lambda region: region.module > number)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    result = run_lesson(lesson, edition, run_dir, student=True)
    assert result.returncode == 0, (
        f"{lesson.name} fails without matplotlib, or with the modules after {number:02d} blank:\n"
        f"{result.stderr[-4000:]}"
    )
    assert not list(run_dir.glob("*.png"))


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_lesson_converts_to_a_notebook(lesson):
    for text in (lesson.read_text(encoding="utf-8"), lesson_text(lesson)):  # as shipped, and as a workspace gets it
        notebook = jupytext.reads(text, fmt="py:percent")
        data = json.loads(jupytext.writes(notebook, fmt="ipynb"))
        kinds = [cell["cell_type"] for cell in data["cells"]]
        assert "markdown" in kinds and "code" in kinds
        assert data["metadata"]["kernelspec"]["language"] == "python"
    first = jupytext.reads(lesson.read_text(encoding="utf-8"), fmt="py:percent").cells[0]
    assert first.cell_type == "markdown" and first.source.startswith(f"# Module {module_of(lesson):02d} ")


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_lesson_has_the_seven_sections_in_order(lesson):
    headings = re.findall(r"^## (\d)\. (.+?)\s*$", markdown(lesson), re.M)
    assert headings == [(str(i), title) for i, title in enumerate(SECTIONS, start=1)]


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_build_it_lists_exactly_the_modules_exercises(lesson, exercises):
    """The Build it table: one row per file, `tinytorch/<file>` then the `qualname`s written there."""
    listed: set[tuple[str, str]] = set()
    for row in section(markdown(lesson), "Build it").splitlines():
        cells = [cell.strip() for cell in row.strip().strip("|").split("|")] if row.lstrip().startswith("|") else []
        if len(cells) < 2 or not cells[0].startswith("`"):
            continue  # not a table row, or the header / separator
        file = cells[0].strip("`")
        listed |= {(file, name) for name in re.findall(r"`([^`]+)`", cells[1])}
    expected = exercises.get(module_of(lesson), set())
    assert listed == expected, (
        f"{lesson.name}: the Build it table lists {sorted(listed - expected)} that are not module "
        f"{module_of(lesson):02d} exercises, and misses {sorted(expected - listed)}"
    )


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_tito_commands_in_the_lesson_exist(lesson, capsys):
    text = lesson.read_text(encoding="utf-8")
    commands = re.findall(r"`(tito(?: [^`]*)?)`", text)
    unchecked = re.sub(r"`tito(?: [^`]*)?`", "", text)
    stray = re.findall(r"(?<![\w./-])tito [a-z][\w-]*(?: [\w.-]+)*", unchecked)
    assert not stray, f"{lesson.name}: write tito commands in backticks so they are checked: {stray}"
    check = f"tito module test {module_of(lesson)}"
    assert check in commands, f"{lesson.name}: Build it must say how to check the work (`{check}`)"
    parser = build_parser()
    for command in commands:
        words = command.split()[1:]
        with pytest.raises(SystemExit) as exit_info:
            parser.parse_args([*words, "--help"])  # exits 0 only if every word up to --help is valid
        assert exit_info.value.code == 0, f"{lesson.name}: `{command}` is not a tito command: {capsys.readouterr().err}"
        if words[:1] == ["module"] and len(words) > 2:
            MANIFEST.module(words[2])  # raises LookupError for a module that does not exist
        if words[:2] == ["milestone", "run"] and len(words) > 2:
            MANIFEST.milestone(words[2])
    capsys.readouterr()
