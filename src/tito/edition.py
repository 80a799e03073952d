"""The student edition: the reference package with every exercise region blanked.

A region
        # BEGIN SOLUTION 02
        ...the reference body...
        # END SOLUTION
becomes
        # BEGIN SOLUTION 02
        raise NotImplementedError("Module 02: Tensor.__add__ — see lesson 02")
        # END SOLUTION

The markers stay so that `tito module reset N` can find module N's regions in the student's files.
Every generated file is compiled, and the result is scanned for any line of solution text before it
is accepted (a leak would hand students the answers).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Container
from pathlib import Path

from tito.regions import MarkerError, Region, find_regions

SKIP_DIRS = {"__pycache__", ".pytest_cache"}


class EditionError(RuntimeError):
    """The student edition could not be generated (a marker problem, a syntax error, a leak)."""


def placeholder(region: Region) -> str:
    """The statement a blanked region holds."""
    nn = f"{region.module:02d}"
    return f'{region.indent}raise NotImplementedError("Module {nn}: {region.qualname} — see lesson {nn}")\n'


def blank_text(text: str, regions: list[Region]) -> str:
    """`text` with each of `regions` (taken from this text) replaced by its placeholder, markers kept."""
    lines = text.splitlines(keepends=True)
    for region in sorted(regions, key=lambda r: r.begin, reverse=True):  # bottom up: line numbers stay valid
        begin, end = lines[region.begin - 1], lines[region.end - 1]
        lines[region.begin - 1 : region.end] = [begin, placeholder(region), end if end.endswith("\n") else end + "\n"]
    return "".join(lines)


def _solution_lines(text: str, regions: list[Region]) -> set[str]:
    """Stripped lines inside `regions` (markers excluded) that carry code: the text that must not leak."""
    lines = text.splitlines()
    inside = {n for r in regions for n in range(r.begin + 1, r.end)}  # 1-based, markers excluded
    outside = {line.strip() for n, line in enumerate(lines, start=1) if n not in inside}
    return {
        line.strip()
        for n, line in enumerate(lines, start=1)
        if n in inside
        and not line.strip().startswith("#")
        and any(c.isalnum() for c in line)
        and line.strip() not in outside
    }


def find_solution_leaks(reference_dir: Path, edition_dir: Path, regions: list[Region]) -> list[str]:
    """`file:line: text` for every line of edition code that only appears inside a blanked region.

    A line of solution code that also appears outside the blanked regions of the same reference file
    (say `return out`) is no leak; any other region line found in the edition is.
    """
    leaks: list[str] = []
    by_file: dict[Path, list[Region]] = {}
    for region in regions:
        by_file.setdefault(region.path, []).append(region)
    for path, file_regions in sorted(by_file.items()):
        relative = path.relative_to(reference_dir)
        secret = _solution_lines(path.read_text(encoding="utf-8"), file_regions)
        edition_file = edition_dir / relative
        if not edition_file.exists():
            continue
        for n, line in enumerate(edition_file.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip() in secret:
                leaks.append(f"{edition_file}:{n}: {line.strip()}")
    return leaks


def generate_edition(
    reference_dir: Path,
    dest_dir: Path,
    *,
    valid_modules: Container[int] | None = None,
    select: Callable[[Region], bool] | None = None,
) -> list[Region]:
    """Write the student edition of `reference_dir` (a package directory) into a new `dest_dir`.

    `select` chooses the regions to blank (default: all); the others keep their reference code,
    which is how the checks are run with only later modules blank. Returns the blanked regions.
    """
    if dest_dir.exists() and any(dest_dir.iterdir()):
        raise EditionError(f"{dest_dir} already exists and is not empty: the edition is written into a new directory")
    blanked: list[Region] = []
    for source in sorted(reference_dir.rglob("*")):
        relative = source.relative_to(reference_dir)
        if SKIP_DIRS.intersection(relative.parts) or source.suffix == ".pyc" or source.is_dir():
            continue
        target = dest_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.suffix != ".py":
            shutil.copy2(source, target)
            continue
        text = source.read_text(encoding="utf-8")
        try:
            regions = [r for r in find_regions(text, source, valid_modules) if select is None or select(r)]
        except MarkerError as error:
            raise EditionError(f"bad exercise marker: {error}") from error
        new_text = blank_text(text, regions)
        try:
            compile(new_text, str(source), "exec")
        except SyntaxError as error:
            raise EditionError(f"{source}:{error.lineno}: the blanked file does not compile: {error.msg}") from error
        target.write_text(new_text, encoding="utf-8")
        blanked.extend(regions)
    leaks = find_solution_leaks(reference_dir, dest_dir, blanked)
    if leaks:
        raise EditionError("solution text survived in the student edition:\n" + "\n".join(leaks))
    return blanked
