"""pytest plugin loaded into every grading run (`pytest -p tito.grading_plugin`).

It makes grading the wrong code impossible and reports results in a form tito can read:
- before any test, it imports `tinytorch` and stops the run unless the package lies inside the root
  being graded (`TITO_PACKAGE_ROOT`); at the end it checks every loaded `tinytorch.*` module again;
- `tinytorch` is compiled from its source files on every run, never from `__pycache__`, so a stale
  cache cannot stand in for the student's latest edit (and no cache is written into the workspace);
- it writes a JSON report (`TITO_REPORT`): each test's outcome and the first line of code inside
  the package where a failure was raised, the collection errors, and any problem that stopped the run.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import json
import os
import sys
import traceback
from pathlib import Path

import pytest

from tito.grading import REPORT_ENV, ROOT_ENV

PACKAGE = "tinytorch"

_report: dict = {
    "problem": None,
    "tests": {},
    "collection_errors": [],
    "collected": 0,
    "exitstatus": None,
    "package_file": None,
}


class _SourceOnlyLoader(importlib.machinery.SourceFileLoader):
    """Loads a module from its .py file, ignoring and never writing bytecode caches."""

    def path_stats(self, path: str) -> dict:
        raise OSError("graded code is compiled from source")  # SourceLoader then skips the cache


class _SourceOnlyFinder(importlib.abc.MetaPathFinder):
    """Finds `tinytorch` and its submodules like the normal path finder, with _SourceOnlyLoader."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != PACKAGE and not fullname.startswith(PACKAGE + "."):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and isinstance(spec.loader, importlib.machinery.SourceFileLoader):
            spec.loader = _SourceOnlyLoader(fullname, spec.origin)
        return spec


def _root() -> Path:
    return Path(os.environ[ROOT_ENV]).resolve()


def _inside(file: str | None, root: Path) -> bool:
    return file is not None and Path(file).resolve().is_relative_to(root)


def _write_report(exitstatus: int) -> None:
    _report["exitstatus"] = exitstatus
    Path(os.environ[REPORT_ENV]).write_text(json.dumps(_report, indent=1), encoding="utf-8")


def _stop(problem: str) -> None:
    """End the run before any test (pytest then skips pytest_sessionfinish: report now)."""
    _report["problem"] = problem
    _write_report(3)
    pytest.exit(problem, returncode=3)


def pytest_sessionstart(session: pytest.Session) -> None:
    sys.meta_path.insert(0, _SourceOnlyFinder())
    root = _root()
    try:
        import tinytorch
    except BaseException as error:  # a SyntaxError or any exception raised while importing the student's code
        lines = traceback.format_exception_only(type(error), error)
        frames = [f for f in traceback.extract_tb(error.__traceback__) if _inside(f.filename, root)]
        where = f" (at {Path(frames[-1].filename).relative_to(root)}:{frames[-1].lineno})" if frames else ""
        _stop(f"`import tinytorch` failed{where}: {''.join(lines).strip()}")
        return
    _report["package_file"] = tinytorch.__file__
    if not _inside(tinytorch.__file__, root):
        _stop(f"refusing to grade: `import tinytorch` found {tinytorch.__file__}, which is not inside {root}")


def _where(excinfo: pytest.ExceptionInfo, root: Path) -> str:
    """`file:line in function` of the deepest traceback entry inside the graded package, or ""."""
    for entry in reversed(excinfo.traceback):
        if _inside(str(entry.path), root):
            return f"{Path(entry.path).resolve().relative_to(root).as_posix()}:{entry.lineno + 1} in {entry.name}"
    return ""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    entry = _report["tests"].setdefault(
        report.nodeid, {"outcome": "passed", "message": "", "exception": "", "where": ""}
    )
    if report.passed or entry["outcome"] != "passed":
        return  # keep the first failure of a test (setup before call before teardown)
    if report.skipped:
        entry["outcome"] = "skipped"
        entry["message"] = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else str(report.longrepr)
        return
    entry["outcome"] = "failed" if report.when == "call" else "error"
    if call.excinfo is not None:
        entry["exception"] = call.excinfo.typename
        entry["message"] = str(call.excinfo.value)
        entry["where"] = _where(call.excinfo, _root())
    else:
        entry["message"] = str(report.longrepr)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed:
        _report["collection_errors"].append({"nodeid": report.nodeid, "message": str(report.longrepr)})


def pytest_collection_finish(session: pytest.Session) -> None:
    _report["collected"] = len(session.items)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    root = _root()
    if _report["problem"] is None:
        strays = sorted(
            name
            for name, module in list(sys.modules.items())
            if (name == PACKAGE or name.startswith(PACKAGE + "."))
            and getattr(module, "__file__", None)
            and not _inside(module.__file__, root)
        )
        if strays:
            _report["problem"] = f"refusing to grade: modules {', '.join(strays)} were loaded from outside {root}"
            session.exitstatus = 3
    _write_report(int(session.exitstatus))
