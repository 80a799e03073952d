"""Transforms: each one on a single image equals the vectorised batch path; the randomness is right."""

from __future__ import annotations

import numpy as np
import pytest

import tinytorch
from tinytorch.data import DataLoader, TensorDataset
from tinytorch.data import transforms as T
from tinytorch.tensor import Tensor


def images(n: int = 6, c: int = 3, h: int = 5, w: int = 7, seed: int = 0) -> np.ndarray:
    """(N, C, H, W) float32 test images with distinct pixel values."""
    return np.random.default_rng(seed).random((n, c, h, w), dtype=np.float32)


def one_by_one(make, batch: np.ndarray, seed: int) -> np.ndarray:
    """Apply a freshly seeded transform to each image of the batch in turn, with one generator."""
    transform = make(tinytorch.Generator(seed))
    return np.stack([transform(image) for image in batch])


def test_to_tensor_layouts_and_scaling():
    hwc = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3) * 10  # (H, W, C)
    out = T.ToTensor()(hwc)
    assert isinstance(out, Tensor) and out.shape == (3, 2, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out.data, np.transpose(hwc, (2, 0, 1)) / 255.0, rtol=1e-6)
    assert out.data.flags.c_contiguous
    assert T.ToTensor()(np.zeros((4, 5), dtype=np.uint8)).shape == (1, 4, 5)
    batch = np.random.default_rng(0).integers(0, 256, (4, 6, 5, 3), dtype=np.uint8)  # (N, H, W, C)
    stacked = np.stack([T.ToTensor()(im).data for im in batch])
    np.testing.assert_array_equal(T.ToTensor()(batch).data, stacked)
    assert T.ToTensor()(batch).shape == (4, 3, 6, 5)
    floats = T.ToTensor()(np.full((2, 2, 1), 3.0))
    assert floats.dtype == np.float32 and floats.data.max() == 3.0  # only uint8 is scaled
    with pytest.raises(ValueError, match=r"ToTensor: expected .*got shape \(2,\)"):
        T.ToTensor()(np.zeros(2, dtype=np.uint8))


def test_normalize_single_equals_batch_and_values():
    x = images(4, 3)
    norm = T.Normalize((0.5, 0.25, 0.0), (0.5, 2.0, 1.0))
    out = norm(x)
    np.testing.assert_allclose(out[:, 0], (x[:, 0] - 0.5) / 0.5, rtol=1e-6)
    np.testing.assert_allclose(out[:, 1], (x[:, 1] - 0.25) / 2.0, rtol=1e-6)
    np.testing.assert_array_equal(np.stack([norm(im) for im in x]), out)
    assert out.dtype == np.float32
    assert isinstance(norm(Tensor._from_array(x)), Tensor)
    with pytest.raises(ValueError, match="3 means/stds for images with 1 channels"):
        norm(images(2, 1))
    with pytest.raises(ValueError, match="std must be non-zero"):
        T.Normalize((0.0,), (0.0,))


def test_channels_last_input_gets_a_hint_to_use_to_tensor():
    hwc = np.zeros((8, 32, 32, 3), dtype=np.uint8)
    for transform in (T.RandomHorizontalFlip(), T.RandomCrop(32, padding=4), T.Normalize((0.5,) * 3, (0.5,) * 3)):
        with pytest.raises(ValueError, match=r"looks channels-last.*put ToTensor\(\) before it"):
            transform(hwc)


def test_random_crop_single_equals_batch():
    x = images(8)
    make = lambda g: T.RandomCrop((4, 5), padding=2, generator=g)  # noqa: E731
    np.testing.assert_array_equal(make(tinytorch.Generator(7))(x), one_by_one(make, x, seed=7))
    tensor_out = make(tinytorch.Generator(7))(Tensor._from_array(x))
    assert isinstance(tensor_out, Tensor)
    np.testing.assert_array_equal(tensor_out.data, make(tinytorch.Generator(7))(x))


def test_random_crop_outputs_are_windows_of_the_padded_image():
    x = images(16, c=2, h=6, w=6)
    out = T.RandomCrop(6, padding=(1, 2), fill=-1.0, generator=tinytorch.Generator(3))(x)  # left/right 1, top/bottom 2
    padded = np.pad(x, ((0, 0), (0, 0), (2, 2), (1, 1)), constant_values=-1.0)  # (N, C, 10, 8)
    corners = []
    for n in range(len(x)):
        found = [(i, j) for i in range(5) for j in range(3) if np.array_equal(padded[n, :, i:i + 6, j:j + 6], out[n])]
        assert found, f"image {n} is not a window of its padded image"
        corners.append(found[0])
    assert len(set(corners)) > 3  # images get different offsets
    assert out.shape == (16, 2, 6, 6)


def test_random_crop_reaches_every_offset_and_no_padding_full_size_is_identity():
    x = np.zeros((2000, 1, 3, 3), dtype=np.float32)
    x[:, :, 1, 1] = 1.0  # a marker pixel: where it lands tells the offset
    out = T.RandomCrop(3, padding=1, generator=tinytorch.Generator(0))(x)
    positions = np.argwhere(out[:, 0] == 1.0)[:, 1:]  # (row, col) of the marker per image
    assert {tuple(p) for p in positions} == {(r, c) for r in range(3) for c in range(3)}
    counts = np.unique(positions, axis=0, return_counts=True)[1]
    assert counts.min() > 150  # 2000 / 9 = 222 expected per offset
    same = images(3)
    np.testing.assert_array_equal(T.RandomCrop((5, 7))(same), same)


def test_random_crop_argument_errors():
    with pytest.raises(ValueError, match=r"crop \(9, 9\) is larger than the padded image \(7, 9\)"):
        T.RandomCrop(9, padding=1)(images(1))
    with pytest.raises(ValueError, match="padding must be"):
        T.RandomCrop(3, padding=(1, 2, 3))
    with pytest.raises(ValueError, match="size must be"):
        T.RandomCrop(0)


def test_random_flip_single_equals_batch_and_p():
    x = images(32)
    make = lambda g: T.RandomHorizontalFlip(0.5, generator=g)  # noqa: E731
    out = make(tinytorch.Generator(11))(x)
    np.testing.assert_array_equal(out, one_by_one(make, x, seed=11))
    flipped = [np.array_equal(o, im[..., ::-1]) for o, im in zip(out, x)]
    kept = [np.array_equal(o, im) for o, im in zip(out, x)]
    assert all(f or k for f, k in zip(flipped, kept)) and 4 < sum(flipped) < 28
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1.0)(x), x[..., ::-1])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=0.0)(x), x)
    with pytest.raises(ValueError, match="p must be in"):
        T.RandomHorizontalFlip(p=1.5)


def test_random_transforms_do_not_modify_their_input():
    x = images(4)
    before = x.copy()
    T.RandomHorizontalFlip(p=1.0)(x)
    T.RandomCrop(5, padding=2)(x)
    T.Normalize((0.5,) * 3, (0.2,) * 3)(x)
    np.testing.assert_array_equal(x, before)


def test_global_generator_is_used_when_none_given():
    x = images(10)
    tinytorch.manual_seed(123)
    a = T.RandomCrop(5, padding=2)(x)
    tinytorch.manual_seed(123)
    np.testing.assert_array_equal(T.RandomCrop(5, padding=2)(x), a)


def test_compose_is_batched_only_if_all_parts_are():
    assert T.Compose([T.ToTensor(), T.Normalize((0.0,), (1.0,))]).batched
    assert not T.Compose([T.ToTensor(), lambda t: t]).batched
    assert T.Lambda(np.sqrt, batched=True).batched and not T.Lambda(np.sqrt).batched


def test_apply_batch_falls_back_to_one_call_per_item():
    calls = []

    def first_pixel(image):  # only correct on one image
        calls.append(image.shape)
        return image.reshape(-1)[0]

    out = T.apply_batch(first_pixel, np.arange(24).reshape(3, 2, 4))
    assert calls == [(2, 4)] * 3 and out.data.tolist() == [0, 8, 16]
    labels = T.apply_batch(lambda y: y * 10, np.array([1, 2, 3]))
    assert labels.dtype == np.int64 and labels.data.tolist() == [10, 20, 30]


def test_full_cifar_style_pipeline_in_the_loader_matches_per_sample():
    rng = np.random.default_rng(0)
    hwc = rng.integers(0, 256, (20, 8, 8, 3), dtype=np.uint8)
    make = lambda: T.Compose([T.ToTensor(), T.Normalize((0.5,) * 3, (0.25,) * 3)])  # noqa: E731
    ds = TensorDataset(hwc, np.arange(20), transform=make())
    (xb, yb), = DataLoader(ds, batch_size=20)
    assert xb.shape == (20, 3, 8, 8) and xb.dtype == np.float32
    per_sample = np.stack([make()(im).data for im in hwc])
    np.testing.assert_allclose(xb.data, per_sample, rtol=1e-6)
    aug = T.Compose([T.ToTensor(), T.RandomCrop(8, padding=2), T.RandomHorizontalFlip()])
    loader = DataLoader(TensorDataset(hwc, np.arange(20), transform=aug), batch_size=8, shuffle=True)
    assert [x.shape for x, _ in loader] == [(8, 3, 8, 8), (8, 3, 8, 8), (4, 3, 8, 8)]
