"""`tito`, the course tool: workspaces, lessons, grading, progress and milestones.

    tito doctor                      check Python, NumPy and the optional extras
    tito init [DIR]                  create (or complete) a workspace
    tito module list|status          the course, and your progress in it
    tito module start N              what to read and which functions to write
    tito module test N               grade your code for module N and explain the first failure
    tito module complete N           grade, record, and see what it unlocked
    tito module reset N              restore module N's exercises (your files are backed up first)
    tito module lesson N             where the lesson notebook is (--open starts Jupyter)
    tito milestone list|status       the historical milestones
    tito milestone run N             run one on your code (--reference: on the reference)

Commands find the workspace from the current directory (or `--workspace DIR`). tito never imports
the student's code itself: grading and milestones run in separate processes.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tito.edition import EditionError
from tito.grading import DEFAULT_TIMEOUT, GradeResult, run_check
from tito.manifest import Manifest, ManifestError, Module, load_manifest, reference_package
from tito.progress import ProgressError, Status, all_states, missing_for, record_run
from tito.regions import MarkerError, find_regions
from tito.ui import Symbols, make_console
from tito.workspace import Workspace, WorkspaceError, find_workspace, init_workspace, reset_module

OPTIONAL = {  # import name: (pip name, what it is for)
    "matplotlib": ("matplotlib", "plots in lessons and milestones"),
    "jupytext": ("jupytext", "lessons as notebooks"),
    "safetensors": ("safetensors", "checking checkpoints against the safetensors library"),
    "torch": ("torch==2.13.0", "only to regenerate the golden test files"),
}
MAX_FAILURES_SHOWN = 10
STATUS_STYLE = {
    Status.COMPLETED: "green",
    Status.TESTED: "cyan",
    Status.FAILING: "red",
    Status.CHANGED: "yellow",
    Status.NOT_STARTED: "",
    Status.NOT_AVAILABLE: "dim",
}


class CommandError(RuntimeError):
    """A command cannot do what was asked; the message says what to do instead."""


@dataclass
class Context:
    console: Console
    symbols: Symbols
    manifest: Manifest
    workspace_arg: Path | None

    @property
    def workspace(self) -> Workspace | None:
        if self.workspace_arg is not None:
            found = find_workspace(self.workspace_arg)
            if found is None:
                raise CommandError(
                    f"{self.workspace_arg} is not a tito workspace (no tito.toml): create one with `tito init`"
                )
            return found
        return find_workspace()

    def need_workspace(self) -> Workspace:
        workspace = self.workspace
        if workspace is None:
            raise CommandError(
                f"{Path.cwd()} is not inside a workspace: create one with `tito init`, then run tito inside it"
            )
        return workspace

    def print(self, text: str = "", *values: object) -> None:
        """Print Rich markup `text`, with `values` escaped into its `{}` slots."""
        self.console.print(text.format(*(escape(str(v)) for v in values)))


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


# ---------------------------------------------------------------------------------------- doctor


def _blas() -> str:
    import numpy as np

    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas.get('name', 'unknown')} {blas.get('version', '')}".strip()
    except (TypeError, KeyError):  # NumPy < 1.25 has no mode="dicts"
        return "unknown (see numpy.show_config())"


def cmd_doctor(ctx: Context, args: argparse.Namespace) -> int:
    ok, fail = f"[green]{ctx.symbols.ok}[/green]", f"[red]{ctx.symbols.fail}[/red]"
    problems = 0
    table = Table(title="tito doctor", show_header=False)
    python_ok = sys.version_info >= (3, 11)
    problems += not python_ok
    table.add_row(
        ok if python_ok else fail,
        "Python",
        escape(f"{platform.python_version()} ({sys.executable})" + ("" if python_ok else ": 3.11 or newer is needed")),
    )
    try:
        import numpy as np

        table.add_row(ok, "NumPy", escape(f"{np.__version__}, BLAS: {_blas()}"))
    except ImportError:
        problems += 1
        table.add_row(fail, "NumPy", escape(f"missing: {sys.executable} -m pip install numpy"))
    has_pytest = importlib.util.find_spec("pytest") is not None
    problems += not has_pytest
    table.add_row(
        ok if has_pytest else fail,
        "pytest",
        "installed (grading runs on it)"
        if has_pytest
        else escape(f"missing, grading needs it: {sys.executable} -m pip install pytest"),
    )
    try:
        table.add_row(ok, "tinytorch", escape(f"reference at {reference_package()}"))
    except FileNotFoundError as error:
        problems += 1
        table.add_row(fail, "tinytorch", escape(str(error)))
    workspace = ctx.workspace
    table.add_row(
        ok if workspace else "-",
        "workspace",
        escape(str(workspace.package_dir) if workspace else "none here (create one with `tito init`)"),
    )
    missing = []
    for name, (pip_name, purpose) in OPTIONAL.items():
        if importlib.util.find_spec(name) is None:
            missing.append(pip_name)
            table.add_row("-", name, escape(f"not installed (optional: {purpose})"))
        else:
            table.add_row(ok, name, escape(f"{importlib.metadata.version(pip_name.split('==')[0])} ({purpose})"))
    ctx.console.print(table)
    if missing:
        ctx.print("To add the optional extras: {}", f"{sys.executable} -m pip install {' '.join(missing)}")
    return 1 if problems else 0


# ------------------------------------------------------------------------------------------ init


def cmd_init(ctx: Context, args: argparse.Namespace) -> int:
    workspace, report = init_workspace(Path(args.dir), ctx.manifest, reference_package())
    ctx.print(
        "Workspace {}: {} files added, {} existing files left untouched.",
        _relative(workspace.root),
        len(report.created),
        len(report.kept),
    )
    lessons = [p for p in report.created if p.parent == workspace.lessons_dir]
    if lessons and lessons[0].suffix == ".py":
        ctx.print(
            "[yellow]Lessons were copied as .py files: install jupytext for notebooks ({}), then run `tito init` again.[/yellow]",
            f"{sys.executable} -m pip install jupytext",
        )
    ctx.print("Next: cd {}, then `tito module start 1`.", _relative(workspace.root))
    return 0


# --------------------------------------------------------------------------------------- modules


def _states(ctx: Context, workspace: Workspace | None):
    return all_states(workspace, ctx.manifest) if workspace else None


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    return table


def _status_text(status: Status) -> str:
    """The status in its colour (Rich markup)."""
    style = STATUS_STYLE[status]
    return f"[{style}]{status.value}[/]" if style else status.value


def _availability(path: Path) -> str:
    return "ready" if path.is_file() else "not available yet"


def cmd_module_list(ctx: Context, args: argparse.Namespace) -> int:
    workspace = ctx.workspace
    states = _states(ctx, workspace)
    table = _table("TinyTorch modules", "#", "module", "exercises", "check", "unlocks", *(["status"] if states else []))
    for module in ctx.manifest.modules:
        unlocks = ", ".join(f"M{i} {ctx.manifest.milestone(i).label}" for i in module.unlocks)
        row = [
            module.nn,
            escape(module.title),
            str(len(module.exercises)) if module.exercises else "planned",
            _availability(ctx.manifest.path(module.check)),
            escape(unlocks),
        ]
        if states:
            row.append(_status_text(states[module.number].status))
        table.add_row(*row)
    ctx.console.print(table)
    if not states:
        ctx.print("Not in a workspace: create one with `tito init` to track your progress.")
    return 0


def _milestone_table(ctx: Context, states) -> Table:
    table = _table("Milestones", "#", "milestone", "needs modules", "script", *(["status"] if states else []))
    for milestone in ctx.manifest.milestones:
        needs = (
            f"{milestone.requires[0]:02d}-{milestone.requires[-1]:02d}"
            if len(milestone.requires) > 1
            else f"{milestone.requires[0]:02d}"
        )
        row = [str(milestone.id), escape(milestone.label), needs, _availability(ctx.manifest.path(milestone.script))]
        if states:
            missing = missing_for(milestone, states)
            row.append(
                "[green]unlocked[/green]"
                if not missing
                else "locked: complete " + ", ".join(f"{n:02d}" for n in missing)
            )
        table.add_row(*row)
    return table


def cmd_module_status(ctx: Context, args: argparse.Namespace) -> int:
    workspace = ctx.need_workspace()
    states = all_states(workspace, ctx.manifest)
    table = _table(f"Progress in {_relative(workspace.root)}", "#", "module", "status", "next")
    for state in states.values():
        table.add_row(state.module.nn, escape(state.module.title), _status_text(state.status), escape(state.detail))
    ctx.console.print(table)
    ctx.console.print(_milestone_table(ctx, states))
    done = sum(s.status is Status.COMPLETED for s in states.values())
    ctx.print("{} of {} modules completed.", done, len(states))
    return 0


def _exercise_lines(workspace: Workspace | None, module: Module) -> dict[tuple[str, str], int]:
    """Line of each exercise's BEGIN marker in the student's files (files that do not parse are skipped)."""
    lines: dict[tuple[str, str], int] = {}
    if workspace is None:
        return lines
    for file in module.files:
        path = workspace.package_dir / file
        try:
            for region in find_regions(path.read_text(encoding="utf-8"), path):
                lines[(file, region.qualname)] = region.begin
        except (OSError, MarkerError):
            continue
    return lines


def cmd_module_start(ctx: Context, args: argparse.Namespace) -> int:
    module = ctx.manifest.module(args.module)
    workspace = ctx.workspace
    states = _states(ctx, workspace)
    ctx.print("[bold]Module {} {} {}[/bold]", module.nn, ctx.symbols.dash, module.title)
    ctx.print("{}", module.summary)
    if module.prerequisites:
        parts = []
        for number in module.prerequisites:
            prerequisite = ctx.manifest.module(number)
            status = f" ({states[number].status.value})" if states else ""
            parts.append(f"{prerequisite.name}{status}")
        ctx.print("Prerequisites: {}", ", ".join(parts))
        if states and any(states[n].status is not Status.COMPLETED for n in module.prerequisites):
            ctx.print(
                "[yellow]{} Some prerequisites are not completed: their code is used by this module's checks.[/yellow]",
                ctx.symbols.warn,
            )
    lesson = workspace.lesson_file(module) if workspace else None
    if lesson:
        ctx.print("Lesson: {}", _relative(lesson))
    elif ctx.manifest.path(module.lesson).is_file():
        ctx.print("Lesson: {} (in the course; `tito init` adds it to a workspace)", module.lesson)
    else:
        ctx.print("Lesson: not written yet.")
    if not module.exercises:
        ctx.print("Exercises: planned, not available yet.")
        return 0
    ctx.print(
        "Exercises {} write the bodies between '# BEGIN SOLUTION {}' and '# END SOLUTION':", ctx.symbols.dash, module.nn
    )
    lines = _exercise_lines(workspace, module)
    root = workspace.package_dir if workspace else Path("tinytorch")
    for exercise in module.exercises:
        line = lines.get((exercise.file, exercise.qualname))
        location = f"{_relative(root / exercise.file)}" + (f":{line}" if line else "")
        ctx.print("  {}  {}", location, exercise.qualname)
    if ctx.manifest.path(module.check).is_file():
        ctx.print(
            "Check your code with `tito module test {}`; record it with `tito module complete {}`.",
            module.number,
            module.number,
        )
    else:
        ctx.print("[yellow]This module's check is not available yet: it cannot be graded.[/yellow]")
    return 0


def _grade_root(ctx: Context, args: argparse.Namespace) -> tuple[Path, Workspace | None]:
    """The package root to grade, and the workspace when it is the student's."""
    if getattr(args, "reference", False):
        return reference_package().parent, None
    if getattr(args, "package_root", None):
        return Path(args.package_root).resolve(), None
    workspace = ctx.need_workspace()
    return workspace.root, workspace


def _show_result(ctx: Context, module: Module, result: GradeResult, verbose: bool) -> None:
    s = ctx.symbols
    marks = {
        "passed": f"[green]{s.ok}[/green]",
        "failed": f"[red]{s.fail}[/red]",
        "error": f"[red]{s.fail}[/red]",
        "skipped": f"[yellow]{s.skip}[/yellow]",
    }
    shown_failures = 0
    for test in result.tests:
        if test.outcome == "passed":
            ctx.print(marks["passed"] + " {}", test.name)
        elif shown_failures < MAX_FAILURES_SHOWN:
            shown_failures += 1
            ctx.print(marks[test.outcome] + " {} ({})", test.name, test.outcome)
    hidden = sum(t.outcome != "passed" for t in result.tests) - shown_failures
    if hidden:
        ctx.print("  ... and {} more not passing", hidden)
    counts = result.counts
    tally = ", ".join(f"{counts[key]} {key}" for key in ("passed", "failed", "errors", "skipped"))
    graded = _relative(result.package_root / "tinytorch")
    ctx.print("Module {}: {} in {}s, graded against {}", module.nn, tally, f"{result.seconds:.1f}", graded)
    if verbose and result.output:
        ctx.console.print(escape(result.output))
    if result.passed:
        return
    if result.problem:
        ctx.print("[red]{} {}[/red]", s.fail, result.problem)
        return
    failure = result.first_failure
    ctx.print("[bold red]First failure: {}[/bold red]", failure.name)
    if failure.exception == "NotImplementedError":
        ctx.print("Not written yet: {}", failure.message)
    elif failure.outcome == "skipped":
        ctx.print("A check must not skip (a skipped test grades nothing): {}", failure.message)
    else:
        ctx.print(
            "{}",
            f"{failure.exception}: {failure.message}"
            if failure.exception and failure.exception != "AssertionError"
            else failure.message,
        )
    if failure.where:
        ctx.print("Raised in {}", failure.where)
    elif "look at:" not in failure.message:
        ctx.print("The functions of this module are listed by `tito module start {}`.", module.number)
    ctx.print("Details: `tito module test {} --verbose`", module.number)


def _gradable(ctx: Context, args: argparse.Namespace) -> Module:
    module = ctx.manifest.module(args.module)
    if not ctx.manifest.path(module.check).is_file():
        raise CommandError(
            f"module {module.nn} ({module.title}) is not available yet: "
            f"its check {module.check} is not written, so it cannot be graded"
        )
    return module


def cmd_module_test(ctx: Context, args: argparse.Namespace) -> int:
    module = _gradable(ctx, args)
    root, workspace = _grade_root(ctx, args)
    result = run_check(ctx.manifest.path(module.check), root, timeout=args.timeout)
    if workspace is not None:
        record_run(workspace, module, "test", result.passed, result.counts, result.summary())
    _show_result(ctx, module, result, args.verbose)
    if result.passed and workspace is not None:
        ctx.print("[green]All checks pass.[/green] Record it with `tito module complete {}`.", module.number)
    return 0 if result.passed else 1


def cmd_module_complete(ctx: Context, args: argparse.Namespace) -> int:
    module = _gradable(ctx, args)
    workspace = ctx.need_workspace()
    before = all_states(workspace, ctx.manifest)
    result = run_check(ctx.manifest.path(module.check), workspace.root, timeout=args.timeout)
    record_run(workspace, module, "complete", result.passed, result.counts, result.summary())
    _show_result(ctx, module, result, args.verbose)
    if not result.passed:
        ctx.print(
            "[red]Module {} is not completed.[/red] Fix the failure above and run `tito module complete {}` again.",
            module.nn,
            module.number,
        )
        return 1
    after = all_states(workspace, ctx.manifest)
    ctx.print("[bold green]{} Module {} {} completed.[/bold green]", ctx.symbols.ok, module.nn, module.title)
    for milestone in ctx.manifest.milestones:
        if not missing_for(milestone, after) and missing_for(milestone, before):
            ctx.print(
                "[bold]Milestone {} unlocked: {}.[/bold] Run it with `tito milestone run {}`.",
                milestone.id,
                milestone.label,
                milestone.id,
            )
    upcoming = [
        m for m in ctx.manifest.modules if after[m.number].status is not Status.COMPLETED and m.number > module.number
    ]
    if upcoming:
        ctx.print("Next: `tito module start {}` ({}).", upcoming[0].number, upcoming[0].title)
    return 0


def cmd_module_reset(ctx: Context, args: argparse.Namespace) -> int:
    module = ctx.manifest.module(args.module)
    workspace = ctx.need_workspace()
    report = reset_module(workspace, module)
    if not report.reset and not report.restored:
        ctx.print("Module {}'s exercises are already blank: nothing changed.", module.nn)
        return 0
    for path in report.reset:
        ctx.print("Reset module {}'s regions in {}", module.nn, _relative(path))
    for path in report.restored:
        ctx.print("Restored missing file {}", _relative(path))
    if report.backup_dir:
        ctx.print("Your previous files are saved in {}", _relative(report.backup_dir))
    return 0


def cmd_module_lesson(ctx: Context, args: argparse.Namespace) -> int:
    module = ctx.manifest.module(args.module)
    workspace = ctx.workspace
    lesson = workspace.lesson_file(module) if workspace else None
    if lesson is None:
        source = ctx.manifest.path(module.lesson)
        if not source.is_file():
            raise CommandError(f"the lesson of module {module.nn} is not written yet")
        if workspace is not None:
            raise CommandError(
                f"the lesson of module {module.nn} is missing from the workspace: `tito init {workspace.root}` adds it"
            )
        lesson = source
    ctx.print("{}", lesson)
    if args.open:
        jupyter = shutil.which("jupyter")
        if jupyter is None:
            raise CommandError(f"Jupyter is not installed: {sys.executable} -m pip install jupyterlab")
        return subprocess.call([jupyter, "lab", str(lesson)])
    return 0


# ------------------------------------------------------------------------------------ milestones


def cmd_milestone_list(ctx: Context, args: argparse.Namespace) -> int:
    workspace = ctx.workspace
    ctx.console.print(_milestone_table(ctx, _states(ctx, workspace)))
    for milestone in ctx.manifest.milestones:
        ctx.print("{}. {}: {}", milestone.id, milestone.label, milestone.summary)
    return 0


def cmd_milestone_status(ctx: Context, args: argparse.Namespace) -> int:
    workspace = ctx.need_workspace()
    ctx.console.print(_milestone_table(ctx, all_states(workspace, ctx.manifest)))
    return 0


def cmd_milestone_run(ctx: Context, args: argparse.Namespace) -> int:
    milestone = ctx.manifest.milestone(args.milestone)
    script = ctx.manifest.path(milestone.script)
    if not script.is_file():
        raise CommandError(
            f"milestone {milestone.id} ({milestone.label}) is not available yet: {milestone.script} is not written"
        )
    workspace = None if args.reference else ctx.workspace
    root = workspace.root if workspace else reference_package().parent
    if workspace is not None:
        missing = missing_for(milestone, all_states(workspace, ctx.manifest))
        if missing:
            ctx.print(
                "[yellow]{} Modules {} are not completed: the milestone may stop at code you have not written yet.[/yellow]",
                ctx.symbols.warn, ", ".join(f"{n:02d}" for n in missing),
            )  # fmt: skip
    ctx.print("Milestone {} ({}) on {}", milestone.id, milestone.label, _relative(root / "tinytorch"))
    command = [
        sys.executable,
        "-P",
        "-m",
        "tito.launch",
        str(root),
        str(script),
        *(["--quick"] if args.quick else []),
        *args.script_args,
    ]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), *filter(None, [os.environ.get("PYTHONPATH")])])}
    sys.stdout.flush()
    return subprocess.call(command, env=env, cwd=workspace.root if workspace else None)


DEMO_MILESTONE = 3  # the 1986 MLP on the digits the package ships: seconds, no download


def cmd_demo(ctx: Context, args: argparse.Namespace) -> int:
    """The headline demo: the reference framework trains an MLP on the shipped digits."""
    args.milestone, args.reference, args.quick = str(DEMO_MILESTONE), True, True
    return cmd_milestone_run(ctx, args)


# ---------------------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tito", description="TinyTorch course tool: build a deep-learning framework, module by module."
    )
    parser.add_argument("--version", action="version", version=f"tito {_version()}")
    parser.add_argument(
        "-w", "--workspace", type=Path, help="workspace directory (default: found from the current directory)"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    commands.add_parser("doctor", help="check Python, NumPy/BLAS, tinytorch and the optional extras").set_defaults(
        handler=cmd_doctor
    )
    commands.add_parser(
        "demo", help="train an MLP on the handwritten digits shipped with the package (milestone 3, quick)"
    ).set_defaults(handler=cmd_demo)
    init = commands.add_parser("init", help="create a workspace, or add what is missing to one (never overwrites)")
    init.add_argument(
        "dir", nargs="?", default="workspace", metavar="DIR", help="workspace directory (default: ./workspace)"
    )
    init.set_defaults(handler=cmd_init)

    module = commands.add_parser("module", help="lessons, exercises and grading").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    module.add_parser("list", help="the modules of the course").set_defaults(handler=cmd_module_list)
    module.add_parser("status", help="your progress, recomputed from your files").set_defaults(
        handler=cmd_module_status
    )
    for name, handler, text in (
        ("start", cmd_module_start, "the lesson, the functions to write and the prerequisites"),
        ("test", cmd_module_test, "grade module N and explain the first failure"),
        ("complete", cmd_module_complete, "grade module N, record it, and show what it unlocked"),
        ("reset", cmd_module_reset, "restore module N's exercises to blank (your files are backed up first)"),
        ("lesson", cmd_module_lesson, "print the path of module N's lesson notebook"),
    ):
        sub = module.add_parser(name, help=text, description=text)
        sub.add_argument("module", metavar="N", help="module number (2 or 02) or name (tensor)")
        sub.set_defaults(handler=handler)
        if name in ("test", "complete"):
            sub.add_argument(
                "--timeout",
                type=float,
                default=DEFAULT_TIMEOUT,
                help=f"seconds before the check is stopped (default {DEFAULT_TIMEOUT:g})",
            )
            sub.add_argument("-v", "--verbose", action="store_true", help="also print pytest's output")
        if name == "test":
            where = sub.add_mutually_exclusive_group()
            where.add_argument(
                "--reference", action="store_true", help="grade the reference implementation instead of the workspace"
            )
            where.add_argument("--package-root", metavar="DIR", help="grade the tinytorch package found in DIR")
        if name == "lesson":
            sub.add_argument("--open", action="store_true", help="open it in Jupyter Lab")

    milestone = commands.add_parser("milestone", help="historical milestones run on your code").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    milestone.add_parser("list", help="the milestones and what they need").set_defaults(handler=cmd_milestone_list)
    milestone.add_parser("status", help="which milestones your completed modules unlock").set_defaults(
        handler=cmd_milestone_status
    )
    run = milestone.add_parser(
        "run", help="run milestone N on your code", usage="tito milestone run [-h] [--reference] [--quick] N [-- ARGS...]",
        description="Run milestone N on your workspace's tinytorch. Arguments after -- are passed to the script.",
    )  # fmt: skip
    run.add_argument("milestone", metavar="N", help="milestone number")
    run.add_argument(
        "--reference", action="store_true", help="run on the reference implementation instead of your workspace"
    )
    run.add_argument("--quick", action="store_true", help="a short run (passed to the script as --quick)")
    run.set_defaults(handler=cmd_milestone_run)
    return parser


def _version() -> str:
    try:
        return importlib.metadata.version("tinytorch")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    console, symbols = make_console()
    make_console(sys.stderr)  # argparse errors go there: make that stream safe too
    argv = sys.argv[1:] if argv is None else argv
    script_args = argv[argv.index("--") + 1 :] if "--" in argv else []  # for the milestone script
    args = build_parser().parse_args(argv[: len(argv) - len(script_args) - 1] if "--" in argv else argv)
    if script_args and args.handler not in (cmd_milestone_run, cmd_demo):
        console.print("[red]error:[/red] arguments after -- are only for `tito milestone run`")
        return 2
    args.script_args = script_args
    try:
        ctx = Context(console, symbols, load_manifest(), args.workspace)
        return args.handler(ctx, args)
    except (CommandError, WorkspaceError, ProgressError, ManifestError, EditionError, LookupError) as error:
        console.print(f"[red]error:[/red] {escape(str(error))}")
        return 1
    except KeyboardInterrupt:
        console.print("interrupted")
        return 130
