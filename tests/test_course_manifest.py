"""One manifest, checked against itself, the code's exercise regions and the course files (PITFALL 6)."""

from __future__ import annotations

import copy
import json

import pytest

from course_fakes import MANIFEST, make_course, make_reference, write_tree
from tito.manifest import (
    ManifestError,
    consistency_problems,
    load_manifest,
    main,
    parse_manifest,
    reference_package,
    write_exercises,
)


def test_the_manifest_matches_the_code_and_the_course_files():
    """Fails on any disagreement; `python -m tito.manifest --sync-report` prints what the code holds."""
    result = consistency_problems(load_manifest(), reference_package())
    assert result.problems == [], "\n".join(result.problems)


def test_the_course_table():
    manifest = load_manifest()
    assert [m.number for m in manifest.modules] == list(range(1, 21))
    assert [m.slug for m in manifest.modules][:6] == ["setup", "tensor", "activations", "layers", "losses", "autograd"]
    assert [(ms.id, ms.year, max(ms.requires)) for ms in manifest.milestones] == [
        (1, 1957, 4), (2, 1969, 6), (3, 1986, 8), (4, 1998, 9), (5, 2012, 10), (6, 2018, 14), (7, 2018, 19),
    ]  # fmt: skip
    for milestone in manifest.milestones:  # a milestone needs every module up to its last one
        assert milestone.requires == tuple(range(1, max(milestone.requires) + 1))
    assert manifest.module("tensor") == manifest.module("02") == manifest.module(2)
    assert manifest.module(4).unlocks == (1,)


def _invalid(edit) -> str:
    data = copy.deepcopy(MANIFEST)
    edit(data)
    with pytest.raises(ManifestError) as raised:
        parse_manifest(data)
    return str(raised.value)


def test_the_loader_rejects_a_self_contradicting_manifest():
    assert "numbered 1, 2, 3" in _invalid(lambda d: d["modules"][1].update(number=5))
    assert "unlocks [] but the milestones say [1]" in _invalid(lambda d: d["modules"][1].update(unlocks=[]))
    assert "lesson must be 'lessons/01_one.py'" in _invalid(lambda d: d["modules"][0].update(lesson="lessons/one.py"))
    assert "listed twice" in _invalid(
        lambda d: d["modules"][2]["exercises"].append({"file": "ops.py", "qualname": "add"})
    )
    assert "prerequisites [3] must be earlier" in _invalid(lambda d: d["modules"][1].update(prerequisites=[3]))
    assert "relative to the tinytorch package" in _invalid(
        lambda d: d["modules"][0]["exercises"].append({"file": "tinytorch/x.py", "qualname": "f"})
    )
    assert "script 'm1.py'" in _invalid(lambda d: d["milestones"][0].update(script="m1.py"))


def test_consistency_reports_each_disagreement_precisely(tmp_path):
    course = tmp_path / "course"
    make_course(course)
    reference = make_reference(tmp_path / "ref")
    data = json.loads((course / "manifest.json").read_text(encoding="utf-8"))
    data["modules"][0]["exercises"].append({"file": "ops.py", "qualname": "helper"})  # no region there
    data["modules"][1]["exercises"] = [{"file": "ops.py", "qualname": "scale"}]  # Box.double left out
    data["modules"][2]["exercises"] = []  # Box.triple listed nowhere
    data["modules"][1]["exercises"].append({"file": "layers.py", "qualname": "Box.triple"})  # region says 03
    (course / "manifest.json").write_text(json.dumps(data), encoding="utf-8")
    write_tree(course / "checks", {"check_03_three.py": "def test_x():\n    pass\n", "check_04_old.py": ""})

    problems = consistency_problems(load_manifest(course / "manifest.json"), reference).problems
    assert len(problems) == 5, problems
    assert any(
        "layers.py:10: region of module 02 in Box.double is not in the manifest" in p
        and '"qualname": "Box.double"' in p
        for p in problems
    )
    assert any(
        "layers.py:16: Box.triple is marked module 03 in the code but listed under module 02" in p for p in problems
    )
    assert any("manifest module 01 lists ops.py helper, but the code has no region there" in p for p in problems)
    assert any("module 03 has a check file (checks/check_03_three.py) but no exercises" in p for p in problems)
    assert any("check_04_old.py: not named in the manifest" in p for p in problems)


def test_consistency_reports_marker_errors(tmp_path):
    course = tmp_path / "course"
    make_course(course)
    reference = make_reference(tmp_path / "ref")
    (reference / "broken.py").write_text("def f():\n    # BEGIN SOLUTION 01\n    return 1\n", encoding="utf-8")
    problems = consistency_problems(load_manifest(course / "manifest.json"), reference).problems
    assert len(problems) == 1 and "broken.py:2: BEGIN SOLUTION is never closed" in problems[0]


def test_sync_report_prints_the_exercises_of_the_code(tmp_path, capsys):
    make_course(tmp_path / "course")
    reference = make_reference(tmp_path / "ref")
    code = main(["--sync-report", "--package", str(reference)])
    out = capsys.readouterr().out
    assert '{"file": "layers.py", "qualname": "Box.double"}' in out and "module 02 tensor" in out
    assert code == 1  # the real manifest does not list the fake package's exercises: problems reported


def test_write_copies_the_exercises_of_the_code_into_the_manifest(tmp_path):
    course = tmp_path / "course"
    make_course(course)
    reference = make_reference(tmp_path / "ref")
    data = json.loads((course / "manifest.json").read_text(encoding="utf-8"))
    for module in data["modules"]:
        module["exercises"] = []
    (course / "manifest.json").write_text(json.dumps(data), encoding="utf-8")
    write_exercises(course / "manifest.json", reference)
    manifest = load_manifest(course / "manifest.json")
    assert [[e.qualname for e in m.exercises] for m in manifest.modules] == [
        ["add"],
        ["Box.double", "scale"],
        ["Box.triple"],
    ]
    assert consistency_problems(manifest, reference).problems == []
    assert '{"file": "ops.py", "qualname": "add"}' in (course / "manifest.json").read_text(encoding="utf-8")
