"""Module 07 check: collating samples, datasets, the DataLoader's batches, reading IDX files, transforms.

Expected batches are built by hand (np.stack of the rows), IDX files are written byte by byte here,
and random transforms are checked against the draws their docstrings promise, made again with
`numpy.random.default_rng(seed)` (a `tinytorch.Generator(seed)` draws the same stream).
"""

from __future__ import annotations

import gzip
from collections import namedtuple
from pathlib import Path

import numpy as np

import tinytorch
from tinytorch.data import DataLoader, TensorDataset, default_collate
from tinytorch.data.dataset import fetch_batch
from tinytorch.data.datasets import read_idx
from tinytorch.data.transforms import Normalize, RandomCrop, RandomHorizontalFlip, ToTensor
from tito.course.checks._helpers import (
    assert_close,
    assert_dtype,
    assert_equal,
    assert_raises,
    assert_shape,
    exercise,
    fail,
)

COLLATE = exercise("default_collate")
BATCH_INDICES = exercise("DataLoader._batch_indices")
FETCH = exercise("fetch_batch")
GETITEM = exercise("TensorDataset.__getitem__")
GETITEMS = exercise("TensorDataset.__getitems__")
READ_IDX = exercise("read_idx")
TO_TENSOR = exercise("ToTensor.__call__")
NORMALIZE = exercise("Normalize._normalize")
CROP = exercise("RandomCrop._crop")
FLIP = exercise("RandomHorizontalFlip._flip")

RNG = np.random.default_rng(7)
X = RNG.standard_normal((10, 3)).astype(np.float32)  # 10 samples of 3 features
Y = np.arange(10, dtype=np.int64) % 4  # their labels
IMAGES = RNG.integers(0, 256, (3, 2, 4, 5)).astype(np.float32) / 255  # 3 images (C=2, H=4, W=5)

Pair = namedtuple("Pair", ["x", "y"])


def _is_tensor(value, ex, what: str) -> None:
    if not isinstance(value, tinytorch.Tensor):
        fail(what, ex, expected="a tinytorch.Tensor", got=type(value).__name__, why="not a Tensor")


class Rows:
    """A dataset without __getitems__: sample i is (X[i] as an array, Y[i] as a Python int)."""

    def __init__(self) -> None:
        self.asked: list[object] = []

    def __len__(self) -> int:
        return len(X)

    def __getitem__(self, index: int):
        self.asked.append(index)
        return X[index], int(Y[index])


class Stacked(Rows):
    """A dataset with a vectorised __getitems__ that returns the stacked batch as NumPy arrays."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[int]] = []

    def __getitems__(self, indices):
        self.batches.append([int(i) for i in indices])
        rows = np.asarray(indices)
        return X[rows], Y[rows]


class Twice:
    """A batched transform that records the shapes it was called with: x -> 2x."""

    batched = True

    def __init__(self) -> None:
        self.shapes: list[tuple[int, ...]] = []

    def __call__(self, x):
        self.shapes.append(tuple(x.shape))
        return x * 2


# ------------------------------------------------------------------------------- default_collate


def test_default_collate_stacks_pairs_of_array_and_label():
    batch = default_collate([(X[i], int(Y[i])) for i in (0, 1, 2)])
    if not isinstance(batch, tuple) or len(batch) != 2:
        fail("default_collate of 3 samples (x, y) must return one pair (X, Y)", COLLATE, expected="a tuple of 2",
             got=batch)
    xs, ys = batch
    _is_tensor(xs, COLLATE, "default_collate: the stacked inputs")
    assert_shape(xs, (3, 3), COLLATE, "default_collate: 3 inputs of shape (3,) stack to (3, 3)")
    assert_close(xs, np.stack([X[0], X[1], X[2]]), COLLATE, "default_collate: the stacked inputs")
    assert_dtype(xs, np.float32, COLLATE, "default_collate keeps the samples' dtype")
    _is_tensor(ys, COLLATE, "default_collate: the labels")
    assert_equal(ys, Y[:3], COLLATE, "default_collate: Python int labels become one (3,) tensor")
    assert_dtype(ys, np.int64, COLLATE, "default_collate: int labels become int64")


def test_default_collate_numbers_strings_and_dtypes():
    floats = default_collate([0.5, 1.5])
    assert_dtype(floats, np.float32, COLLATE, "default_collate([0.5, 1.5]): floats become float32")
    assert_close(floats, [0.5, 1.5], COLLATE, "default_collate([0.5, 1.5])")
    flags = default_collate([True, False, True])
    assert_dtype(flags, np.bool_, COLLATE, "default_collate([True, False, True]): bools stay bool")
    assert_dtype(default_collate([np.int32(3), np.int32(4)]), np.int64, COLLATE,
                 "default_collate of NumPy int32 labels: int64")
    assert_equal(default_collate(["a", "bc"]), ["a", "bc"], COLLATE, "default_collate(['a', 'bc']): a list of strings")
    halves = default_collate([np.ones(2, np.float16), np.zeros(2, np.float16)])
    assert_dtype(halves, np.float16, COLLATE, "default_collate of float16 arrays keeps float16")
    rows = default_collate([tinytorch.tensor([1.0, 2.0]), tinytorch.tensor([3.0, 4.0])])
    assert_close(rows, [[1.0, 2.0], [3.0, 4.0]], COLLATE, "default_collate of two Tensors of shape (2,)")


def test_default_collate_follows_dicts_lists_and_namedtuples():
    batch = default_collate([{"x": X[i], "name": f"s{i}"} for i in range(2)])
    if not isinstance(batch, dict) or set(batch) != {"x", "name"}:
        fail("default_collate of dict samples must return a dict with the same keys", COLLATE,
             expected="{'x': ..., 'name': ...}", got=batch)
    assert_close(batch["x"], X[:2], COLLATE, "default_collate of dicts: the 'x' entries stacked")
    assert_equal(batch["name"], ["s0", "s1"], COLLATE, "default_collate of dicts: the 'name' entries")
    pairs = default_collate([Pair(X[i], int(Y[i])) for i in range(3)])
    if not isinstance(pairs, Pair):
        fail("default_collate of namedtuples must return the same namedtuple", COLLATE, expected="Pair(x=..., y=...)",
             got=type(pairs).__name__)
    assert_equal(pairs.y, Y[:3], COLLATE, "default_collate of Pair samples: field y")
    lists = default_collate([[X[i], int(Y[i])] for i in range(2)])
    if not isinstance(lists, list) or len(lists) != 2:
        fail("default_collate of list samples [x, y] must return a list [X, Y]", COLLATE, got=lists)
    assert_close(lists[0], X[:2], COLLATE, "default_collate of lists: position 0 stacked")


def test_default_collate_rejects_what_cannot_be_stacked():
    assert_raises(ValueError, lambda: default_collate([]), COLLATE, "default_collate([]) (an empty batch)")
    error = assert_raises(ValueError, lambda: default_collate([np.zeros((2, 3)), np.zeros((3, 2))]), COLLATE,
                          "default_collate of arrays of shapes (2, 3) and (3, 2)")
    if "(2, 3)" not in str(error) or "(3, 2)" not in str(error):
        fail("default_collate: the error for samples of different shapes must name both shapes", COLLATE,
             expected="a message containing (2, 3) and (3, 2)", got=str(error))
    assert_raises(ValueError, lambda: default_collate([(1, 2), (3,)]), COLLATE,
                  "default_collate of tuples with 2 and 1 fields")
    assert_raises(TypeError, lambda: default_collate([object(), object()]), COLLATE,
                  "default_collate of plain objects")


# ----------------------------------------------------------------------------- _batch_indices


def _sizes(loader: DataLoader) -> list[int]:
    return [len(indices) for indices in loader._batch_indices()]


def test_batch_indices_in_order_without_shuffle():
    loader = DataLoader(Rows(), batch_size=4)
    got = [list(map(int, indices)) for indices in loader._batch_indices()]
    assert_equal(got, [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]], BATCH_INDICES,
                 "DataLoader(10 samples, batch_size=4)._batch_indices()")


def test_batch_indices_drop_last_leaves_out_the_short_batch():
    assert_equal(_sizes(DataLoader(Rows(), batch_size=4, drop_last=True)), [4, 4], BATCH_INDICES,
                 "batch sizes of DataLoader(10 samples, batch_size=4, drop_last=True)")
    assert_equal(_sizes(DataLoader(Rows(), batch_size=5, drop_last=True)), [5, 5], BATCH_INDICES,
                 "batch sizes of DataLoader(10 samples, batch_size=5, drop_last=True) (nothing to drop)")
    assert_equal(_sizes(DataLoader(Rows(), batch_size=3)), [3, 3, 3, 1], BATCH_INDICES,
                 "batch sizes of DataLoader(10 samples, batch_size=3)")


def test_batch_indices_shuffle_is_a_new_permutation_every_epoch():
    loader = DataLoader(Rows(), batch_size=3, shuffle=True, generator=tinytorch.Generator(5))
    epochs = [np.concatenate(loader._batch_indices()) for _ in range(3)]
    for epoch, order in enumerate(epochs, start=1):
        assert_equal(np.sort(order), np.arange(10), BATCH_INDICES,
                     f"shuffled epoch {epoch}: every index 0..9 exactly once")
    if all(np.array_equal(order, np.arange(10)) for order in epochs):
        fail("DataLoader(shuffle=True) must shuffle", BATCH_INDICES, expected="a random order", got=epochs[0])
    if np.array_equal(epochs[0], epochs[1]) and np.array_equal(epochs[1], epochs[2]):
        fail("DataLoader(shuffle=True) must draw a new order every epoch", BATCH_INDICES,
             expected="different orders", got=epochs[0])
    assert_equal(_sizes(loader), [3, 3, 3, 1], BATCH_INDICES, "batch sizes of a shuffled DataLoader(10, batch_size=3)")


def test_batch_indices_shuffle_draws_from_the_loader_generator():
    orders = []
    for global_seed in (1, 2):
        tinytorch.manual_seed(global_seed)  # must not matter: the loader has its own generator
        loader = DataLoader(Rows(), batch_size=4, shuffle=True, generator=tinytorch.Generator(11))
        orders.append(np.concatenate(loader._batch_indices()))
    assert_equal(orders[1], orders[0], BATCH_INDICES,
                 "two loaders with generator=Generator(11) (global seed changed in between) shuffle alike")


# -------------------------------------------------------------------------------- fetch_batch


def test_fetch_batch_uses_getitems_once_and_wraps_the_arrays():
    data = Stacked()
    got = fetch_batch(data, np.array([4, 1, 7]))
    assert_equal(data.batches, [[4, 1, 7]], FETCH, "fetch_batch on a dataset with __getitems__: the calls made")
    assert_equal(data.asked, [], FETCH, "fetch_batch must not call __getitem__ when __getitems__ exists")
    if not isinstance(got, tuple) or len(got) != 2:
        fail("fetch_batch must return the batch __getitems__ returned, (X, Y)", FETCH, got=got)
    _is_tensor(got[0], FETCH, "fetch_batch: the arrays of the batch become Tensors")
    assert_close(got[0], X[[4, 1, 7]], FETCH, "fetch_batch(dataset, [4, 1, 7]): inputs")
    assert_equal(got[1], Y[[4, 1, 7]], FETCH, "fetch_batch(dataset, [4, 1, 7]): labels")


def test_fetch_batch_without_getitems_collates_samples():
    data = Rows()
    xs, ys = fetch_batch(data, np.array([2, 0, 9]))
    assert_equal(data.asked, [2, 0, 9], FETCH, "fetch_batch on a dataset without __getitems__: indices asked")
    if not all(type(i) is int for i in data.asked):
        fail("fetch_batch must pass Python ints to __getitem__", FETCH, expected="int",
             got=[type(i).__name__ for i in data.asked])
    assert_close(xs, X[[2, 0, 9]], FETCH, "fetch_batch(dataset, [2, 0, 9]) collated: inputs")
    assert_equal(ys, Y[[2, 0, 9]], FETCH, "fetch_batch(dataset, [2, 0, 9]) collated: labels")


def test_data_loader_yields_the_batches():
    got = [(x.data.copy(), y.data.copy()) for x, y in DataLoader(Stacked(), batch_size=4)]
    assert_equal(len(got), 3, FETCH, "number of batches of DataLoader(10 samples, batch_size=4)")
    assert_close(got[2][0], X[8:], FETCH, "the last batch's inputs of DataLoader(10 samples, batch_size=4)")
    assert_equal(got[1][1], Y[4:8], FETCH, "the second batch's labels of DataLoader(10 samples, batch_size=4)")


# ------------------------------------------------------------------------------- TensorDataset


def test_tensor_dataset_getitem_returns_row_i_of_every_tensor():
    data = TensorDataset(tinytorch.tensor(X), tinytorch.tensor(Y))
    sample = data[6]
    if not isinstance(sample, tuple) or len(sample) != 2:
        fail("TensorDataset(x, y)[6] must be a pair (x[6], y[6])", GETITEM, got=sample)
    _is_tensor(sample[0], GETITEM, "TensorDataset(x, y)[6][0]")
    _is_tensor(sample[1], GETITEM, "TensorDataset(x, y)[6][1]")
    assert_close(sample[0], X[6], GETITEM, "TensorDataset(x, y)[6][0]")
    assert_equal(sample[1], Y[6], GETITEM, "TensorDataset(x, y)[6][1] (a 0-d tensor)")
    assert_close(data[-1][0], X[-1], GETITEM, "TensorDataset(x, y)[-1][0]")


def test_tensor_dataset_getitem_transforms_only_the_inputs():
    data = TensorDataset(tinytorch.tensor(X), tinytorch.tensor(Y), transform=lambda row: row * 10)
    x, y = data[3]
    assert_close(x, X[3] * 10, GETITEM, "TensorDataset(x, y, transform=10x)[3][0]", rtol=1e-6)
    assert_equal(y, Y[3], GETITEM, "TensorDataset(x, y, transform=10x)[3][1]: the labels are not transformed")


def test_tensor_dataset_getitems_returns_the_stacked_batch():
    data = TensorDataset(tinytorch.tensor(X), tinytorch.tensor(Y))
    batch = data.__getitems__([5, 0, 5])
    if not isinstance(batch, tuple) or len(batch) != 2:
        fail("TensorDataset(x, y).__getitems__([5, 0, 5]) must be a pair (X, Y)", GETITEMS, got=batch)
    _is_tensor(batch[0], GETITEMS, "TensorDataset.__getitems__: the inputs")
    assert_close(batch[0], X[[5, 0, 5]], GETITEMS, "TensorDataset(x, y).__getitems__([5, 0, 5]): inputs")
    assert_equal(batch[1], Y[[5, 0, 5]], GETITEMS, "TensorDataset(x, y).__getitems__([5, 0, 5]): labels")
    assert_close(data.__getitems__(np.array([9]))[0], X[[9]], GETITEMS, "TensorDataset.__getitems__(array([9]))")


def test_tensor_dataset_getitems_transforms_the_whole_batch_in_one_call():
    twice = Twice()
    data = TensorDataset(tinytorch.tensor(X), tinytorch.tensor(Y), transform=twice)
    xs, ys = data.__getitems__([1, 2, 3, 4])
    assert_equal(twice.shapes, [(4, 3)], GETITEMS,
                 "shapes a batched transform was called with by __getitems__([1, 2, 3, 4])")
    assert_close(xs, X[1:5] * 2, GETITEMS, "TensorDataset(x, y, transform=2x).__getitems__([1, 2, 3, 4]): inputs")
    assert_equal(ys, Y[1:5], GETITEMS, "TensorDataset(..., transform=2x).__getitems__: labels are not transformed")


# ------------------------------------------------------------------------------------ read_idx


def _idx(path: Path, type_byte: int, values: np.ndarray, gz: bool = False) -> Path:
    """An IDX file written byte by byte: 00 00 <type> <ndim>, big-endian uint32 sizes, big-endian values."""
    big_endian = {0x08: ">u1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4"}[type_byte]
    raw = bytes([0, 0, type_byte, values.ndim])
    raw += b"".join(int(size).to_bytes(4, "big") for size in values.shape)
    raw += values.astype(big_endian).tobytes()
    path.write_bytes(gzip.compress(raw) if gz else raw)
    return path


def test_read_idx_reads_uint8_images_and_labels(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    got = read_idx(_idx(tmp_path / "images-idx3-ubyte", 0x08, images))
    assert_shape(got, (2, 3, 4), READ_IDX, "read_idx of a uint8 IDX file with sizes 2, 3, 4")
    assert_equal(got, images, READ_IDX, "read_idx of a uint8 IDX file: the values")
    assert_dtype(got, np.uint8, READ_IDX, "read_idx of type byte 0x08")
    labels = np.array([7, 0, 255, 3], dtype=np.uint8)
    assert_equal(read_idx(_idx(tmp_path / "labels", 0x08, labels), magic=2049), labels, READ_IDX,
                 "read_idx(labels file, magic=2049)")


def test_read_idx_reads_gzip_and_big_endian_integers(tmp_path):
    values = np.array([[1, -2, 70000], [2**30, 0, -5]], dtype=np.int32)
    got = read_idx(_idx(tmp_path / "values.gz", 0x0C, values, gz=True))
    assert_equal(got, values, READ_IDX, "read_idx of a gzipped IDX file of big-endian int32 (type 0x0C)")
    if got.dtype != np.dtype(np.int32):  # ">i4" would compare equal in values but is not native
        fail("read_idx must return the machine's byte order", READ_IDX, expected=np.dtype(np.int32), got=got.dtype)
    floats = np.array([0.5, -1.25], dtype=np.float32)
    assert_close(read_idx(_idx(tmp_path / "floats", 0x0D, floats)), floats, READ_IDX, "read_idx of float32 (type 0x0D)")


def test_read_idx_rejects_wrong_magic_and_truncated_files(tmp_path):
    images = _idx(tmp_path / "images", 0x08, np.zeros((2, 2, 2), dtype=np.uint8))
    error = assert_raises(ValueError, lambda: read_idx(images, magic=2049), READ_IDX,
                          "read_idx(an images file (magic 2051), magic=2049)")
    if "2051" not in str(error):
        fail("read_idx: the error for a wrong magic number must name the number found", READ_IDX,
             expected="a message containing 2051", got=str(error))
    cut = tmp_path / "cut"
    cut.write_bytes(images.read_bytes()[:-3])
    error = assert_raises(ValueError, lambda: read_idx(cut), READ_IDX, "read_idx of a file 3 bytes short")
    if str(cut) not in str(error):
        fail("read_idx: the error for a truncated file must name the file", READ_IDX, expected=str(cut), got=str(error))
    text = tmp_path / "notes.txt"
    text.write_bytes(b"hello world")
    assert_raises(ValueError, lambda: read_idx(text), READ_IDX, "read_idx of a text file")


# ------------------------------------------------------------------------------------ ToTensor


def test_to_tensor_makes_channels_first_float_in_zero_one():
    hwc = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3) * 10  # (H=2, W=3, C=3)
    got = ToTensor()(hwc)
    _is_tensor(got, TO_TENSOR, "ToTensor()(a uint8 (2, 3, 3) image)")
    assert_shape(got, (3, 2, 3), TO_TENSOR, "ToTensor()(an (H, W, C) = (2, 3, 3) image)")
    assert_dtype(got, np.float32, TO_TENSOR, "ToTensor() of uint8")
    assert_close(got, hwc.transpose(2, 0, 1) / 255.0, TO_TENSOR, "ToTensor() of uint8: channels first, / 255")


def test_to_tensor_of_grayscale_batches_and_floats():
    gray = np.array([[0, 255], [51, 102]], dtype=np.uint8)
    assert_close(ToTensor()(gray), [[[0.0, 1.0], [0.2, 0.4]]], TO_TENSOR, "ToTensor() of a (2, 2) grayscale image")
    batch = RNG.integers(0, 256, (4, 2, 3, 1)).astype(np.uint8)  # (N, H, W, C)
    got = ToTensor()(batch)
    assert_shape(got, (4, 1, 2, 3), TO_TENSOR, "ToTensor() of a batch (N, H, W, C) = (4, 2, 3, 1)")
    assert_close(got, batch.transpose(0, 3, 1, 2) / 255.0, TO_TENSOR, "ToTensor() of a (4, 2, 3, 1) batch")
    floats = np.full((2, 2, 1), 3.0, dtype=np.float64)
    assert_close(ToTensor()(floats), np.full((1, 2, 2), 3.0), TO_TENSOR, "ToTensor() of float64 input: not scaled")
    assert_dtype(ToTensor()(floats), np.float32, TO_TENSOR, "ToTensor() of float64 input")


# ----------------------------------------------------------------------------------- Normalize


def test_normalize_subtracts_the_mean_and_divides_by_the_std_per_channel():
    mean, std = np.array([0.25, 0.5], np.float32), np.array([0.5, 2.0], np.float32)
    expected = (IMAGES - mean[None, :, None, None]) / std[None, :, None, None]
    assert_close(Normalize(mean, std)(IMAGES), expected, NORMALIZE,
                 "Normalize((0.25, 0.5), (0.5, 2.0)) of (3, 2, 4, 5)")
    one = Normalize(mean, std)(tinytorch.tensor(IMAGES[1]))
    assert_close(one, expected[1], NORMALIZE, "Normalize((0.25, 0.5), (0.5, 2.0)) of one (2, 4, 5) image")
    assert_close(Normalize(0.5, 0.25)(IMAGES), (IMAGES - 0.5) / 0.25, NORMALIZE, "Normalize(0.5, 0.25): one mean/std")


# ---------------------------------------------------------------------------------- RandomCrop


def _expected_crops(images: np.ndarray, size: tuple[int, int], pad: int, seed: int) -> np.ndarray:
    """RandomCrop's documented draws: u = rng.random((N, 2)); corner = floor(u * number of corners)."""
    n, c, h, w = images.shape
    padded = np.zeros((n, c, h + 2 * pad, w + 2 * pad), images.dtype)
    padded[:, :, pad:pad + h, pad:pad + w] = images
    u = np.random.default_rng(seed).random((n, 2))
    rows = (u[:, 0] * (h + 2 * pad - size[0] + 1)).astype(int)
    cols = (u[:, 1] * (w + 2 * pad - size[1] + 1)).astype(int)
    return np.stack([padded[i, :, r:r + size[0], q:q + size[1]] for i, (r, q) in enumerate(zip(rows, cols))])


def test_random_crop_of_full_size_without_padding_is_the_image():
    got = RandomCrop((4, 5))(IMAGES)
    assert_close(got, IMAGES, CROP, "RandomCrop((4, 5)) of (3, 2, 4, 5) images: the only window is the image")


def test_random_crop_cuts_the_documented_windows():
    got = RandomCrop(3, padding=1, generator=tinytorch.Generator(4))(IMAGES)
    assert_shape(got, (3, 2, 3, 3), CROP, "RandomCrop(3, padding=1) of (3, 2, 4, 5) images")
    assert_close(got, _expected_crops(IMAGES, (3, 3), 1, 4), CROP,
                 "RandomCrop(3, padding=1, generator=Generator(4)): corners from rng.random((N, 2))")


def test_random_crop_pads_with_fill():
    ones = np.ones((1, 1, 2, 2), dtype=np.float32)
    got = RandomCrop(4, padding=1, fill=-1.0)(ones)  # the whole padded image: the only window
    expected = np.full((1, 1, 4, 4), -1.0, np.float32)
    expected[:, :, 1:3, 1:3] = 1.0
    assert_close(got, expected, CROP, "RandomCrop(4, padding=1, fill=-1) of a (1, 1, 2, 2) image of ones")


# ------------------------------------------------------------------------------- RandomHorizontalFlip


def test_random_horizontal_flip_with_p_one_and_zero():
    assert_close(RandomHorizontalFlip(p=1.0)(IMAGES), IMAGES[..., ::-1], FLIP,
                 "RandomHorizontalFlip(p=1) of (3, 2, 4, 5)")
    assert_close(RandomHorizontalFlip(p=0.0)(IMAGES), IMAGES, FLIP, "RandomHorizontalFlip(p=0) of (3, 2, 4, 5)")


def test_random_horizontal_flip_decides_per_image_from_the_generator():
    images = np.concatenate([IMAGES] * 4)  # 12 images
    flip = np.random.default_rng(9).random(12) < 0.5  # the documented draw: image i flips if u[i] < p
    expected = np.where(flip[:, None, None, None], images[..., ::-1], images)
    got = RandomHorizontalFlip(p=0.5, generator=tinytorch.Generator(9))(images)
    assert_close(got, expected, FLIP,
                 f"RandomHorizontalFlip(p=0.5, generator=Generator(9)): images flipped {flip.astype(int)}")
