"""Grading runs a check in a subprocess against exactly one package, and never passes silently."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from course_fakes import make_reference
from tito.edition import generate_edition
from tito.grading import REPORT_ENV, ROOT_ENV, run_check

GOOD = """
    import tinytorch


    def test_add():
        assert tinytorch.add(2, 3) == 5


    def test_scale():
        assert tinytorch.scale(2, 4) == 8
    """


def _check(tmp_path: Path, text: str, name: str = "check_01_one.py") -> Path:
    path = tmp_path / "checks" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


@pytest.fixture
def root(tmp_path) -> Path:
    make_reference(tmp_path / "pkgroot")
    return tmp_path / "pkgroot"


def test_passing_check(tmp_path, root):
    result = run_check(_check(tmp_path, GOOD), root)
    assert result.passed, result.output
    assert result.counts == {"passed": 2, "failed": 0, "errors": 0, "skipped": 0}
    assert not list(root.rglob("__pycache__"))  # grading writes no bytecode into the graded package


def test_failing_check_reports_the_first_failure(tmp_path, root):
    check = _check(tmp_path, GOOD.replace("== 8", "== 9"))
    result = run_check(check, root)
    assert not result.passed and result.counts["failed"] == 1 and result.counts["passed"] == 1
    assert result.first_failure.name == "test_scale" and "assert 8 == 9" in result.first_failure.message


def test_blank_exercise_fails_with_its_name_and_location(tmp_path, root):
    """PITFALL 1: one blank exercise in an otherwise correct package fails grading."""
    edition_root = tmp_path / "edition"
    generate_edition(root / "tinytorch", edition_root / "tinytorch", select=lambda r: r.qualname == "scale")
    result = run_check(_check(tmp_path, GOOD), edition_root)
    failure = result.first_failure
    assert not result.passed and failure.exception == "NotImplementedError"
    assert failure.message == "Module 02: scale — see lesson 02"
    assert failure.where.startswith("tinytorch/ops.py:") and failure.where.endswith("in scale")


def test_zero_tests_is_a_failure(tmp_path, root):
    result = run_check(_check(tmp_path, "import tinytorch\n"), root)
    assert not result.passed and "no tests" in result.problem


def test_check_import_error_is_a_failure(tmp_path, root):
    result = run_check(_check(tmp_path, "from tinytorch import missing_name\n\ndef test_x():\n    pass\n"), root)
    assert not result.passed and "could not be loaded" in result.problem and "missing_name" in result.problem


def test_package_syntax_error_is_a_failure_naming_the_line(tmp_path, root):
    ops = root / "tinytorch" / "ops.py"
    ops.write_text(
        ops.read_text(encoding="utf-8").replace("return total_of_both", "return total_of_both +"), encoding="utf-8"
    )
    result = run_check(_check(tmp_path, GOOD), root)
    assert not result.passed and "import tinytorch` failed" in result.problem and "ops.py" in result.problem


def test_missing_check_file_is_a_failure(tmp_path, root):
    result = run_check(tmp_path / "checks" / "check_09_nothing.py", root)
    assert not result.passed and "no check file" in result.problem


def test_missing_package_is_a_failure(tmp_path):
    result = run_check(_check(tmp_path, GOOD), tmp_path / "empty")
    assert not result.passed and "no tinytorch package" in result.problem


def test_timeout_is_a_failure(tmp_path, root):
    check = _check(tmp_path, "import time\n\ndef test_slow():\n    time.sleep(60)\n")
    result = run_check(check, root, timeout=3)
    assert not result.passed and "did not finish within 3 s" in result.problem and result.seconds < 30


def test_timeout_also_stops_processes_the_check_started(tmp_path, root):
    """A process the check started (say, a data-loading worker) is stopped with it, not left running."""
    check = _check(
        tmp_path,
        """
        import pathlib, subprocess, sys, time

        def test_spawns_and_hangs():
            child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
            pathlib.Path("child.pid").write_text(str(child.pid))  # in the working directory: the root
            time.sleep(60)
        """,
    )
    result = run_check(check, root, timeout=3)
    assert not result.passed and "did not finish" in result.problem and result.seconds < 20
    if os.name == "posix":
        pid = int((root / "child.pid").read_text())
        deadline = time.monotonic() + 5
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_skipped_test_is_not_a_pass(tmp_path, root):
    skipped = "\n\nimport pytest\n\n\n@pytest.mark.skip(reason='later')\ndef test_skipped():\n    pass\n"
    check = _check(tmp_path, textwrap.dedent(GOOD) + skipped)
    result = run_check(check, root)
    assert not result.passed and result.counts["skipped"] == 1 and result.counts["passed"] == 2


def test_stale_bytecode_is_never_graded(tmp_path, root):
    """An edit with the same size and mtime as a cached .pyc is still graded from the source."""
    ops = root / "tinytorch" / "ops.py"
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(
        [sys.executable, "-c", "import tinytorch"], cwd=root, check=True, env={**env, "PYTHONPATH": str(root)}
    )
    assert list(root.rglob("*.pyc"))  # a cache exists now, matching the correct code
    stat = ops.stat()
    ops.write_text(ops.read_text(encoding="utf-8").replace("a + b", "a - b"), encoding="utf-8")
    os.utime(ops, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert ops.stat().st_size == stat.st_size
    result = run_check(_check(tmp_path, GOOD), root)
    assert not result.passed and result.first_failure.name == "test_add"


def test_module_loaded_from_outside_the_root_refuses_grading(tmp_path, root):
    """A package that pulls a submodule from elsewhere is not graded (PITFALL 1)."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "sneaky.py").write_text("VALUE = 1\n", encoding="utf-8")
    init = root / "tinytorch" / "__init__.py"
    init.write_text(
        init.read_text(encoding="utf-8") + f"__path__.append({str(elsewhere)!r})\nfrom . import sneaky\n",
        encoding="utf-8",
    )
    result = run_check(_check(tmp_path, GOOD), root)
    assert not result.passed and "refusing to grade" in result.problem and "tinytorch.sneaky" in result.problem


def test_plugin_refuses_a_package_outside_the_graded_root(tmp_path, root):
    report = tmp_path / "report.json"
    env = {**os.environ, "PYTHONPATH": str(root), ROOT_ENV: str(tmp_path / "somewhere_else"), REPORT_ENV: str(report)}
    check = _check(tmp_path, GOOD)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", str(check), "-p", "tito.grading_plugin", "-p", "no:cacheprovider", "-q"],
        cwd=root, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode != 0
    assert "refusing to grade" in report.read_text(encoding="utf-8")
