"""The student edition: regions blanked, markers kept, nothing of the solutions left, strict markers."""

from __future__ import annotations

import importlib.util
import textwrap
from pathlib import Path

import pytest

from course_fakes import REFERENCE, make_reference
from tito.edition import EditionError, find_solution_leaks, generate_edition
from tito.manifest import load_manifest, reference_package
from tito.regions import find_regions, package_regions, scan_markers


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _solution_lines(reference: Path) -> list[str]:
    """Every code line inside a region of the fake reference (markers and comments excluded)."""
    lines = []
    for region in package_regions(reference):
        text = region.path.read_text(encoding="utf-8").splitlines()
        lines += [
            line.strip()
            for line in text[region.begin : region.end - 1]
            if line.strip() and not line.strip().startswith("#")
        ]
    return lines


def test_edition_blanks_every_region_and_keeps_the_rest(tmp_path):
    reference = make_reference(tmp_path / "ref")
    edition = tmp_path / "edition" / "tinytorch"
    blanked = generate_edition(reference, edition)
    assert sorted(r.qualname for r in blanked) == ["Box.double", "Box.triple", "add", "scale"]
    ops = (edition / "ops.py").read_text(encoding="utf-8")
    assert "# BEGIN SOLUTION 01" in ops and "# END SOLUTION" in ops  # markers stay, for resets
    assert 'raise NotImplementedError("Module 01: add — see lesson 01")' in ops
    assert '"""The sum of a and b."""' in ops and "def helper(x):" in ops  # outside regions: untouched
    assert (edition / "data" / "words.txt").read_text(encoding="utf-8") == "hello\n"  # data files copied
    for path in edition.rglob("*.py"):
        compile(path.read_text(encoding="utf-8"), str(path), "exec")


def test_no_line_of_solution_text_survives(tmp_path):
    reference = make_reference(tmp_path / "ref")
    edition = tmp_path / "edition" / "tinytorch"
    generate_edition(reference, edition)
    solutions = _solution_lines(reference)
    assert "total_of_both = a + b" in solutions and "return self.v * 3  # three times" in solutions
    text = "\n".join(p.read_text(encoding="utf-8") for p in edition.rglob("*.py"))
    assert [line for line in solutions if line in text] == []


def test_blanked_function_raises_with_module_number(tmp_path):
    edition = tmp_path / "edition" / "tinytorch"
    generate_edition(make_reference(tmp_path / "ref"), edition)
    ops = _load(edition / "ops.py", "edition_ops")
    layers = _load(edition / "layers.py", "edition_layers")
    with pytest.raises(NotImplementedError, match="^Module 01: add — see lesson 01$"):
        ops.add(1, 2)
    with pytest.raises(NotImplementedError, match="^Module 02: Box.double — see lesson 02$"):
        layers.Box(1).double()
    assert ops.helper(5) == 5


def test_select_blanks_only_chosen_modules(tmp_path):
    edition = tmp_path / "edition" / "tinytorch"
    blanked = generate_edition(make_reference(tmp_path / "ref"), edition, select=lambda r: r.module >= 2)
    assert {r.module for r in blanked} == {2, 3}
    ops = _load(edition / "ops.py", "partial_ops")
    assert ops.add(1, 2) == 3
    with pytest.raises(NotImplementedError, match="Module 02"):
        ops.scale(1, 2)


def test_leak_scan_finds_surviving_solution_text(tmp_path):
    reference = make_reference(tmp_path / "ref")
    edition = tmp_path / "edition" / "tinytorch"
    regions = generate_edition(reference, edition)
    assert find_solution_leaks(reference, edition, regions) == []
    ops = edition / "ops.py"
    ops.write_text(ops.read_text(encoding="utf-8") + "\n# stray\nscaled_value = a * k\n", encoding="utf-8")
    leaks = find_solution_leaks(reference, edition, regions)
    assert len(leaks) == 1 and leaks[0].endswith("scaled_value = a * k")


def test_edition_refuses_a_non_empty_destination(tmp_path):
    reference = make_reference(tmp_path / "ref")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x.py").write_text("", encoding="utf-8")
    with pytest.raises(EditionError, match="not empty"):
        generate_edition(reference, tmp_path / "out")


BAD_MARKERS = {
    "unclosed": ("def f():\n    # BEGIN SOLUTION 02\n    return 1\n", 2, "never closed"),
    "nested": (
        "def f():\n    # BEGIN SOLUTION 02\n    # BEGIN SOLUTION 02\n    return 1\n    # END SOLUTION\n",
        3,
        "do not nest",
    ),
    "end without begin": ("def f():\n    return 1\n    # END SOLUTION\n", 3, "without a BEGIN"),
    "bad number": (
        "def f():\n    # BEGIN SOLUTION 42\n    return 1\n    # END SOLUTION\n",
        2,
        "not a module of the course",
    ),
    "one digit": ("def f():\n    # BEGIN SOLUTION 2\n    return 1\n    # END SOLUTION\n", 2, "malformed marker"),
    "misspelt": ("def f():\n    #BEGIN SOLUTION 02\n    return 1\n    # END SOLUTION\n", 2, "malformed marker"),
    "indent": (
        "def f():\n    if True:\n        # BEGIN SOLUTION 02\n        return 1\n    # END SOLUTION\n",
        5,
        "indented differently",
    ),
    "outside function": ("# BEGIN SOLUTION 02\nx = 1\n# END SOLUTION\n", 1, "not inside a function"),
    "code after end": (
        "def f():\n    # BEGIN SOLUTION 02\n    y = 1\n    # END SOLUTION\n    return y\n",
        4,
        "continues after END",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_MARKERS))
def test_bad_markers_are_errors_with_file_and_line(tmp_path, case):
    source, line, why = BAD_MARKERS[case]
    reference = make_reference(tmp_path / "ref", {"__init__.py": "", "bad.py": source})
    with pytest.raises(EditionError) as raised:
        generate_edition(reference, tmp_path / "edition", valid_modules=range(1, 21))
    assert f"bad.py:{line}: " in str(raised.value) and why in str(raised.value)


def test_region_qualnames_and_lines():
    text = textwrap.dedent(REFERENCE["layers.py"]).lstrip("\n")
    regions = find_regions(text, "layers.py")
    assert [(r.qualname, r.module, r.begin) for r in regions] == [("Box.double", 2, 10), ("Box.triple", 3, 16)]
    assert [r.qualname for r in scan_markers(text, "layers.py")] == ["", ""]  # markers only: no parsing


def test_the_reference_package_edition_compiles_without_leaks(tmp_path):
    """The real package: every region blanked, every file compiles, no solution line survives."""
    reference = reference_package()
    manifest = load_manifest()
    blanked = generate_edition(reference, tmp_path / "tinytorch", valid_modules=manifest.numbers)
    raises = sum(
        p.read_text(encoding="utf-8").count('raise NotImplementedError("Module ')
        for p in (tmp_path / "tinytorch").rglob("*.py")
    )
    assert raises >= len(blanked)
    assert find_solution_leaks(reference, tmp_path / "tinytorch", blanked) == []
