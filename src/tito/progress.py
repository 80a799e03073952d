"""Progress: results on disk, status recomputed from them every time.

`.tito/progress.json` keeps, per module, the last `test` run and the last `complete` run: when, whether
it passed, the counts, and the fingerprint of the student's code for that module at that moment.
Nothing else is stored. A module is completed only if its last `complete` passed AND the student's
code for it still has the same fingerprint; milestones are unlocked from that, never remembered.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from enum import Enum

from tito.manifest import Manifest, Milestone, Module
from tito.workspace import Workspace, atomic_write, module_fingerprint

FORMAT = 1


class ProgressError(RuntimeError):
    """The progress file cannot be read; the message names it."""


@dataclass(frozen=True)
class RunRecord:
    timestamp: str
    passed: bool
    counts: dict[str, int]
    fingerprint: str
    message: str  # the first failure, or "" when the run passed


class Status(Enum):
    NOT_AVAILABLE = "not available yet"
    NOT_STARTED = "not started"
    FAILING = "tests failing"
    TESTED = "tests pass, not completed"
    COMPLETED = "completed"
    CHANGED = "changed since completion"


@dataclass(frozen=True)
class ModuleState:
    module: Module
    status: Status
    detail: str  # what to do next, or ""


def load_progress(workspace: Workspace) -> dict[str, dict[str, RunRecord]]:
    """{"02": {"test": RunRecord, "complete": RunRecord}, ...}; an absent file means no runs yet."""
    path = workspace.progress_file
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {
            nn: {kind: RunRecord(**record) for kind, record in runs.items()} for nn, runs in data["modules"].items()
        }
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as error:
        raise ProgressError(
            f"{path} is damaged ({error}). Move it away; `tito module complete N` records each module again."
        ) from error


def record_run(
    workspace: Workspace, module: Module, kind: str, passed: bool, counts: dict[str, int], message: str
) -> RunRecord:
    """Store the result of a `test` or `complete` run of `module` (atomically) and return it."""
    if kind not in ("test", "complete"):
        raise ValueError(f"record_run: kind must be 'test' or 'complete', not {kind!r}")
    progress = load_progress(workspace)
    record = RunRecord(
        timestamp=datetime.now().isoformat(timespec="seconds"),
        passed=passed,
        counts=dict(counts),
        fingerprint=module_fingerprint(workspace, module),
        message=message,
    )
    progress.setdefault(module.nn, {})[kind] = record
    data = {
        "format": FORMAT,
        "modules": {nn: {k: asdict(r) for k, r in sorted(runs.items())} for nn, runs in sorted(progress.items())},
    }
    atomic_write(workspace.progress_file, json.dumps(data, indent=2) + "\n")
    return record


def module_state(
    workspace: Workspace, manifest: Manifest, module: Module, progress: dict[str, dict[str, RunRecord]]
) -> ModuleState:
    """Recompute a module's status from the recorded runs and the student's files as they are now."""
    if not manifest.path(module.check).is_file():
        return ModuleState(module, Status.NOT_AVAILABLE, "this module's check is not written yet")
    runs = progress.get(module.nn, {})
    complete, test = runs.get("complete"), runs.get("test")
    if complete is not None and complete.passed:
        if complete.fingerprint == module_fingerprint(workspace, module):
            return ModuleState(module, Status.COMPLETED, "")
        return ModuleState(
            module,
            Status.CHANGED,
            f"your code changed since completion: run `tito module complete {module.number}` again",
        )
    latest = max((r for r in (complete, test) if r is not None), key=lambda r: r.timestamp, default=None)
    if latest is None:
        return ModuleState(module, Status.NOT_STARTED, f"start with `tito module start {module.number}`")
    if latest.passed:
        return ModuleState(module, Status.TESTED, f"record it with `tito module complete {module.number}`")
    return ModuleState(module, Status.FAILING, latest.message.splitlines()[0] if latest.message else "")


def all_states(workspace: Workspace, manifest: Manifest) -> dict[int, ModuleState]:
    progress = load_progress(workspace)
    return {m.number: module_state(workspace, manifest, m, progress) for m in manifest.modules}


def missing_for(milestone: Milestone, states: dict[int, ModuleState]) -> list[int]:
    """The required modules of `milestone` that are not completed (empty: unlocked)."""
    return [n for n in milestone.requires if states[n].status is not Status.COMPLETED]
