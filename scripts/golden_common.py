"""What the golden scripts (scripts/make_goldens*.py) share: the command line, and writing the
goldens or, with --check, comparing freshly computed arrays with the committed files.

A script computes {array name: ndarray} for each of its files and ends with

    args = parse_args(__doc__)
    ...
    sys.exit(write_or_check({"spatial_conv.npz": arrays, ...}, args.check))
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path

import numpy as np

GOLDENS = Path(__file__).resolve().parent.parent / "tests" / "goldens"


def parse_args(doc: str, argv: list[str] | None = None) -> argparse.Namespace:
    """Every golden script's options: none writes the files, --check only compares."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare with the committed files instead of writing")
    return parser.parse_args(argv)


def compare(path: Path, arrays: Mapping[str, np.ndarray], rtol: float, atol: float) -> list[str]:
    """Differences between a committed file and freshly computed arrays: missing or extra keys,
    dtypes, shapes and values (floats to tolerance with NaN equal to NaN, everything else exactly)."""
    if not path.exists():
        return [f"{path.name}: the committed file is missing"]
    problems = []
    with np.load(path, allow_pickle=False) as old:
        for key in sorted(set(old.files) ^ set(arrays)):
            where = "committed" if key in old.files else "regenerated"
            problems.append(f"{path.name}: {key}: only in the {where} file")
        for key in sorted(set(old.files) & set(arrays)):
            a, b = old[key], np.asarray(arrays[key])
            if a.dtype != b.dtype or a.shape != b.shape:
                problems.append(f"{path.name}: {key}: committed {a.dtype}{a.shape}, regenerated {b.dtype}{b.shape}")
            elif a.dtype.kind in "fc" and not np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True):
                problems.append(f"{path.name}: {key}: values differ by up to {np.nanmax(np.abs(a - b)):.3g}")
            elif a.dtype.kind not in "fc" and not np.array_equal(a, b):
                problems.append(f"{path.name}: {key}: values differ")
    return problems


def write_or_check(files: Mapping[str, Mapping[str, np.ndarray]], check: bool, *, rtol: float = 1e-9,
                   atol: float = 1e-12) -> int:
    """Write each {file name: arrays} into tests/goldens or, with `check`, compare them with the
    committed files. Returns the exit status: 1 if a committed file is missing or out of date."""
    if not check:
        GOLDENS.mkdir(parents=True, exist_ok=True)
        for name, arrays in files.items():
            with (GOLDENS / name).open("wb") as f:
                np.savez_compressed(f, **arrays)
            print(f"wrote {name}: {len(arrays)} arrays, {(GOLDENS / name).stat().st_size} bytes")
        return 0
    problems = [problem for name, arrays in files.items() for problem in compare(GOLDENS / name, arrays, rtol, atol)]
    if problems:
        script = Path(sys.argv[0]).name
        print(f"the goldens are out of date ({len(problems)} differences); run python scripts/{script} "
              "and commit the result:", file=sys.stderr)
        print("\n".join(f"  {problem}" for problem in problems[:40]), file=sys.stderr)
        return 1
    print(f"{', '.join(files)} match torch")
    return 0
