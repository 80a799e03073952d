"""Real-format readers (IDX, CIFAR-10 binary, .npz) on tiny files written here; MNIST, CIFAR10, Digits."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import numpy as np
import pytest

import tinytorch
from tinytorch.data import (
    CIFAR10,
    MNIST,
    DataLoader,
    Digits,
    FashionMNIST,
    data_root,
    read_cifar_binary,
    read_idx,
    read_npz,
)
from tinytorch.data import transforms as T
from tinytorch.tensor import Tensor

IDX_CODES = {"u1": 0x08, "i1": 0x09, "i2": 0x0B, "i4": 0x0C, "f4": 0x0D, "f8": 0x0E}


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX encoding of `array`: magic 00 00 <type> <ndim>, big-endian sizes, big-endian values."""
    code = IDX_CODES[f"{array.dtype.kind}{array.dtype.itemsize}"]
    header = bytes([0, 0, code, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_mnist(folder: Path, n_train: int = 12, n_test: int = 5, gz: bool = True, seed: int = 0) -> dict:
    """Four IDX files in `folder`, named as in the original release; returns the arrays written."""
    rng = np.random.default_rng(seed)
    arrays = {split: (rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n, dtype=np.uint8))
              for split, n in (("train", n_train), ("t10k", n_test))}
    folder.mkdir(parents=True, exist_ok=True)
    for split, (x, y) in arrays.items():
        for name, array in ((f"{split}-images-idx3-ubyte", x), (f"{split}-labels-idx1-ubyte", y)):
            data = idx_bytes(array)
            if gz:
                (folder / f"{name}.gz").write_bytes(gzip.compress(data))
            else:
                (folder / name).write_bytes(data)
    return arrays


def cifar_bytes(images: np.ndarray, labels: np.ndarray) -> bytes:
    """CIFAR-10 binary records from (N, 32, 32, 3) images: label byte, then R, G, B planes."""
    planes = images.transpose(0, 3, 1, 2).reshape(len(images), -1)  # (N, 3072)
    return np.concatenate([labels.astype(np.uint8)[:, None], planes], axis=1).tobytes()


def write_cifar(root: Path, per_file: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    folder = root / "cifar-10-batches-bin"
    folder.mkdir(parents=True, exist_ok=True)
    x = rng.integers(0, 256, (6 * per_file, 32, 32, 3), dtype=np.uint8)
    y = rng.integers(0, 10, 6 * per_file)
    names = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
    for i, name in enumerate(names):
        part = slice(i * per_file, (i + 1) * per_file)
        (folder / name).write_bytes(cifar_bytes(x[part], y[part]))
    n = 5 * per_file
    return x[:n], y[:n], x[n:], y[n:]


@pytest.fixture
def small_cifar(monkeypatch):
    monkeypatch.setattr(CIFAR10, "records_per_file", 3)


# ------------------------------------------------------------------------------------ IDX

@pytest.mark.parametrize("dtype", ["u1", "i1", "i2", "i4", "f4", "f8"])
@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_round_trip(tmp_path, dtype, gz):
    array = (np.arange(24) - 5).reshape(2, 3, 4).astype(dtype)
    data = idx_bytes(array)
    path = tmp_path / "a.idx"
    path.write_bytes(gzip.compress(data) if gz else data)
    out = read_idx(path)
    assert out.dtype == np.dtype(dtype).newbyteorder("=") and out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out, array)
    out[0, 0, 0] = 1  # a writable copy


def test_read_idx_magic_numbers(tmp_path):
    labels = tmp_path / "labels"
    labels.write_bytes(idx_bytes(np.arange(5, dtype=np.uint8)))
    assert read_idx(labels, magic=2049).tolist() == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match=rf"read_idx: {labels}.* magic number 2049, expected 2051"):
        read_idx(labels, magic=2051)
    not_idx = tmp_path / "notes.txt"
    not_idx.write_bytes(b"hello world")
    with pytest.raises(ValueError, match=rf"{not_idx} is not an IDX file: it starts with bytes '68 65 6c 6c'"):
        read_idx(not_idx)


def test_read_idx_truncated_and_corrupt(tmp_path):
    data = idx_bytes(np.zeros((3, 28, 28), dtype=np.uint8))  # 16-byte header + 2352 bytes
    short = tmp_path / "short-idx3-ubyte"
    short.write_bytes(data[:-100])
    with pytest.raises(ValueError, match=rf"{short} is truncated or corrupt: .*shape \(3, 28, 28\), 2368 bytes, "
                                         r"but it has 2268 bytes"):
        read_idx(short)
    long = tmp_path / "long"
    long.write_bytes(data + b"\0")
    with pytest.raises(ValueError, match="2368 bytes, but it has 2369 bytes"):
        read_idx(long)
    header_only = tmp_path / "header"
    header_only.write_bytes(data[:9])
    with pytest.raises(ValueError, match="9 bytes, shorter than its 16-byte header"):
        read_idx(header_only)
    cut_gz = tmp_path / "cut.gz"
    cut_gz.write_bytes(gzip.compress(data)[:-30])
    with pytest.raises(ValueError, match=rf"read_idx: {cut_gz} is a corrupt or truncated gzip file"):
        read_idx(cut_gz)
    bad_crc = bytearray(gzip.compress(data))
    bad_crc[-6] ^= 0xFF
    (tmp_path / "crc.gz").write_bytes(bytes(bad_crc))
    with pytest.raises(ValueError, match="corrupt or truncated gzip"):
        read_idx(tmp_path / "crc.gz")


# ------------------------------------------------------------------------------------ CIFAR binary

def test_read_cifar_binary_layout(tmp_path):
    images = np.zeros((2, 32, 32, 3), dtype=np.uint8)
    images[0, :, :, 0] = 200  # image 0: red
    images[1, 0, 5, 2] = 77   # image 1: one blue pixel at row 0, column 5
    path = tmp_path / "b.bin"
    path.write_bytes(cifar_bytes(images, np.array([3, 9])))
    raw = path.read_bytes()
    assert raw[0] == 3 and raw[1] == 200 and raw[1 + 1024] == 0  # label, then the red plane
    assert raw[3073] == 9 and raw[3073 + 1 + 2048 + 5] == 77  # blue plane, row 0, column 5
    x, y = read_cifar_binary(path)
    np.testing.assert_array_equal(x, images)
    assert y.dtype == np.int64 and y.tolist() == [3, 9] and x.flags.c_contiguous


def test_read_cifar_binary_errors(tmp_path):
    good = cifar_bytes(np.zeros((2, 32, 32, 3), dtype=np.uint8), np.array([1, 2]))
    cut = tmp_path / "cut.bin"
    cut.write_bytes(good[:-10])
    with pytest.raises(ValueError, match=rf"{cut} has 6136 bytes; expected a whole number of records "
                                         r"\(a record is 3073 bytes"):
        read_cifar_binary(cut)
    whole = tmp_path / "whole.bin"
    whole.write_bytes(good)
    with pytest.raises(ValueError, match=r"has 6146 bytes; expected 10000 records = 30730000 bytes"):
        read_cifar_binary(whole, records=10_000)
    (tmp_path / "empty.bin").write_bytes(b"")
    with pytest.raises(ValueError, match="has 0 bytes"):
        read_cifar_binary(tmp_path / "empty.bin")
    bad_label = bytearray(good)
    bad_label[3073] = 11
    (tmp_path / "label.bin").write_bytes(bytes(bad_label))
    with pytest.raises(ValueError, match="record 1 has label 11; labels are 0-9"):
        read_cifar_binary(tmp_path / "label.bin")


# ------------------------------------------------------------------------------------ npz

def save_npz(path: Path, **arrays) -> Path:
    np.savez(path, **arrays)
    return path


def test_read_npz_valid_and_label_dtype(tmp_path):
    x = np.zeros((4, 28, 28), dtype=np.uint8)
    path = save_npz(tmp_path / "m.npz", x_train=x, y_train=np.arange(4, dtype=np.uint8), x_test=x[:2],
                    y_test=np.array([1, 2], dtype=np.uint8))
    xs, ys = read_npz(path, train=False, image_shape=(28, 28))
    assert xs.shape == (2, 28, 28) and ys.dtype == np.int64 and ys.tolist() == [1, 2]


def test_read_npz_errors(tmp_path):
    x = np.zeros((4, 28, 28), dtype=np.uint8)
    missing = save_npz(tmp_path / "missing.npz", x_train=x)
    with pytest.raises(ValueError, match=r"missing.npz has no y_train; it has \['x_train'\]"):
        read_npz(missing, True, (28, 28))
    wrong = save_npz(tmp_path / "wrong.npz", x_train=x.astype(np.float32), y_train=np.arange(4))
    with pytest.raises(ValueError, match=r"x_train is float32 \(4, 28, 28\), expected uint8 \(N, 28, 28\)"):
        read_npz(wrong, True, (28, 28))
    nchw = save_npz(tmp_path / "nchw.npz", x_train=np.zeros((4, 3, 32, 32), np.uint8), y_train=np.arange(4))
    with pytest.raises(ValueError, match=r"expected uint8 \(N, 32, 32, 3\)"):
        read_npz(nchw, True, (32, 32, 3))
    count = save_npz(tmp_path / "count.npz", x_train=x, y_train=np.arange(3))
    with pytest.raises(ValueError, match=r"y_train is int64 \(3,\), expected integers \(4,\)"):
        read_npz(count, True, (28, 28))
    pickled = save_npz(tmp_path / "pickled.npz", x_train=x, y_train=np.array([object()] * 4))
    with pytest.raises(ValueError, match="corrupt or holds non-plain arrays"):
        read_npz(pickled, True, (28, 28))
    good = save_npz(tmp_path / "good.npz", x_train=x, y_train=np.arange(4)).read_bytes()
    (tmp_path / "cut.npz").write_bytes(good[: len(good) // 2])
    with pytest.raises(ValueError, match=r"cut.npz is not a readable .npz archive"):
        read_npz(tmp_path / "cut.npz", True, (28, 28))
    np.save(tmp_path / "single.npy", x)
    with pytest.raises(ValueError, match="holds a single array"):
        read_npz(tmp_path / "single.npy", True, (28, 28))


# ------------------------------------------------------------------------------------ MNIST

@pytest.mark.parametrize("gz", [True, False])
def test_mnist_from_idx_files(tmp_path, gz):
    arrays = write_mnist(tmp_path / "mnist", gz=gz)
    train, test = MNIST(tmp_path), MNIST(tmp_path, train=False)
    assert len(train) == 12 and len(test) == 5
    np.testing.assert_array_equal(train.data, arrays["train"][0])
    assert train.data.dtype == np.uint8 and train.targets.dtype == np.int64
    np.testing.assert_array_equal(test.targets, arrays["t10k"][1])
    image, label = train[3]
    assert image.shape == (28, 28, 1) and image.dtype == np.uint8 and label == int(arrays["train"][1][3])
    assert isinstance(label, int)


def test_mnist_batch_path_equals_samples(tmp_path):
    write_mnist(tmp_path / "mnist")
    ds = MNIST(tmp_path, transform=T.Compose([T.ToTensor(), T.Normalize((0.1307,), (0.3081,))]),
               target_transform=T.Lambda(lambda y: y + 100))
    xb, yb = ds.__getitems__([4, 0, 7])
    assert xb.shape == (3, 1, 28, 28) and xb.dtype == np.float32
    np.testing.assert_allclose(xb.data, np.stack([ds[i][0].data for i in (4, 0, 7)]), rtol=1e-6)
    assert yb.data.tolist() == [ds[i][1] for i in (4, 0, 7)] and min(yb.data) >= 100
    for x, y in DataLoader(ds, batch_size=5, shuffle=True, generator=tinytorch.Generator(0)):
        assert isinstance(x, Tensor) and x.shape[1:] == (1, 28, 28) and y.dtype == np.int64
    raw = MNIST(tmp_path)
    xr, yr = next(iter(DataLoader(raw, batch_size=4)))
    assert xr.shape == (4, 28, 28, 1) and xr.dtype == np.uint8 and yr.dtype == np.int64


def test_mnist_from_npz_and_idx_takes_precedence(tmp_path):
    x = np.full((3, 28, 28), 9, dtype=np.uint8)
    save_npz(tmp_path / "mnist.npz", x_train=x, y_train=np.array([1, 2, 3], np.uint8), x_test=x[:1],
             y_test=np.array([4], np.uint8))
    ds = MNIST(tmp_path)
    assert len(ds) == 3 and ds.targets.tolist() == [1, 2, 3]
    assert MNIST(tmp_path, train=False).targets.tolist() == [4]
    write_mnist(tmp_path / "mnist")
    assert len(MNIST(tmp_path)) == 12


def test_mnist_missing_files_say_where_to_put_them(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        MNIST(tmp_path / "nowhere")
    message = str(info.value)
    for expected in ("train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", str(tmp_path / "nowhere" / "mnist"),
                     str(tmp_path / "nowhere" / "mnist.npz"), "x_train (60000, 28, 28) uint8", "download=True"):
        assert expected in message


def test_mnist_rejects_mismatched_or_swapped_files(tmp_path):
    folder = tmp_path / "mnist"
    write_mnist(folder, gz=False)
    (folder / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(11, dtype=np.uint8)))
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte holds images \(12, 28, 28\) and "
                                         r"train-labels-idx1-ubyte labels \(11,\)"):
        MNIST(tmp_path)
    (folder / "train-images-idx3-ubyte").write_bytes(idx_bytes(np.zeros(12, dtype=np.uint8)))
    with pytest.raises(ValueError, match="magic number 2049, expected 2051"):
        MNIST(tmp_path)
    (folder / "train-images-idx3-ubyte").write_bytes(idx_bytes(np.zeros((2, 28, 28), dtype=np.uint8)))
    (folder / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.array([3, 12], dtype=np.uint8)))
    with pytest.raises(ValueError, match=r"labels must be in 0..9, found 3..12"):
        MNIST(tmp_path)


def test_fashion_mnist_has_its_own_folder_and_classes(tmp_path):
    write_mnist(tmp_path / "fashion_mnist", seed=1)
    ds = FashionMNIST(tmp_path)
    assert len(ds) == 12 and ds.classes[9] == "Ankle boot"
    with pytest.raises(FileNotFoundError, match="fashion_mnist"):
        MNIST(tmp_path)


def test_data_root_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv("TINYTORCH_DATA", str(tmp_path / "env"))
    assert data_root() == tmp_path / "env"
    assert data_root(tmp_path / "given") == tmp_path / "given"
    write_mnist(tmp_path / "env" / "mnist")
    assert len(MNIST()) == 12
    monkeypatch.delenv("TINYTORCH_DATA")
    assert data_root() == Path.home() / ".cache" / "tinytorch"


# ------------------------------------------------------------------------------------ CIFAR10

def test_cifar10_from_binary_batches(tmp_path, small_cifar):
    x_train, y_train, x_test, y_test = write_cifar(tmp_path)
    train, test = CIFAR10(tmp_path), CIFAR10(tmp_path, train=False)
    assert train.data.shape == (15, 32, 32, 3) and train.data.dtype == np.uint8
    np.testing.assert_array_equal(train.data, x_train)
    np.testing.assert_array_equal(test.targets, y_test)
    assert train.targets.dtype == np.int64 and train.classes[0] == "airplane"
    aug = T.Compose([T.ToTensor(), T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(),
                     T.Normalize((0.49, 0.48, 0.45), (0.25, 0.24, 0.26))])
    loader = DataLoader(CIFAR10(tmp_path, transform=aug), batch_size=4, shuffle=True, drop_last=True)
    batches = list(loader)
    assert len(batches) == 3 and all(x.shape == (4, 3, 32, 32) and x.dtype == np.float32 for x, _ in batches)


def test_cifar10_truncated_batch_names_the_file(tmp_path, small_cifar):
    write_cifar(tmp_path)
    batch3 = tmp_path / "cifar-10-batches-bin" / "data_batch_3.bin"
    batch3.write_bytes(batch3.read_bytes()[:-3073])  # one whole record missing
    with pytest.raises(ValueError, match=rf"{batch3} has 6146 bytes; expected 3 records = 9219 bytes"):
        CIFAR10(tmp_path)
    assert len(CIFAR10(tmp_path, train=False)) == 3


def test_cifar10_npz_choice(tmp_path):
    x = np.zeros((2, 32, 32, 3), dtype=np.uint8)
    save_npz(tmp_path / "cifar10_small.npz", x_train=x, y_train=np.array([1, 2]), x_test=x, y_test=np.array([3, 4]))
    assert CIFAR10(tmp_path).targets.tolist() == [1, 2]
    save_npz(tmp_path / "cifar10_other.npz", x_train=x, y_train=np.array([5, 6]), x_test=x, y_test=np.array([7, 8]))
    with pytest.raises(ValueError, match=r"several archives could be meant.*'cifar10_other.npz', 'cifar10_small.npz'"):
        CIFAR10(tmp_path)
    save_npz(tmp_path / "cifar10_jpeg.npz", x_train=x, y_train=np.array([2, 7]), x_test=x, y_test=np.array([3, 4]))
    assert CIFAR10(tmp_path).targets.tolist() == [2, 7]  # a JPEG-decoded copy beats a sample, unnamed
    save_npz(tmp_path / "cifar10.npz", x_train=x, y_train=np.array([0, 9]), x_test=x, y_test=np.array([3, 4]))
    assert CIFAR10(tmp_path).targets.tolist() == [0, 9]  # the original pixels beat a JPEG-decoded copy


def test_cifar10_missing_files_say_where_to_put_them(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        CIFAR10(tmp_path)
    message = str(info.value)
    for expected in ("data_batch_1.bin", "test_batch.bin", str(tmp_path / "cifar-10-batches-bin"),
                     "cifar-10-binary.tar.gz", str(tmp_path / "cifar10.npz"), "(50000, 32, 32, 3)"):
        assert expected in message


# ------------------------------------------------------------------------------------ Digits

def test_digits_ship_with_the_package():
    train, test = Digits(), Digits(train=False)
    assert train.data.shape == (1437, 8, 8) and test.data.shape == (360, 8, 8)
    assert train.data.dtype == np.uint8 and train.targets.dtype == np.int64
    assert np.bincount(train.targets).tolist() == [142, 145, 142, 146, 145, 146, 145, 143, 139, 144]
    assert np.bincount(test.targets).tolist() == [36, 37, 35, 37, 36, 36, 36, 36, 35, 36]
    values = np.unique(np.concatenate([train.data.ravel(), test.data.ravel()]))
    assert values.tolist() == [k * 255 // 16 for k in range(17)]  # the 17 source levels 0..16, rescaled
    x, y = next(iter(DataLoader(Digits(transform=T.ToTensor()), batch_size=32)))
    assert x.shape == (32, 1, 8, 8) and 0.0 <= x.data.min() and x.data.max() <= 1.0


def test_digits_are_real_digits_with_attribution():
    assets = Path(tinytorch.__file__).parent / "data" / "assets"
    readme = (assets / "README.md").read_text(encoding="utf-8")
    assert "CC BY 4.0" in readme and "Alpaydin" in readme and "10.24432/C50P49" in readme
    with np.load(io.BytesIO((assets / "digits.npz").read_bytes()), allow_pickle=False) as archive:
        assert archive["x_train"].max() == 16
    train = Digits()
    # the mean image of each digit is closest to its own class mean on the test set: real, learnable data
    means = np.stack([train.data[train.targets == d].mean(0) for d in range(10)]).reshape(10, -1)
    test = Digits(train=False)
    distances = ((test.data.reshape(len(test), 1, -1).astype(np.float64) - means) ** 2).sum(-1)
    assert (distances.argmin(1) == test.targets).mean() > 0.85
