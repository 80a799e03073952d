"""The course manifest: the one list of modules, exercises and milestones that everything reads.

`course/manifest.json` holds, per module: number, slug, title, summary, the exercises (a file of the
`tinytorch` package and the qualified name of the function whose body the student writes), the
prerequisites, the lesson and check files, and the milestones it unlocks. The milestones list gives
each milestone's year, script and the modules it needs.

Decisions recorded here, because JSON has no comments:
- A milestone needs every module up to the one that unlocks it: the only promise the code makes is
  that module N's code passes through regions of modules <= N, so a script may touch any of them.
- Milestone 1 (perceptron, 1957) needs modules 01-04: it uses `Linear`'s forward pass and
  Rosenblatt's learning rule written in the script, no gradients. Milestone 2 (XOR, 1969) needs
  01-06: backpropagation through the student's autograd, with plain SGD written in the script
  (module 08's optimizers are not needed yet).
- A module's `unlocks` must equal the milestones whose last required module it is; the loader
  rejects a manifest where the two disagree.

`consistency_problems` compares the manifest with the `# BEGIN SOLUTION NN` regions of the reference
package and with the lesson, check and milestone files on disk. After adding exercises, run
`python -m tito.manifest --sync-report` to print the exercises found in the code, or
`python -m tito.manifest --write` to copy them into the manifest (a region belongs to the module
numbered on its BEGIN marker), then review the diff.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tito.regions import MarkerError, Region, package_regions

COURSE_DIR = Path(__file__).resolve().parent / "course"
MANIFEST_PATH = COURSE_DIR / "manifest.json"
SLUG_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class ManifestError(ValueError):
    """The manifest file is malformed or contradicts itself."""


@dataclass(frozen=True)
class Exercise:
    """A function body the student writes: `file` is relative to the tinytorch package."""

    file: str
    qualname: str
    module: int

    def describe(self) -> str:
        return f"tinytorch/{self.file}: {self.qualname} (module {self.module:02d})"


@dataclass(frozen=True)
class Module:
    number: int
    slug: str
    title: str
    summary: str
    exercises: tuple[Exercise, ...]
    prerequisites: tuple[int, ...]
    lesson: str  # relative to the course directory
    check: str
    unlocks: tuple[int, ...]

    @property
    def nn(self) -> str:
        return f"{self.number:02d}"

    @property
    def name(self) -> str:
        """'02 tensor': how the CLI names a module."""
        return f"{self.nn} {self.slug}"

    @property
    def files(self) -> tuple[str, ...]:
        """The package files holding this module's exercises, sorted, without repeats."""
        return tuple(sorted({exercise.file for exercise in self.exercises}))


@dataclass(frozen=True)
class Milestone:
    id: int
    year: int
    title: str
    summary: str
    script: str  # relative to the course directory
    requires: tuple[int, ...]

    @property
    def label(self) -> str:
        return f"{self.year} {self.title}"


@dataclass(frozen=True)
class Manifest:
    modules: tuple[Module, ...]
    milestones: tuple[Milestone, ...]
    course_dir: Path = field(default=COURSE_DIR, compare=False)

    @property
    def numbers(self) -> frozenset[int]:
        return frozenset(m.number for m in self.modules)

    def module(self, ref: int | str) -> Module:
        """A module by number ("2", "02", 2) or slug ("tensor")."""
        text = str(ref).strip().lower()
        for module in self.modules:
            if text == module.slug or (text.isdigit() and int(text) == module.number):
                return module
        known = ", ".join(m.name for m in self.modules)
        raise LookupError(f"no module {ref!r}; the modules are: {known}")

    def milestone(self, ref: int | str) -> Milestone:
        text = str(ref).strip()
        for milestone in self.milestones:
            if text.isdigit() and int(text) == milestone.id:
                return milestone
        known = ", ".join(f"{m.id} ({m.label})" for m in self.milestones)
        raise LookupError(f"no milestone {ref!r}; the milestones are: {known}")

    def exercises(self) -> list[Exercise]:
        return [exercise for module in self.modules for exercise in module.exercises]

    def find_exercise(self, qualname: str, file: str | None = None) -> Exercise:
        """The exercise named `qualname` (and in `file`, when two files share the name)."""
        found = [e for e in self.exercises() if e.qualname == qualname and (file is None or e.file == file)]
        if len(found) != 1:
            where = f" in tinytorch/{file}" if file else ""
            why = "is not an exercise in the manifest" if not found else "names several exercises; pass file="
            raise LookupError(f"{qualname!r}{where} {why}")
        return found[0]

    def path(self, relative: str) -> Path:
        """A lesson, check or milestone file of the course as an absolute path."""
        return self.course_dir / relative


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ManifestError(message)


def _parse_module(raw: dict, position: int) -> Module:
    number = raw.get("number")
    _require(
        number == position, f"modules must be numbered 1, 2, 3, ... in order: entry {position} has number {number!r}"
    )
    slug = raw.get("slug", "")
    _require(bool(SLUG_RE.match(slug)), f"module {number}: slug {slug!r} must be lowercase letters, digits and _")
    nn = f"{number:02d}"
    _require(
        raw.get("lesson") == f"lessons/{nn}_{slug}.py",
        f"module {nn}: lesson must be 'lessons/{nn}_{slug}.py', not {raw.get('lesson')!r}",
    )
    _require(
        raw.get("check") == f"checks/check_{nn}_{slug}.py",
        f"module {nn}: check must be 'checks/check_{nn}_{slug}.py', not {raw.get('check')!r}",
    )
    prerequisites = tuple(raw.get("prerequisites", []))
    _require(
        all(isinstance(p, int) and 1 <= p < number for p in prerequisites),
        f"module {nn}: prerequisites {list(prerequisites)} must be earlier modules",
    )
    exercises = []
    for item in raw.get("exercises", []):
        file, qualname = item.get("file", ""), item.get("qualname", "")
        _require(
            file.endswith(".py") and not file.startswith(("/", "tinytorch/")) and ".." not in file and "\\" not in file,
            f"module {nn}: exercise file {file!r} must be a .py path relative to the tinytorch package, like 'nn/layers.py'",
        )
        _require(bool(qualname), f"module {nn}: exercise in {file} has no qualname")
        exercises.append(Exercise(file, qualname, number))
    for key in ("title", "summary"):
        _require(bool(raw.get(key)), f"module {nn}: {key} is missing")
    return Module(
        number=number,
        slug=slug,
        title=raw["title"],
        summary=raw["summary"],
        exercises=tuple(exercises),
        prerequisites=prerequisites,
        lesson=raw["lesson"],
        check=raw["check"],
        unlocks=tuple(raw.get("unlocks", [])),
    )


def _parse_milestone(raw: dict, position: int, numbers: set[int]) -> Milestone:
    ident = raw.get("id")
    _require(ident == position, f"milestones must have ids 1, 2, 3, ... in order: entry {position} has id {ident!r}")
    script = raw.get("script", "")
    _require(
        bool(re.fullmatch(rf"milestones/m{ident:02d}_[a-z][a-z0-9_]*\.py", script)),
        f"milestone {ident}: script {script!r} must look like 'milestones/m{ident:02d}_name.py'",
    )
    requires = tuple(raw.get("requires", []))
    _require(
        bool(requires) and set(requires) <= numbers,
        f"milestone {ident}: requires {list(requires)} must be a non-empty list of module numbers",
    )
    _require(
        isinstance(raw.get("year"), int) and bool(raw.get("title")) and bool(raw.get("summary")),
        f"milestone {ident}: year, title and summary are required",
    )
    return Milestone(ident, raw["year"], raw["title"], raw["summary"], script, requires)


def parse_manifest(data: dict, course_dir: Path = COURSE_DIR) -> Manifest:
    """Build and validate a Manifest from the decoded JSON."""
    modules = tuple(_parse_module(raw, i) for i, raw in enumerate(data.get("modules", []), start=1))
    _require(bool(modules), "the manifest lists no modules")
    slugs = [m.slug for m in modules]
    _require(len(set(slugs)) == len(slugs), f"module slugs repeat: {slugs}")
    numbers = {m.number for m in modules}
    milestones = tuple(_parse_milestone(raw, i, numbers) for i, raw in enumerate(data.get("milestones", []), start=1))
    seen: dict[tuple[str, str], int] = {}
    for exercise in (e for m in modules for e in m.exercises):
        key = (exercise.file, exercise.qualname)
        _require(
            key not in seen,
            f"exercise {exercise.file} {exercise.qualname} is listed twice (modules {seen.get(key)} and {exercise.module})",
        )
        seen[key] = exercise.module
    for module in modules:
        expected = tuple(ms.id for ms in milestones if max(ms.requires) == module.number)
        _require(
            module.unlocks == expected,
            f"module {module.nn}: unlocks {list(module.unlocks)} but the milestones say {list(expected)} "
            "(a milestone is unlocked by its last required module)",
        )
    return Manifest(modules, milestones, course_dir)


def load_manifest(path: Path = MANIFEST_PATH) -> Manifest:
    """Read and validate the manifest (the course directory is the file's directory)."""
    path = path.resolve()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ManifestError(f"{path}:{error.lineno}: not valid JSON: {error.msg}") from error
    return parse_manifest(data, path.parent)


@dataclass
class Consistency:
    """What disagrees between the manifest and the files (`problems`) and what is merely pending (`notes`)."""

    problems: list[str]
    notes: list[str]
    regions: list[Region]


def consistency_problems(manifest: Manifest, package_dir: Path) -> Consistency:
    """Compare the manifest with the package's regions and the course files on disk."""
    problems: list[str] = []
    notes: list[str] = []
    try:
        regions = package_regions(package_dir, manifest.numbers)
    except MarkerError as error:
        return Consistency([f"marker error: {error}"], [], [])

    found: dict[tuple[str, str], Region] = {}
    for region in regions:
        key = (region.path.relative_to(package_dir).as_posix(), region.qualname)
        if key in found:
            problems.append(
                f"{region.path}:{region.begin}: second region in {region.qualname} (first at line {found[key].begin})"
            )
        found[key] = region
    listed = {(e.file, e.qualname): e for e in manifest.exercises()}
    for key, region in found.items():
        exercise = listed.get(key)
        if exercise is None:
            problems.append(
                f"{region.path}:{region.begin}: region of module {region.module:02d} in {region.qualname} is not in the manifest "
                f'(add {{"file": "{key[0]}", "qualname": "{key[1]}"}} to module {region.module:02d})'
            )
        elif exercise.module != region.module:
            problems.append(
                f"{region.path}:{region.begin}: {region.qualname} is marked module {region.module:02d} in the code "
                f"but listed under module {exercise.module:02d} in the manifest"
            )
    for key, exercise in listed.items():
        if key not in found:
            problems.append(
                f"manifest module {exercise.module:02d} lists {exercise.file} {exercise.qualname}, but the code has no region there"
            )

    for module in manifest.modules:
        has_check = manifest.path(module.check).is_file()
        if has_check and not module.exercises:
            problems.append(
                f"module {module.nn} has a check file ({module.check}) but no exercises: it would pass on a blank workspace"
            )
        if module.exercises and not has_check:
            notes.append(
                f"module {module.nn}: {len(module.exercises)} exercises, no check file yet ({module.check}): not available to students"
            )
        if not manifest.path(module.lesson).is_file():
            notes.append(f"module {module.nn}: no lesson yet ({module.lesson})")
    for milestone in manifest.milestones:
        if not manifest.path(milestone.script).is_file():
            notes.append(f"milestone {milestone.id}: no script yet ({milestone.script})")

    named = (
        {m.check for m in manifest.modules}
        | {m.lesson for m in manifest.modules}
        | {m.script for m in manifest.milestones}
    )
    for folder, pattern in (("checks", "check_*.py"), ("lessons", "[0-9]*.py"), ("milestones", "m[0-9]*.py")):
        for path in sorted((manifest.course_dir / folder).glob(pattern)):
            if f"{folder}/{path.name}" not in named:
                problems.append(f"{path}: not named in the manifest (a module or milestone renamed?)")
    return Consistency(problems, notes, regions)


def reference_package() -> Path:
    """The reference `tinytorch` package that ships beside `tito` (the solution key)."""
    path = Path(__file__).resolve().parent.parent / "tinytorch"
    if not (path / "__init__.py").is_file():
        raise FileNotFoundError(f"the reference tinytorch package is missing: expected {path}")
    return path


def sync_report(manifest: Manifest, package_dir: Path) -> str:
    """The exercises found in the code, module by module, as JSON ready to paste into the manifest."""
    result = consistency_problems(manifest, package_dir)
    lines = []
    for module in manifest.modules:
        exercises = [
            {"file": r.path.relative_to(package_dir).as_posix(), "qualname": r.qualname}
            for r in result.regions
            if r.module == module.number
        ]
        body = ",\n".join(f"        {json.dumps(e, ensure_ascii=False)}" for e in exercises)
        lines.append(
            f'  module {module.nn} {module.slug}: "exercises": [' + (f"\n{body}\n      ]" if exercises else "]")
        )
    lines.append("")
    lines.extend(f"problem: {p}" for p in result.problems)
    lines.extend(f"note: {n}" for n in result.notes)
    return "\n".join(lines)


def format_manifest(data: dict) -> str:
    """The manifest as JSON with number lists and exercises on one line each, so diffs stay small."""
    text = json.dumps(data, indent=2, ensure_ascii=False)
    text = re.sub(r"\[([\d,\s]+)\]", lambda m: "[" + ", ".join(re.findall(r"\d+", m.group(1))) + "]", text)
    text = re.sub(r'\{\s*"file": ("[^"]*"),\s*"qualname": ("[^"]*")\s*\}', r'{"file": \1, "qualname": \2}', text)
    return text + "\n"


def write_exercises(path: Path, package_dir: Path) -> None:
    """Rewrite each module's exercise list in the manifest at `path` from the regions of the code."""
    manifest = load_manifest(path)
    regions = package_regions(package_dir, manifest.numbers)
    data = json.loads(path.read_text(encoding="utf-8"))
    for module in data["modules"]:
        module["exercises"] = [
            {"file": r.path.relative_to(package_dir).as_posix(), "qualname": r.qualname}
            for r in regions
            if r.module == module["number"]
        ]
    path.write_text(format_manifest(data), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tito.manifest", description="Check the course manifest against the code."
    )
    parser.add_argument("--sync-report", action="store_true", help="print the exercises found in the code, per module")
    parser.add_argument("--write", action="store_true", help="rewrite the manifest's exercise lists from the code")
    parser.add_argument("--package", type=Path, help="package to scan (default: the reference tinytorch)")
    args = parser.parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")
    package = args.package or reference_package()
    if args.write:
        write_exercises(MANIFEST_PATH, package)
    manifest = load_manifest()
    if args.sync_report:
        print(sync_report(manifest, package))
    result = consistency_problems(manifest, package)
    if not args.sync_report:
        for note in result.notes:
            print(f"note: {note}")
        for problem in result.problems:
            print(f"problem: {problem}")
    print(
        f"{len(result.problems)} problems, {len(result.regions)} regions, {len(manifest.exercises())} exercises in the manifest"
    )
    return 1 if result.problems else 0


if __name__ == "__main__":
    sys.exit(main())
