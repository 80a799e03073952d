"""Module 07 — real datasets: MNIST, Fashion-MNIST and CIFAR-10 from their original files, and Digits.

Where the files go. `root` (default: the folder in the environment variable TINYTORCH_DATA, else
~/.cache/tinytorch) holds, for each dataset, its original files or one NumPy archive:

    dataset        original files                                               or
    MNIST          root/mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]    root/mnist.npz
    FashionMNIST   root/fashion_mnist/ (the same four names)                     root/fashion_mnist.npz
    CIFAR10        root/cifar-10-batches-bin/data_batch_{1..5}.bin, test_batch.bin  root/cifar10.npz

With `download=True` the original files are fetched (and checked against their published MD5)
when neither form is there. An .npz holds `x_train, y_train, x_test, y_test`: uint8 images,
(N, 28, 28) for the MNISTs, (N, 32, 32, 3) for CIFAR-10, and integer labels (N,).

The formats, read with NumPy alone (never pickle: loading data must not be able to run code):

- IDX (MNIST): 4 magic bytes `00 00 <type> <ndim>` (type 0x08 = uint8), then `ndim` big-endian
  uint32 sizes, then the values in C order. Optionally gzipped.
- CIFAR-10 binary: records of 3073 bytes, one label byte then 3072 pixel bytes: the 1024 red,
  1024 green and 1024 blue values of a 32x32 image, row by row. 10 000 records per batch file.

Every dataset keeps its images as uint8 `.data` ((N, H, W) grayscale or (N, H, W, C)) and its labels
as int64 `.targets` (N,). A sample is `(image, label)`; see `VisionDataset` for the batch path.
"""

from __future__ import annotations

import gzip
import os
import zipfile
import zlib
from collections.abc import Callable, Sequence
from importlib.resources import files
from math import prod
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from tinytorch.data.dataset import Dataset
from tinytorch.data.download import DownloadError, download_url, extract_tar
from tinytorch.data.transforms import apply_batch

__all__ = ["CIFAR10", "MNIST", "Digits", "FashionMNIST", "VisionDataset", "data_root", "read_cifar_binary",
           "read_idx", "read_npz"]

Transform = Callable[[Any], Any]


def data_root(root: str | Path | None = None) -> Path:
    """The folder datasets live in: `root` if given, else $TINYTORCH_DATA, else ~/.cache/tinytorch."""
    if root is not None:
        return Path(root).expanduser()
    env = os.environ.get("TINYTORCH_DATA")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "tinytorch"


# ---------------------------------------------------------------------------------------- formats

IDX_TYPES = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}  # type byte -> dtype


def _read_bytes(path: Path, op: str) -> bytes:
    """The file's bytes, decompressed if it is gzip (recognised by its first bytes 1f 8b, not its name)."""
    raw = path.read_bytes()
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as error:  # gzip.BadGzipFile is an OSError
        raise ValueError(f"{op}: {path} is a corrupt or truncated gzip file ({error})") from error


def read_idx(path: str | Path, magic: int | None = None) -> np.ndarray:
    """Read an IDX file (gzipped or not) into an array of the shape its header gives.

    The first 4 bytes, read as one big-endian int, are the magic number: 2051 (0x00000803: uint8,
    3 dims) for MNIST images, 2049 (0x00000801: uint8, 1 dim) for labels; pass `magic` to insist.
    Raises ValueError naming the file for a wrong magic number, or a size that differs from what
    the header promises (a truncated or corrupt file).
    """
    path = Path(path)
    raw = _read_bytes(path, "read_idx")
    # BEGIN SOLUTION 07
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_TYPES:
        raise ValueError(f"read_idx: {path} is not an IDX file: it starts with bytes {raw[:4].hex(' ')!r}, "
                         "expected 00 00 <type> <ndim>")
    found = int.from_bytes(raw[:4], "big")
    if magic is not None and found != magic:
        raise ValueError(f"read_idx: {path} has magic number {found}, expected {magic}")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"read_idx: {path} is truncated: {len(raw)} bytes, shorter than its {header}-byte header")
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(IDX_TYPES[raw[2]])
    expected = header + prod(shape) * dtype.itemsize
    if len(raw) != expected:
        raise ValueError(f"read_idx: {path} is truncated or corrupt: its header says shape {shape}, "
                         f"{expected} bytes, but it has {len(raw)} bytes")
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))  # a writable copy in the machine's byte order
    # END SOLUTION


CIFAR_RECORD = 1 + 3 * 32 * 32  # one label byte + 3072 pixel bytes


def read_cifar_binary(path: str | Path, records: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Read one CIFAR-10 binary batch: images (N, 32, 32, 3) uint8 and labels (N,) int64.

    `records`: the number of images the file must hold (10 000 for the official batches).
    """
    path = Path(path)
    raw = path.read_bytes()
    if len(raw) == 0 or len(raw) % CIFAR_RECORD or (records is not None and len(raw) != records * CIFAR_RECORD):
        expected = f"{records} records = {records * CIFAR_RECORD} bytes" if records else "a whole number of records"
        raise ValueError(f"read_cifar_binary: {path} has {len(raw)} bytes; expected {expected} "
                         f"(a record is {CIFAR_RECORD} bytes: 1 label + 3072 pixels), so the file is "
                         "truncated, corrupt, or not a CIFAR-10 binary batch")
    table = np.frombuffer(raw, dtype=np.uint8).reshape(-1, CIFAR_RECORD)  # (N, 3073)
    labels = table[:, 0].astype(np.int64)
    if labels.max() > 9:
        bad = int(np.argmax(labels > 9))
        raise ValueError(f"read_cifar_binary: {path} record {bad} has label {labels[bad]}; labels are 0-9, "
                         "so the file is corrupt or not a CIFAR-10 binary batch")
    images = table[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)  # (N, 3, 32, 32) -> (N, 32, 32, 3)
    return np.ascontiguousarray(images), labels


def read_npz(source: str | Path | BinaryIO, train: bool,
             image_shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Read `x_train, y_train` (or `x_test, y_test`) from an .npz: uint8 images (N, *image_shape), int64 labels."""
    name = getattr(source, "name", source)
    x_key, y_key = ("x_train", "y_train") if train else ("x_test", "y_test")
    unreadable = (OSError, EOFError, ValueError, zipfile.BadZipFile, zlib.error)
    try:
        archive = np.load(source, allow_pickle=False)
    except unreadable as error:
        raise ValueError(f"read_npz: {name} is not a readable .npz archive ({error})") from error
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"read_npz: {name} holds a single array, not an .npz archive of x_train, y_train, ...")
    with archive:
        missing = [key for key in (x_key, y_key) if key not in archive.files]
        if missing:
            raise ValueError(f"read_npz: {name} has no {' or '.join(missing)}; it has {archive.files}, "
                             "expected x_train, y_train, x_test, y_test")
        try:
            x, y = archive[x_key], archive[y_key]
        except unreadable as error:  # a truncated member, a bad CRC, a pickled object array
            raise ValueError(f"read_npz: {name} is corrupt or holds non-plain arrays ({error})") from error
    if x.dtype != np.uint8 or x.shape[1:] != tuple(image_shape):
        raise ValueError(f"read_npz: {name}: {x_key} is {x.dtype} {x.shape}, expected uint8 (N, "
                         f"{', '.join(map(str, image_shape))})")
    if y.ndim != 1 or len(y) != len(x) or y.dtype.kind not in "ui":
        raise ValueError(f"read_npz: {name}: {y_key} is {y.dtype} {y.shape}, expected integers ({len(x)},), "
                         f"one label per image of {x_key}")
    return x, y.astype(np.int64)


# --------------------------------------------------------------------------------------- datasets

class VisionDataset(Dataset):
    """Images in memory: uint8 `.data` (N, H, W) or (N, H, W, C), int64 `.targets` (N,).

    `ds[i]` is `(transform(image), target_transform(label))` with the image channels-last,
    (H, W, C) uint8 (grayscale: (H, W, 1)), and the label an int. `ds.__getitems__(indices)` does the
    same for a whole batch with one fancy-index and one call of each transform: images (B, H, W, C),
    labels (B,) int64. That is the DataLoader's fast path: give a transform that takes batches (all
    of `tinytorch.data.transforms` do) and the whole batch is augmented in a few NumPy calls.
    """

    classes: list[str] = []

    def __init__(self, data: np.ndarray, targets: np.ndarray, transform: Transform | None = None,
                 target_transform: Transform | None = None) -> None:
        if len(data) != len(targets):
            raise ValueError(f"{type(self).__name__}: {len(data)} images but {len(targets)} labels")
        if len(targets) and (targets.min() < 0 or targets.max() >= len(self.classes)):
            raise ValueError(f"{type(self).__name__}: labels must be in 0..{len(self.classes) - 1}, "
                             f"found {targets.min()}..{targets.max()}")
        self.data = data
        self.targets = targets.astype(np.int64)
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self) -> int:
        return len(self.data)

    def _channels_last(self, index: int | np.ndarray) -> np.ndarray:
        images = self.data[index]
        return images[..., None] if self.data.ndim == 3 else images  # grayscale gets its channel axis

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        image, target = self._channels_last(int(index)), int(self.targets[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __getitems__(self, indices: Sequence[int] | np.ndarray) -> tuple[Any, Any]:
        rows = np.asarray(indices, dtype=np.int64)  # (B,)
        images, targets = self._channels_last(rows), self.targets[rows]  # (B, H, W, C), (B,)
        if self.transform is not None:
            images = apply_batch(self.transform, images)
        if self.target_transform is not None:
            targets = apply_batch(self.target_transform, targets)
        return images, targets

    def __repr__(self) -> str:
        split = "train" if getattr(self, "train", True) else "test"
        return f"{type(self).__name__}({split}: {len(self)} images {self.data.shape[1:]}, {len(self.classes)} classes)"


def _existing(path: Path) -> Path | None:
    """`path` or `path.gz`, whichever exists (None if neither)."""
    gz = path.with_name(path.name + ".gz")
    return path if path.exists() else gz if gz.exists() else None


class _StoredDataset(VisionDataset):
    """A dataset read from its files under `root` (see the module docstring), fetched with
    `download=True` when they are not there. Subclasses write `_load(download)`, which returns the
    split's images and labels, and `_instructions()`, which says how to provide the files offline."""

    def __init__(self, root: str | Path | None = None, train: bool = True, download: bool = False,
                 transform: Transform | None = None, target_transform: Transform | None = None) -> None:
        self.root = data_root(root)
        self.train = train
        data, targets = self._load(download)
        super().__init__(data, targets, transform, target_transform)

    def _fetch(self, urls: str | list[str], dest: Path, md5: str) -> Path:
        """`download_url`, with the offline instructions added to a failure."""
        try:
            return download_url(urls, dest, md5=md5)
        except DownloadError as error:
            raise DownloadError(f"{type(self).__name__}: download failed ({error}).\n"
                                f"{self._instructions()}") from error

    def _not_found(self, what: str) -> FileNotFoundError:
        return FileNotFoundError(f"{type(self).__name__}: dataset not found.\n{self._instructions()}\n"
                                 f"Or pass download=True to download the original {what}.")


class MNIST(_StoredDataset):
    """MNIST handwritten digits (LeCun, Cortes, Burges): 60 000 train / 10 000 test images 28x28, labels 0-9.

    Reads root/mnist/ (the four original IDX files, gzipped or not), else root/mnist.npz; with
    `download=True`, fetches the IDX .gz files into root/mnist/ when neither is there.
    """

    folder = "mnist"
    npz_name = "mnist.npz"
    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"]
    resources = [  # (file, MD5 of the published .gz)
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    classes = [str(digit) for digit in range(10)]
    image_shape = (28, 28)

    def _idx_files(self) -> tuple[Path | None, Path | None]:
        split = "train" if self.train else "t10k"
        folder = self.root / self.folder
        return _existing(folder / f"{split}-images-idx3-ubyte"), _existing(folder / f"{split}-labels-idx1-ubyte")

    def _load(self, download: bool) -> tuple[np.ndarray, np.ndarray]:
        images, labels = self._idx_files()
        npz = self.root / self.npz_name
        if (images is None or labels is None) and not npz.exists() and download:
            self._download()
            images, labels = self._idx_files()
        if images is not None and labels is not None:
            x, y = read_idx(images, magic=2051), read_idx(labels, magic=2049)
            if x.shape[1:] != self.image_shape or len(x) != len(y):
                raise ValueError(f"{type(self).__name__}: {images.name} holds images {x.shape} and {labels.name} "
                                 f"labels {y.shape}; expected (N, 28, 28) and (N,)")
            return x, y
        if npz.exists():
            return read_npz(npz, self.train, self.image_shape)
        raise self._not_found("files")

    def _download(self) -> None:
        for filename, md5 in self.resources:
            self._fetch([mirror + filename for mirror in self.mirrors], self.root / self.folder / filename, md5)

    def _instructions(self) -> str:
        names = ", ".join(filename for filename, _ in self.resources)
        return (f"To use {type(self).__name__} offline, put either\n"
                f"  - the original files {names} (gzipped or not) in {self.root / self.folder}\n"
                f"  - or a NumPy archive {self.root / self.npz_name} with arrays x_train (60000, 28, 28) uint8, "
                "y_train (60000,), x_test (10000, 28, 28) uint8, y_test (10000,)\n"
                f"(the folder is the root argument, else $TINYTORCH_DATA, else ~/.cache/tinytorch).")


class FashionMNIST(MNIST):
    """Fashion-MNIST (Xiao, Rasul, Vollgraf; Zalando, MIT license): MNIST's format and sizes, 10 kinds of clothing.

    Reads root/fashion_mnist/ (the four IDX files) or root/fashion_mnist.npz; see MNIST.
    """

    folder = "fashion_mnist"
    npz_name = "fashion_mnist.npz"
    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]


class CIFAR10(_StoredDataset):
    """CIFAR-10 (Krizhevsky, 2009): 50 000 train / 10 000 test colour images 32x32, 10 classes.

    Reads the binary version, root/cifar-10-batches-bin/*.bin, else root/cifar10.npz, else
    root/cifar10_jpeg.npz, else the one root/cifar10*.npz; with `download=True`, fetches cifar-10-binary.tar.gz (MD5-checked) into
    root and extracts it. `.data` is (N, 32, 32, 3) uint8, channels last, as in torchvision.
    """

    folder = "cifar-10-batches-bin"
    archive = "cifar-10-binary.tar.gz"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
    md5 = "c32a1d4ab5d03f1284b67883e8d87530"
    train_files = [f"data_batch_{i}.bin" for i in range(1, 6)]
    test_files = ["test_batch.bin"]
    records_per_file = 10_000
    npz_names = ("cifar10.npz", "cifar10_jpeg.npz")  # the original pixels, else a copy decoded from JPEG
    classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    image_shape = (32, 32, 3)

    def _npz(self) -> Path | None:
        """The first of `npz_names` in root, else the single root/cifar10*.npz; an error if several could be meant."""
        for name in self.npz_names:
            if (self.root / name).exists():
                return self.root / name
        candidates = sorted(self.root.glob("cifar10*.npz"))
        if len(candidates) > 1:
            raise ValueError(f"CIFAR10: several archives could be meant in {self.root}: "
                             f"{[c.name for c in candidates]}; name the one to use cifar10.npz")
        return candidates[0] if candidates else None

    def _load(self, download: bool) -> tuple[np.ndarray, np.ndarray]:
        batches = [self.root / self.folder / name for name in (self.train_files if self.train else self.test_files)]
        if not all(b.exists() for b in batches) and self._npz() is None and download:
            self._download()
        if all(b.exists() for b in batches):
            parts = [read_cifar_binary(b, records=self.records_per_file) for b in batches]
            return np.concatenate([x for x, _ in parts]), np.concatenate([y for _, y in parts])
        npz = self._npz()
        if npz is not None:
            return read_npz(npz, self.train, self.image_shape)
        raise self._not_found("archive")

    def _download(self) -> None:
        extract_tar(self._fetch(self.url, self.root / self.archive, self.md5), self.root)

    def _instructions(self) -> str:
        names = ", ".join(self.train_files + self.test_files)
        return ("To use CIFAR10 offline, put either\n"
                f"  - the binary batches {names} in {self.root / self.folder}\n"
                f"  - or the archive {self.archive} (md5 {self.md5}) in {self.root} and pass download=True "
                "(it is checked and extracted, not downloaded again)\n"
                f"  - or a NumPy archive {self.root / 'cifar10.npz'} with arrays x_train (50000, 32, 32, 3) uint8, "
                "y_train (50000,), x_test (10000, 32, 32, 3) uint8, y_test (10000,)\n"
                "(the folder is the root argument, else $TINYTORCH_DATA, else ~/.cache/tinytorch).")


class Digits(VisionDataset):
    """Handwritten digits 8x8 shipped with TinyTorch: 1437 train / 360 test images, labels 0-9. No download.

    The UCI "Optical Recognition of Handwritten Digits" set (E. Alpaydin, C. Kaynak, 1998; CC BY 4.0),
    in the 1797-image copy scikit-learn ships, split once by class (see data/assets/README.md). A
    source pixel counts the ink in a 4x4 block of a 32x32 scan, 0..16; `.data` holds it scaled to
    0..255 uint8 (`count * 255 // 16`) so that ToTensor maps it to [0, 1] like any image.
    """

    classes = [str(digit) for digit in range(10)]
    image_shape = (8, 8)

    def __init__(self, train: bool = True, transform: Transform | None = None,
                 target_transform: Transform | None = None) -> None:
        self.train = train
        with files("tinytorch.data").joinpath("assets", "digits.npz").open("rb") as f:
            counts, targets = read_npz(f, train, self.image_shape)
        data = (counts.astype(np.uint16) * 255 // 16).astype(np.uint8)  # 0..16 -> 0..255
        super().__init__(data, targets, transform, target_transform)
