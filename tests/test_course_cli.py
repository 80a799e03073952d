"""The `tito` command line: every command runs, the whole student flow works, any console works."""

from __future__ import annotations

import argparse
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import tito.cli
from course_fakes import make_course, make_reference, solve
from tito.cli import build_parser, main
from tito.edition import generate_edition

REPO = Path(__file__).resolve().parent.parent
TITO_SRC = REPO / "src" / "tito"


def _leaf_commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subparsers:
        return [prefix]
    return [leaf for name, sub in subparsers[0].choices.items() for leaf in _leaf_commands(sub, (*prefix, name))]


def _command_words(words: list[str]) -> tuple[str, ...]:
    """The subcommand path named by `words` (stops at the first argument); KeyError if it does not exist."""
    parser, path = build_parser(), []
    for word in words:
        subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subparsers or word.startswith("-"):
            break
        if word not in subparsers[0].choices:
            raise KeyError(f"`tito {' '.join([*path, word])}` is not a command")
        parser = subparsers[0].choices[word]
        path.append(word)
    return tuple(path)


def _mentions() -> dict[str, list[str]]:
    """Every `tito ...` command line in the CLI's strings, the README, the docs and the course files."""
    files = [REPO / "README.md", *REPO.glob("docs/**/*.md"), *TITO_SRC.rglob("*.py")]
    inline = re.compile(r"`(tito(?: [^`\n]+)?)`")
    at_line_start = re.compile(r"^\s*(?:\$ |!|%|# )?(tito(?: \S+)*)\s*$", re.MULTILINE)
    found: dict[str, list[str]] = {}
    for path in files:
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        lines = inline.findall(text) + (
            at_line_start.findall(text) if path.suffix == ".md" or "lessons" in path.parts else []
        )
        for line in lines:
            found.setdefault(line, []).append(str(path.relative_to(REPO)))
    return found


def test_every_mentioned_command_exists_and_has_help(capsys):
    """PITFALL 8: each `tito ...` named anywhere resolves to a real command whose --help works."""
    mentions = _mentions()
    assert "tito module test {}" in mentions and "tito milestone run {}" in mentions  # the CLI hints are scanned
    for line, where in sorted(mentions.items()):
        words = [w for w in line.split()[1:] if not w.startswith("{")]
        try:
            path = _command_words(words)
        except KeyError as error:
            pytest.fail(f"{error} (mentioned in {', '.join(sorted(set(where)))})")
        with pytest.raises(SystemExit) as exited:
            main([*path, "--help"])
        assert exited.value.code == 0, line
    capsys.readouterr()


@pytest.mark.parametrize("command", _leaf_commands(build_parser()), ids=" ".join)
def test_help_of_every_command(command, capsys):
    with pytest.raises(SystemExit) as exited:
        main([*command, "--help"])
    assert exited.value.code == 0
    assert "usage: tito" in capsys.readouterr().out


@pytest.fixture
def course(tmp_path, monkeypatch):
    """The fake course in place of the real one, and the current directory in tmp_path."""
    manifest = make_course(tmp_path / "course")
    reference = make_reference(tmp_path / "ref")
    monkeypatch.setattr(tito.cli, "load_manifest", lambda: manifest)
    monkeypatch.setattr(tito.cli, "reference_package", lambda: reference)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)
    return manifest, reference


def _run(capture, *argv: str) -> tuple[int, str]:
    """Run tito in-process; `capture` is pytest's capsys (or capfd when a subprocess prints too)."""
    code = main(list(argv))
    return code, capture.readouterr().out


def test_student_flow(tmp_path, course, capsys, monkeypatch):
    _, reference = course
    code, out = _run(capsys, "init", "ws")
    assert code == 0 and "Next: cd ws, then `tito module start 1`" in out
    monkeypatch.chdir(tmp_path / "ws" / "lessons")  # commands find the workspace from a subdirectory

    code, out = _run(capsys, "module", "start", "1")
    assert code == 0 and "tinytorch/ops.py:10  add" in out.replace(os.sep, "/") and "Lesson: 01_one.ipynb" in out

    code, out = _run(capsys, "module", "test", "1")
    assert (
        code == 1
        and "Not written yet: Module 01: add — see lesson 01" in out
        and "Raised in tinytorch/ops.py:11 in add" in out
    )

    solve(reference, tmp_path / "ws" / "tinytorch", {1, 2})
    code, out = _run(capsys, "module", "test", "01")
    assert code == 0 and "2 passed, 0 failed" in out and "`tito module complete 1`" in out
    code, out = _run(capsys, "module", "complete", "one")
    assert code == 0 and "Module 01 One completed" in out and "Milestone" not in out
    code, out = _run(capsys, "module", "complete", "2")
    assert code == 0 and "Milestone 1 unlocked: 1957 First" in out and "`tito milestone run 1`" in out

    code, out = _run(capsys, "module", "status")
    assert code == 0 and out.count("completed") >= 2 and "not available yet" in out and "unlocked" in out

    code, out = _run(capsys, "module", "reset", "2")
    assert code == 0 and "saved in" in out and (tmp_path / "ws" / ".tito" / "backups").is_dir()
    code, out = _run(capsys, "module", "status")
    assert "changed since completion" in out and "locked: complete 02" in out


def test_module_without_check_is_not_available(tmp_path, course, capsys):
    _run(capsys, "init", "ws")
    code, out = _run(capsys, "--workspace", "ws", "module", "complete", "3")
    assert code == 1 and "not available yet" in out
    code, out = _run(capsys, "--workspace", "ws", "module", "start", "3")
    assert code == 0 and "not available yet" in out


def test_grading_outside_a_workspace(tmp_path, course, capsys):
    code, out = _run(capsys, "module", "test", "1")
    assert code == 1 and "not inside a workspace" in out and "`tito init`" in out
    code, out = _run(capsys, "module", "test", "1", "--reference")
    assert code == 0 and "2 passed" in out
    blank = tmp_path / "blank"
    generate_edition(course[1], blank / "tinytorch")
    code, out = _run(capsys, "module", "test", "2", "--package-root", str(blank))
    assert code == 1 and "Module 02: scale" in out


def test_unknown_module_is_a_clear_error(course, capsys):
    code, out = _run(capsys, "module", "start", "9")
    assert code == 1 and "no module '9'" in out and "01 one" in out


def test_milestone_run_uses_the_workspace_and_passes_arguments(tmp_path, course, capfd):
    _, reference = course
    _run(capfd, "init", "ws")
    os.chdir(tmp_path / "ws")
    code = main(["milestone", "run", "1", "--quick", "--", "--epochs", "3"])
    out = capfd.readouterr().out
    assert code == 0
    assert f"milestone uses {tmp_path / 'ws' / 'tinytorch' / '__init__.py'}" in out
    assert "args ['--quick', '--epochs', '3']" in out
    assert "Modules 01, 02 are not completed" in out

    code = main(["milestone", "run", "1", "--reference", "--", "--fail"])
    out = capfd.readouterr().out
    assert code == 7 and f"milestone uses {reference / '__init__.py'}" in out


def test_lesson_path(tmp_path, course, capsys):
    _run(capsys, "init", "ws")
    code, out = _run(capsys, "--workspace", "ws", "module", "lesson", "1")
    assert code == 0 and out.strip().endswith("01_one.ipynb")
    code, out = _run(capsys, "--workspace", "ws", "module", "lesson", "2")
    assert code == 1 and "not written yet" in out


def test_doctor_reports_versions(capsys):
    code, out = _run(capsys, "doctor")
    import numpy

    assert code == 0 and f"{numpy.__version__}, BLAS:" in out and "jupytext" in out


def test_non_utf8_stream_does_not_crash(tmp_path, course, monkeypatch):
    """A cp1252 or ASCII console gets ASCII boxes and '?' for what it cannot show, never a crash."""
    _, reference = course
    generate_edition(reference, tmp_path / "blank" / "tinytorch")
    for encoding in ("ascii", "cp1252"):
        raw = io.BytesIO()
        stream = io.TextIOWrapper(raw, encoding=encoding, errors="strict")
        monkeypatch.setattr(sys, "stdout", stream)
        assert main(["module", "test", "1", "--package-root", str(tmp_path / "blank")]) == 1
        assert main(["module", "list"]) == 0
        stream.flush()
        text = raw.getvalue().decode(encoding)
        assert "Module 01: add" in text and "+----" in text


@pytest.mark.parametrize("encoding", ["ascii", "cp1252"])
def test_real_cli_on_a_non_utf8_console(tmp_path, encoding):
    env = {**os.environ, "PYTHONIOENCODING": encoding}
    for argv in (
        ["--help"],
        ["module", "list"],
        ["milestone", "list"],
        ["doctor"],
        ["module", "start", "2"],
        ["module", "test", "2"],
    ):
        run = subprocess.run([sys.executable, "-m", "tito", *argv], cwd=tmp_path, env=env, capture_output=True)
        assert b"Traceback" not in run.stderr + run.stdout, (argv, run.stderr.decode(encoding, "replace"))
        assert run.returncode in (0, 1), argv
