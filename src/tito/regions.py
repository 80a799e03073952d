"""Exercise regions: finding `# BEGIN SOLUTION NN` ... `# END SOLUTION` in source files.

Every other part of tito (the manifest check, the student edition, resets, progress) locates the
exercises through this module, so the marker rules live in one place:

- `# BEGIN SOLUTION NN` (NN = two-digit module number) and `# END SOLUTION` stand alone on their
  lines, with the same indentation; regions do not nest.
- A region sits inside a function and is the whole remaining body of that function: after
  `# END SOLUTION` the function holds only blank lines and comments, so replacing the region by a
  `raise` statement leaves valid Python.

`scan_markers` reads the marker lines only (it also works on a student's half-edited file that does
not parse); `find_regions` adds the enclosing function's qualified name and checks the body rule.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Container, Iterator
from dataclasses import dataclass
from pathlib import Path

BEGIN_RE = re.compile(r"^(?P<indent>[ \t]*)# BEGIN SOLUTION (?P<number>\d\d)[ \t]*$")
END_RE = re.compile(r"^(?P<indent>[ \t]*)# END SOLUTION[ \t]*$")
# Anything that looks like a marker but is not spelled exactly like one is an error, not code.
LOOSE_RE = re.compile(r"^[ \t]*#[ \t]*(BEGIN|END)[ \t_]*SOLUTION", re.IGNORECASE)


class MarkerError(ValueError):
    """A malformed, unclosed, nested or misplaced exercise marker, reported as `file:line: why`."""

    def __init__(self, path: Path | str, line: int, why: str) -> None:
        super().__init__(f"{path}:{line}: {why}")
        self.path = Path(path)
        self.line = line
        self.why = why


@dataclass(frozen=True)
class Region:
    """One exercise region: lines `begin`..`end` (1-based, both marker lines included)."""

    path: Path
    module: int
    begin: int
    end: int
    indent: str
    qualname: str = ""  # enclosing function, e.g. "Tensor.__add__"; "" from scan_markers

    def lines(self, text: str) -> list[str]:
        """The region's lines (markers included, line endings kept) cut out of the file's `text`."""
        return text.splitlines(keepends=True)[self.begin - 1 : self.end]


def scan_markers(text: str, path: Path | str, valid_modules: Container[int] | None = None) -> list[Region]:
    """The regions of one file from its marker lines alone, in file order.

    Raises MarkerError for a misspelt marker, a bad module number, an END without BEGIN, a BEGIN
    inside an open region, an END indented differently from its BEGIN, or a region never closed.
    """
    regions: list[Region] = []
    open_at: tuple[int, int, str] | None = None  # (line, module, indent) of the open BEGIN
    for number, line in enumerate(text.splitlines(), start=1):
        if not LOOSE_RE.match(line):
            continue
        begin, end = BEGIN_RE.match(line), END_RE.match(line)
        if begin:
            module = int(begin["number"])
            if valid_modules is not None and module not in valid_modules:
                raise MarkerError(path, number, f"module number {begin['number']} is not a module of the course")
            if open_at is not None:
                raise MarkerError(
                    path, number, f"BEGIN SOLUTION inside the region opened at line {open_at[0]} (regions do not nest)"
                )
            open_at = (number, module, begin["indent"])
        elif end:
            if open_at is None:
                raise MarkerError(path, number, "END SOLUTION without a BEGIN SOLUTION before it")
            start, module, indent = open_at
            if end["indent"] != indent:
                raise MarkerError(
                    path, number, f"END SOLUTION is indented differently from its BEGIN SOLUTION at line {start}"
                )
            regions.append(Region(Path(path), module, start, number, indent))
            open_at = None
        else:
            raise MarkerError(
                path,
                number,
                f"malformed marker {line.strip()!r}: write '# BEGIN SOLUTION NN' (NN two digits) or '# END SOLUTION'",
            )
    if open_at is not None:
        raise MarkerError(path, open_at[0], "BEGIN SOLUTION is never closed by '# END SOLUTION'")
    return regions


def _functions(tree: ast.Module) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Every function and method in `tree` with its dotted qualified name ("Outer.method")."""
    stack: list[tuple[str, ast.AST]] = [("", tree)]
    while stack:
        prefix, node = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    yield name, child
                stack.append((name + ".", child))
            else:
                stack.append((prefix, child))


def find_regions(text: str, path: Path | str, valid_modules: Container[int] | None = None) -> list[Region]:
    """The regions of one reference file, each with its enclosing function's qualified name.

    Besides the marker rules of `scan_markers`, a region must lie inside a function and no statement
    of that function may follow `# END SOLUTION`.
    """
    regions = scan_markers(text, path, valid_modules)
    if not regions:
        return []
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError as error:
        raise MarkerError(path, error.lineno or 0, f"file does not parse: {error.msg}") from error
    functions = list(_functions(tree))
    located = []
    for region in regions:
        enclosing = [
            (node.lineno, name, node)
            for name, node in functions
            if node.lineno < region.begin <= (node.end_lineno or 0)
        ]
        if not enclosing:
            raise MarkerError(
                path, region.begin, "region is not inside a function (a region is the body of a function or method)"
            )
        _, qualname, node = max(enclosing, key=lambda item: item[0])  # the innermost function
        if (node.end_lineno or 0) > region.end:
            raise MarkerError(
                path,
                region.end,
                f"code of {qualname} continues after END SOLUTION (line {node.end_lineno}); "
                "a region must be the rest of its function",
            )
        located.append(Region(region.path, region.module, region.begin, region.end, region.indent, qualname))
    return located


def python_files(package_dir: Path) -> list[Path]:
    """The package's .py files, sorted, skipping bytecode caches."""
    return sorted(p for p in package_dir.rglob("*.py") if "__pycache__" not in p.parts)


def package_regions(package_dir: Path, valid_modules: Container[int] | None = None) -> list[Region]:
    """All regions of a reference package, file by file (paths are absolute)."""
    regions: list[Region] = []
    for path in python_files(package_dir):
        regions.extend(find_regions(path.read_text(encoding="utf-8"), path, valid_modules))
    return regions
