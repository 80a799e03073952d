"""Grading: run a module's check file with pytest against one `tinytorch`, in a separate process.

The process sees the graded package first (PYTHONPATH and working directory = the package root:
a workspace, or the reference's parent for CI), loads `tito.grading_plugin` (which refuses to grade
any other `tinytorch`), has no pytest plugins but its own, and is killed after a timeout.

A run passes only if tests ran and every one of them passed. A missing check file, an import
error, a collection error, zero tests, a skip, a crash or a timeout is a failure with a message
saying which.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_TIMEOUT = 300.0
ROOT_ENV = "TITO_PACKAGE_ROOT"  # read by tito.grading_plugin inside the pytest process
REPORT_ENV = "TITO_REPORT"


@dataclass(frozen=True)
class TestOutcome:
    nodeid: str
    outcome: str  # "passed", "failed", "error" or "skipped"
    message: str = ""
    exception: str = ""  # type name of the exception, e.g. "AssertionError"
    where: str = ""  # deepest line inside the graded package: "tensor.py:120 in __add__"

    @property
    def name(self) -> str:
        return self.nodeid.split("::", 1)[-1]


@dataclass
class GradeResult:
    check_file: Path
    package_root: Path
    tests: list[TestOutcome] = field(default_factory=list)
    problem: str = ""  # why the run as a whole failed (missing file, import error, timeout, ...)
    output: str = ""  # pytest's own output, for --verbose
    seconds: float = 0.0

    @property
    def counts(self) -> dict[str, int]:
        counts = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0}
        for test in self.tests:
            counts["errors" if test.outcome == "error" else test.outcome] += 1
        return counts

    @property
    def passed(self) -> bool:
        counts = self.counts
        return not self.problem and counts["passed"] > 0 and counts["passed"] == len(self.tests)

    @property
    def first_failure(self) -> TestOutcome | None:
        return next((t for t in self.tests if t.outcome != "passed"), None)

    def summary(self) -> str:
        """One line: the problem, or the first failing test and its message's first line."""
        if self.problem:
            return self.problem
        failure = self.first_failure
        if failure is None:
            return ""
        first_line = failure.message.strip().splitlines()[0] if failure.message.strip() else failure.exception
        return f"{failure.name}: {first_line}"


def _run_process_group(command: list[str], cwd: Path, env: dict, timeout: float, log: Path) -> tuple[str, int | None]:
    """Run `command` in a process group of its own; return its output and exit code (None: timed out).

    Output goes to a file, not a pipe, so a process the check leaves behind cannot hold grading up;
    when the command ends or times out, every process still in its group is killed.
    """
    group = (
        {"start_new_session": True} if os.name == "posix" else {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    )
    with open(log, "wb") as stream:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=stream, stderr=stream, **group
        )
        returncode: int | None = None
        try:
            returncode = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        finally:  # also on Ctrl-C: the group has its own session, so the terminal's signal missed it
            if os.name == "posix":
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGKILL)
            elif returncode is None:
                subprocess.run(["taskkill", "/F", "/T", "/PID", str(process.pid)], capture_output=True)
            process.wait()
    return log.read_text(encoding="utf-8", errors="replace"), returncode


def run_check(check_file: Path, package_root: Path, *, timeout: float = DEFAULT_TIMEOUT) -> GradeResult:
    """Run `check_file` against the `tinytorch` package found in `package_root`."""
    check_file, package_root = Path(check_file).resolve(), Path(package_root).resolve()
    result = GradeResult(check_file, package_root)
    if not check_file.is_file():
        result.problem = f"no check file {check_file.name}: this module cannot be graded yet"
        return result
    if importlib.util.find_spec("pytest") is None:
        result.problem = f"pytest is not installed, so nothing can be graded: {sys.executable} -m pip install pytest"
        return result
    if not (package_root / "tinytorch" / "__init__.py").is_file():
        result.problem = f"no tinytorch package in {package_root}"
        return result
    with tempfile.TemporaryDirectory(prefix="tito-grade-") as tmp:
        report_path, ini = Path(tmp) / "report.json", Path(tmp) / "pytest.ini"
        ini.write_text("[pytest]\n", encoding="utf-8")
        command = [
            sys.executable, "-P", "-m", "pytest", str(check_file),
            "-p", "tito.grading_plugin", "-p", "no:cacheprovider",
            "-c", str(ini), "--rootdir", str(check_file.parent), "--confcutdir", str(check_file.parent),
            "--import-mode=importlib", "-q", "--tb=short", "--no-header",
        ]  # fmt: skip
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(package_root), *filter(None, [os.environ.get("PYTHONPATH")])]),
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONIOENCODING": "utf-8",
            ROOT_ENV: str(package_root),
            REPORT_ENV: str(report_path),
        }
        start = time.perf_counter()
        output, returncode = _run_process_group(command, package_root, env, timeout, Path(tmp) / "output.txt")
        result.seconds = time.perf_counter() - start
        result.output = output
        if returncode is None:
            result.problem = f"the check did not finish within {timeout:g} s (an endless loop, or far too slow code?)"
            return result
        if not report_path.is_file():
            tail = "\n".join(result.output.strip().splitlines()[-5:])
            result.problem = f"pytest stopped before reporting (exit code {returncode}):\n{tail}"
            return result
        report = json.loads(report_path.read_text(encoding="utf-8"))
    result.tests = [TestOutcome(nodeid, **entry) for nodeid, entry in report["tests"].items()]
    if report["problem"]:
        result.problem = report["problem"]
    elif report["collection_errors"]:
        error = report["collection_errors"][0]
        result.problem = (
            f"the check could not be loaded ({error['nodeid'] or 'collection'}):\n{error['message'].strip()}"
        )
    elif report["collected"] == 0:
        result.problem = "the check file holds no tests: nothing was graded"
    elif returncode != 0 and result.first_failure is None:
        result.problem = (
            f"pytest exited with code {returncode} although no test failed:\n{result.output.strip()[-500:]}"
        )
    return result
