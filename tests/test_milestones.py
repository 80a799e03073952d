"""The milestone scripts, run as a student runs them: in a subprocess, on a package in which every
module after the milestone's last required one is still blank (PITFALLS 3: no reaching ahead).

Each script must pass its own threshold in quick mode, say "did not converge" and exit 1 when it
falls short, and exit 2 with instructions when its dataset is missing. CIFAR-10 is not shipped, so
milestone 5's training run needs the dataset in $TINYTORCH_DATA: it is skipped, visibly, without
it, unless TINYTORCH_REQUIRE_DATA=1 (as in CI), which turns the missing dataset into a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tinytorch.data import CIFAR10
from tito.edition import generate_edition
from tito.manifest import load_manifest, reference_package

MANIFEST = load_manifest()
REFERENCE = reference_package()


def script(milestone: int) -> Path:
    return MANIFEST.path(MANIFEST.milestone(milestone).script)


def last_module(milestone: int) -> int:
    return max(MANIFEST.milestone(milestone).requires)


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    """edition(n): the root of a package copy whose modules after n are blank (made once per n)."""
    made: dict[int, Path] = {}

    def make(blank_after: int) -> Path:
        if blank_after not in made:
            root = tmp_path_factory.mktemp(f"blank_after_{blank_after:02d}")
            generate_edition(REFERENCE, root / "tinytorch", select=lambda region: region.module > blank_after)
            made[blank_after] = root
        return made[blank_after]

    return make


def run(milestone: int, *args: str, root: Path | None = None, env: dict[str, str] | None = None,
        timeout: float = 300) -> subprocess.CompletedProcess:
    """Run a milestone script; with `root`, through tito.launch on the package in root (as tito does)."""
    launcher = [sys.executable, "-P", "-m", "tito.launch", str(root)] if root else [sys.executable]
    return subprocess.run([*launcher, str(script(milestone)), *args], capture_output=True, text=True,
                          encoding="utf-8", timeout=timeout, env={**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})})


def output(result: subprocess.CompletedProcess) -> str:
    return f"exit code {result.returncode}\n{result.stdout}\n{result.stderr}"


@pytest.mark.parametrize("milestone", [1, 2, 3, 4])
def test_quick_milestone_passes_with_later_modules_blank(milestone: int, edition) -> None:
    result = run(milestone, "--quick", root=edition(last_module(milestone)))
    assert result.returncode == 0 and "PASSED" in result.stdout, output(result)


def test_lenet_quick_passes_on_the_reference() -> None:
    result = run(4, "--quick")
    assert result.returncode == 0 and "PASSED" in result.stdout, output(result)


def test_milestone_fails_while_its_last_module_is_blank(edition) -> None:
    result = run(3, "--quick", root=edition(last_module(3) - 1))  # module 08, the optimizers, still blank
    assert result.returncode != 0 and "Module 08" in result.stderr, output(result)


def test_below_the_threshold_a_milestone_says_did_not_converge() -> None:
    result = run(3, "--quick", "--epochs", "1")  # one epoch: about 88 %, short of the 95 % threshold
    assert result.returncode == 1 and "did not converge" in result.stdout, output(result)


@pytest.mark.parametrize(("milestone", "file"), [(3, "mnist.npz"), (4, "mnist.npz"), (5, "cifar10.npz")])
def test_missing_data_is_a_clear_error(milestone: int, file: str, tmp_path) -> None:
    result = run(milestone, "--data-dir", str(tmp_path))
    assert result.returncode == 2, output(result)
    assert "not found" in result.stdout and str(tmp_path / file) in result.stdout, output(result)
    result = run(milestone, env={"TINYTORCH_DATA": str(tmp_path)})  # the default folder comes from the environment
    assert result.returncode == 2 and str(tmp_path / file) in result.stdout, output(result)


def _cifar_folder() -> Path | None:
    root = os.environ.get("TINYTORCH_DATA")
    if root is None:
        return None
    folder = Path(root).expanduser()
    found = [folder / "cifar-10-batches-bin", *(folder / name for name in CIFAR10.npz_names)]
    return folder if any(path.exists() for path in found) else None


REQUIRE_DATA = os.environ.get("TINYTORCH_REQUIRE_DATA") == "1"  # CI sets it where it has the datasets


@pytest.mark.slow
@pytest.mark.skipif(_cifar_folder() is None and not REQUIRE_DATA,
                    reason="CIFAR-10 not found in $TINYTORCH_DATA (not shipped: too large)")
def test_cifar10_quick_passes_with_later_modules_blank(edition, tmp_path) -> None:
    assert _cifar_folder() is not None, f"TINYTORCH_REQUIRE_DATA=1 but no CIFAR-10 in {os.environ.get('TINYTORCH_DATA')}"
    result = run(5, "--quick", "--data-dir", str(_cifar_folder()), "--out", str(tmp_path),
                 root=edition(last_module(5)), timeout=1200)
    assert result.returncode == 0 and "PASSED" in result.stdout, output(result)
    assert (tmp_path / "best.safetensors").exists() and (tmp_path / "history.json").exists()
