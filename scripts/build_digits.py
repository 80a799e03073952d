"""Build the digits dataset shipped with TinyTorch: src/tinytorch/data/assets/digits.npz.

Source: the UCI "Optical Recognition of Handwritten Digits" data (E. Alpaydin, C. Kaynak, 1998;
CC BY 4.0), in the 1797-image copy (the UCI test part, optdigits.tes) that scikit-learn ships as
`sklearn/datasets/data/digits.csv.gz`: one image per line, 64 pixel values 0..16 then the label.

    python scripts/build_digits.py                       # pip-downloads the scikit-learn wheel, reads the file from it
    python scripts/build_digits.py --csv path/to/digits.csv.gz

The split is fixed and stratified: 360 test images, taken from every class in proportion
(largest remainders), chosen with a seeded permutation; the other 1437 are for training. Both
keep the source order. Output: x_train (1437, 8, 8), y_train, x_test (360, 8, 8), y_test, all
uint8 with the source's 0..16 pixel values; and assets/README.md with source, license, checksums.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

ASSETS = Path(__file__).resolve().parents[1] / "src" / "tinytorch" / "data" / "assets"
MEMBER = "sklearn/datasets/data/digits.csv.gz"
N_TEST = 360
SEED = 1998  # the year the UCI set was donated
CLASS_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]  # the published per-digit counts


def csv_from_wheel() -> tuple[bytes, str]:
    """digits.csv.gz from the scikit-learn wheel (fetched with pip), and the wheel's name."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "scikit-learn", "--no-deps", "--only-binary",
                        ":all:", "--dest", tmp, "--quiet"], check=True)
        wheel = next(Path(tmp).glob("scikit_learn-*.whl"))
        with zipfile.ZipFile(wheel) as z:
            return z.read(MEMBER), wheel.name


def parse(csv_gz: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Images (1797, 8, 8) and labels (1797,), uint8, checked against the published description."""
    table = np.loadtxt(io.StringIO(gzip.decompress(csv_gz).decode("ascii")), delimiter=",")
    if table.shape != (1797, 65) or np.any(table != np.round(table)):
        raise SystemExit(f"build_digits: expected 1797 rows of 65 integers, got {table.shape}")
    pixels, labels = table[:, :64].astype(np.uint8), table[:, 64].astype(np.uint8)
    if pixels.max() > 16 or np.bincount(labels, minlength=10).tolist() != CLASS_COUNTS:
        raise SystemExit("build_digits: pixel range or class counts differ from the published data set")
    return pixels.reshape(-1, 8, 8), labels


def stratified_test_indices(labels: np.ndarray, n_test: int, seed: int) -> np.ndarray:
    """`n_test` indices, each class contributing in proportion to its size (largest remainders)."""
    counts = np.bincount(labels)
    quota = counts * n_test / len(labels)
    take = np.floor(quota).astype(int)
    for c in np.argsort(-(quota - take), kind="stable")[: n_test - take.sum()]:
        take[c] += 1
    rng = np.random.default_rng(seed)
    chosen = [rng.permutation(np.flatnonzero(labels == c))[:k] for c, k in enumerate(take)]
    return np.sort(np.concatenate(chosen))


def sha256(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def readme(arrays: dict[str, np.ndarray], origin: str) -> str:
    rows = "\n".join(f"| `{k}` | {a.shape} | {a.dtype} | `{sha256(a)}` |" for k, a in arrays.items())
    return f"""# digits.npz — handwritten digits shipped with TinyTorch

Loaded by `tinytorch.data.Digits(train=True)`. Built by `scripts/build_digits.py` from {origin}.

## Source and license

**Optical Recognition of Handwritten Digits**, E. Alpaydin and C. Kaynak, UCI Machine Learning
Repository, 1998, https://doi.org/10.24432/C50P49. Licensed under
[Creative Commons Attribution 4.0 International (CC BY 4.0)](https://creativecommons.org/licenses/by/4.0/).
This file is a re-packaging of that data (no pixel or label is changed; it is split in two as
described below).

The 1797 images are the UCI test part (`optdigits.tes`, written by 13 people), in the copy
scikit-learn distributes as `sklearn/datasets/data/digits.csv.gz` (scikit-learn is BSD-3-Clause;
the data keeps its CC BY 4.0 license). Each 32x32 bitmap of a digit was divided into 4x4 blocks and
the set pixels counted, so each image is 8x8 with values 0..16.

## Contents

Pixel values are the source's counts 0..16 (`Digits` rescales them to 0..255 as `count * 255 // 16`).
Labels are the digits 0-9. Split: {len(arrays['y_test'])} test images drawn from each class in
proportion (largest remainders) with `numpy.random.default_rng({SEED})`, the other
{len(arrays['y_train'])} for training; both in the source order. Per-class counts: train
{np.bincount(arrays['y_train']).tolist()}, test {np.bincount(arrays['y_test']).tolist()}.

| array | shape | dtype | SHA-256 of the raw bytes (C order) |
| --- | --- | --- | --- |
{rows}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, help="path of digits.csv.gz (default: take it from the scikit-learn wheel)")
    args = parser.parse_args()
    if args.csv:
        csv_gz, origin = args.csv.read_bytes(), f"`{MEMBER}` of scikit-learn"
    else:
        csv_gz, wheel = csv_from_wheel()
        origin = f"`{MEMBER}` in the wheel `{wheel}`"
    images, labels = parse(csv_gz)
    test = stratified_test_indices(labels, N_TEST, SEED)
    train = np.setdiff1d(np.arange(len(labels)), test)
    arrays = {"x_train": images[train], "y_train": labels[train], "x_test": images[test], "y_test": labels[test]}
    ASSETS.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(ASSETS / "digits.npz", **arrays)
    (ASSETS / "README.md").write_text(readme(arrays, origin), encoding="utf-8")
    print(f"wrote {ASSETS / 'digits.npz'}: train {len(train)}, test {len(test)}")


if __name__ == "__main__":
    main()
