"""A tiny fake course for the tito tests: a `tinytorch` package with regions of modules 01-03,
a manifest, checks for modules 01 and 02 (03 has none: "not available yet"), one lesson and one
milestone script. Built in a temporary directory so the tests never depend on the real course.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import textwrap
from pathlib import Path

from tito.edition import generate_edition
from tito.manifest import Manifest, load_manifest

REFERENCE = {
    "__init__.py": "from .ops import add, scale\nfrom .layers import Box\n",
    "ops.py": '''
        """Arithmetic."""


        def helper(x):
            return x


        def add(a, b):
            """The sum of a and b."""
            # BEGIN SOLUTION 01
            total_of_both = a + b
            return total_of_both
            # END SOLUTION


        def scale(a, k):
            # BEGIN SOLUTION 02
            scaled_value = a * k
            return scaled_value
            # END SOLUTION
        ''',
    "layers.py": '''
        """A box of a value."""


        class Box:
            def __init__(self, v):
                self.v = v

            def double(self):
                """Twice the value."""
                # BEGIN SOLUTION 02
                doubled_value = self.v * 2
                return doubled_value
                # END SOLUTION

            def triple(self):
                # BEGIN SOLUTION 03
                return self.v * 3  # three times
                # END SOLUTION
        ''',
    "data/words.txt": "hello\n",
}

CHECKS = {
    "check_01_one.py": """
        import tinytorch


        def test_add_small_numbers():
            assert tinytorch.add(2, 3) == 5


        def test_add_negative():
            assert tinytorch.add(-2, 1) == -1
        """,
    "check_02_two.py": """
        import tinytorch


        def test_scale():
            assert tinytorch.scale(2, 4) == 8


        def test_double():
            assert tinytorch.Box(3).double() == 6
        """,
}

LESSON = """\
# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Module 01: run `tito module test 1` when done.

# %%
import tinytorch

print("lesson uses", tinytorch.__file__)
"""

MILESTONE = """\
import sys

import tinytorch

print("milestone uses", tinytorch.__file__)
print("args", sys.argv[1:])
sys.exit(7 if "--fail" in sys.argv else 0)
"""


def _module(number: int, slug: str, exercises: list[dict], unlocks: list[int]) -> dict:
    return {
        "number": number, "slug": slug, "title": slug.title(), "summary": f"Module {slug}.",
        "prerequisites": list(range(1, number)), "lesson": f"lessons/{number:02d}_{slug}.py",
        "check": f"checks/check_{number:02d}_{slug}.py", "unlocks": unlocks, "exercises": exercises,
    }  # fmt: skip


MANIFEST = {
    "modules": [
        _module(1, "one", [{"file": "ops.py", "qualname": "add"}], []),
        _module(
            2, "two", [{"file": "ops.py", "qualname": "scale"}, {"file": "layers.py", "qualname": "Box.double"}], [1]
        ),
        _module(3, "three", [{"file": "layers.py", "qualname": "Box.triple"}], []),
    ],
    "milestones": [
        {
            "id": 1,
            "year": 1957,
            "title": "First",
            "summary": "The first milestone.",
            "script": "milestones/m01_first.py",
            "requires": [1, 2],
        }
    ],
}


def write_tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def make_reference(root: Path, files: dict[str, str] | None = None) -> Path:
    """Write the fake reference package to root/tinytorch and return that package directory."""
    write_tree(root / "tinytorch", files or REFERENCE)
    return root / "tinytorch"


def make_course(root: Path) -> Manifest:
    """Write the fake course (manifest, checks, lesson, milestone) under root and load it."""
    write_tree(root / "checks", CHECKS)
    write_tree(root / "lessons", {"01_one.py": LESSON})
    write_tree(root / "milestones", {"m01_first.py": MILESTONE})
    (root / "manifest.json").write_text(json.dumps(MANIFEST, indent=2), encoding="utf-8")
    return load_manifest(root / "manifest.json")


def solve(reference: Path, package: Path, modules: set[int]) -> None:
    """Put the reference solutions of `modules` into the student's `package` (its other regions blank)."""
    with tempfile.TemporaryDirectory() as scratch:
        solved = Path(scratch) / "tinytorch"
        generate_edition(reference, solved, select=lambda region: region.module not in modules)
        for name in ("ops.py", "layers.py"):
            shutil.copy(solved / name, package / name)
