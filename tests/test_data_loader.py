"""Datasets, collate and the DataLoader: batching, shuffling, the vectorised fast path, prefetch."""

from __future__ import annotations

import gc
import threading
from collections import namedtuple

import numpy as np
import pytest

import tinytorch
from tinytorch.data import DataLoader, Dataset, Subset, TensorDataset, default_collate, default_convert, random_split
from tinytorch.tensor import Tensor


class Squares(Dataset):
    """Sample i is (array [i, i*i] float32, label i % 3): no __getitems__, so the per-sample path."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.calls = 0

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index: int):
        self.calls += 1
        return np.array([index, index * index], dtype=np.float32), index % 3


class CountingTensorDataset(TensorDataset):
    """A TensorDataset that counts how it is accessed."""

    def __init__(self, *tensors) -> None:
        super().__init__(*tensors)
        self.item_calls = 0
        self.batch_calls = 0

    def __getitem__(self, index):
        self.item_calls += 1
        return super().__getitem__(index)

    def __getitems__(self, indices):
        self.batch_calls += 1
        return super().__getitems__(indices)


def all_labels(loader) -> list[int]:
    return [int(v) for _, y in loader for v in y.data]


# ------------------------------------------------------------------------------------ collate

def test_collate_stacks_arrays_and_tensors_keeping_dtype():
    batch = default_collate([np.full((2, 3), i, dtype=np.uint8) for i in range(4)])
    assert isinstance(batch, Tensor) and batch.shape == (4, 2, 3) and batch.dtype == np.uint8
    assert batch.data[:, 0, 0].tolist() == [0, 1, 2, 3]
    tensors = default_collate([tinytorch.tensor([1.0, 2.0]), tinytorch.tensor([3.0, 4.0])])
    np.testing.assert_array_equal(tensors.data, [[1, 2], [3, 4]])
    assert tensors.dtype == np.float32


def test_collate_numbers_become_int64_float32_bool():
    assert default_collate([1, 2, 3]).dtype == np.int64
    assert default_collate([np.uint8(1), np.uint8(7)]).dtype == np.int64  # labels from uint8 files
    floats = default_collate([0.5, 1.5])
    assert floats.dtype == np.float32 and floats.data.tolist() == [0.5, 1.5]
    assert default_collate([True, False]).dtype == np.bool_
    assert default_collate(["a", "b"]) == ["a", "b"]


def test_collate_recurses_into_tuples_lists_dicts_namedtuples():
    Pair = namedtuple("Pair", ["x", "y"])
    x, y = default_collate([(np.zeros(2), 1), (np.ones(2), 2)])
    assert x.shape == (2, 2) and y.data.tolist() == [1, 2]
    as_list = default_collate([[np.zeros(2), 1], [np.ones(2), 2]])
    assert isinstance(as_list, list) and len(as_list) == 2
    d = default_collate([{"img": np.zeros((1, 2)), "label": 3}, {"img": np.ones((1, 2)), "label": 4}])
    assert d["img"].shape == (2, 1, 2) and d["label"].data.tolist() == [3, 4]
    p = default_collate([Pair(np.zeros(3), 0), Pair(np.ones(3), 1)])
    assert isinstance(p, Pair) and p.x.shape == (2, 3) and p.y.data.tolist() == [0, 1]


def test_collate_errors_name_the_problem():
    with pytest.raises(ValueError, match="empty batch"):
        default_collate([])
    with pytest.raises(ValueError, match=r"different shapes \[\(2,\), \(3,\)\]"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(ValueError, match="different numbers of fields"):
        default_collate([(1, 2), (1, 2, 3)])
    with pytest.raises(TypeError, match="cannot batch samples of type object"):
        default_collate([object(), object()])


def test_default_convert_wraps_arrays_without_copying():
    images = np.zeros((4, 3), dtype=np.float32)
    out = default_convert((images, {"y": np.arange(4)}, 7))
    assert isinstance(out, tuple) and out[0].data is images
    assert isinstance(out[1]["y"], Tensor) and out[2] == 7


# ------------------------------------------------------------------------------------ datasets

def test_tensor_dataset_rows_and_batches():
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = tinytorch.tensor(np.arange(10) % 2)
    ds = TensorDataset(x, y)
    assert len(ds) == 10
    xi, yi = ds[3]
    assert isinstance(xi, Tensor) and xi.data.tolist() == [6.0, 7.0] and yi.shape == () and int(yi.data) == 1
    xb, yb = ds.__getitems__([3, 0, 9])
    np.testing.assert_array_equal(xb.data, x[[3, 0, 9]])
    assert yb.dtype == np.int64 and yb.data.tolist() == [1, 0, 1]
    with pytest.raises(ValueError, match=r"same first dimension.*\(10, 2\), \(9,\)"):
        TensorDataset(x, np.arange(9))
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorDataset()


def test_tensor_dataset_transform_sees_rows_and_batches():
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    shapes = []

    def record(t):
        shapes.append(t.shape)
        return t

    record.batched = True
    ds = TensorDataset(x, np.arange(6), transform=record)
    ds[0]
    ds.__getitems__([1, 2, 3])
    assert shapes == [(2,), (3, 2)]


def test_subset_and_its_fast_path():
    base = CountingTensorDataset(np.arange(10) * 10, np.arange(10))
    sub = Subset(base, [7, 2, 5])
    assert len(sub) == 3 and int(sub[0][0].data) == 70
    xb, _ = DataLoader(sub, batch_size=3).__iter__().__next__()
    assert xb.data.tolist() == [70, 20, 50]
    assert base.batch_calls == 1 and base.item_calls == 1  # only the sub[0] above went sample by sample
    plain = Subset(Squares(6), [5, 1])
    x, y = next(iter(DataLoader(plain, batch_size=2)))
    assert x.data[:, 1].tolist() == [25.0, 1.0] and y.data.tolist() == [2, 1]


def test_random_split_sizes_disjoint_and_reproducible():
    ds = TensorDataset(np.arange(10))
    parts = random_split(ds, [3, 7], generator=tinytorch.Generator(0))
    assert [len(p) for p in parts] == [3, 7]
    assert sorted(np.concatenate([p.indices for p in parts]).tolist()) == list(range(10))
    again = random_split(ds, [3, 7], generator=tinytorch.Generator(0))
    assert parts[0].indices.tolist() == again[0].indices.tolist()
    other = random_split(ds, [3, 7], generator=tinytorch.Generator(1))
    assert parts[0].indices.tolist() != other[0].indices.tolist()
    # fractions: floor each, then the remainder goes to the first parts, one each (as in PyTorch)
    assert [len(p) for p in random_split(ds, [0.33, 0.33, 0.34])] == [4, 3, 3]
    assert [len(p) for p in random_split(ds, [0.8, 0.2])] == [8, 2]


def test_random_split_errors():
    ds = TensorDataset(np.arange(10))
    with pytest.raises(ValueError, match=r"sum to 9, but the dataset has 10"):
        random_split(ds, [4, 5])
    with pytest.raises(ValueError, match="fractions must be in"):
        random_split(ds, [0.5, 0.6])


# ------------------------------------------------------------------------------------ the loader

def test_len_and_last_batch():
    ds = TensorDataset(np.arange(10), np.arange(10))
    assert len(DataLoader(ds, batch_size=3)) == 4
    assert len(DataLoader(ds, batch_size=3, drop_last=True)) == 3
    assert len(DataLoader(ds, batch_size=5, drop_last=True)) == 2
    sizes = [len(y.data) for _, y in DataLoader(ds, batch_size=3)]
    assert sizes == [3, 3, 3, 1]
    sizes = [len(y.data) for _, y in DataLoader(ds, batch_size=3, drop_last=True)]
    assert sizes == [3, 3, 3]
    assert all_labels(DataLoader(ds, batch_size=4)) == list(range(10))


def test_shuffle_is_a_permutation_reproducible_and_new_each_epoch():
    ds = TensorDataset(np.arange(50), np.arange(50))
    loader = DataLoader(ds, batch_size=8, shuffle=True, generator=tinytorch.Generator(42))
    epoch1, epoch2 = all_labels(loader), all_labels(loader)
    assert sorted(epoch1) == list(range(50)) and sorted(epoch2) == list(range(50))
    assert epoch1 != list(range(50)) and epoch1 != epoch2
    replay = DataLoader(ds, batch_size=8, shuffle=True, generator=tinytorch.Generator(42))
    assert all_labels(replay) == epoch1 and all_labels(replay) == epoch2
    tinytorch.manual_seed(3)
    global_1 = all_labels(DataLoader(ds, batch_size=8, shuffle=True))
    tinytorch.manual_seed(3)
    assert all_labels(DataLoader(ds, batch_size=8, shuffle=True)) == global_1


def test_drop_last_with_shuffle_drops_samples_not_batches_of_the_same_indices():
    ds = TensorDataset(np.arange(10), np.arange(10))
    loader = DataLoader(ds, batch_size=4, shuffle=True, drop_last=True, generator=tinytorch.Generator(0))
    seen = all_labels(loader)
    assert len(seen) == 8 and len(set(seen)) == 8


def test_fast_path_fetches_each_batch_in_one_call():
    ds = CountingTensorDataset(np.arange(100, dtype=np.float32).reshape(50, 2), np.arange(50))
    batches = list(DataLoader(ds, batch_size=16, shuffle=True, generator=tinytorch.Generator(1)))
    assert ds.batch_calls == 4 and ds.item_calls == 0
    slow = list(DataLoader(ds, batch_size=16, shuffle=True, generator=tinytorch.Generator(1),
                           collate_fn=default_collate))  # a collate_fn means sample by sample
    assert ds.item_calls == 50
    for (xf, yf), (xs, ys) in zip(batches, slow):
        np.testing.assert_array_equal(xf.data, xs.data)
        assert yf.dtype == ys.dtype == np.int64
        np.testing.assert_array_equal(yf.data, ys.data)


def test_per_sample_path_and_custom_collate():
    ds = Squares(7)
    x, y = next(iter(DataLoader(ds, batch_size=4)))
    assert x.shape == (4, 2) and x.dtype == np.float32 and y.dtype == np.int64
    assert y.data.tolist() == [0, 1, 2, 0]
    sums = list(DataLoader(ds, batch_size=4, collate_fn=lambda samples: sum(s[1] for s in samples)))
    assert sums == [3, 3]


def test_loader_argument_errors():
    ds = TensorDataset(np.arange(4))
    with pytest.raises(ValueError, match="batch_size must be a positive int, got 0"):
        DataLoader(ds, batch_size=0)
    with pytest.raises(ValueError, match="prefetch must be an int >= 0"):
        DataLoader(ds, prefetch=-1)


# ------------------------------------------------------------------------------------ prefetch

class Failing(Dataset):
    """Raises on sample `bad`."""

    def __init__(self, n: int, bad: int) -> None:
        self.n, self.bad = n, bad

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index: int):
        if index == self.bad:
            raise KeyError(f"sample {index} is broken")
        return np.float32(index)


def test_prefetch_gives_the_same_batches():
    ds = TensorDataset(np.arange(40), np.arange(40))
    plain = all_labels(DataLoader(ds, batch_size=6, shuffle=True, generator=tinytorch.Generator(5)))
    ahead = all_labels(DataLoader(ds, batch_size=6, shuffle=True, generator=tinytorch.Generator(5), prefetch=2))
    assert plain == ahead


def test_prefetch_propagates_exceptions_with_their_type():
    loader = DataLoader(Failing(10, bad=5), batch_size=2, prefetch=2)
    it = iter(loader)
    assert next(it).data.tolist() == [0, 1] and next(it).data.tolist() == [2, 3]
    with pytest.raises(KeyError, match="sample 5 is broken"):
        next(it)
    with pytest.raises(StopIteration):
        next(it)
    assert not it._thread.is_alive()


def test_prefetch_thread_stops_when_iterator_is_dropped():
    ds = TensorDataset(np.arange(1000), np.arange(1000))
    it = iter(DataLoader(ds, batch_size=1, prefetch=2))
    next(it)
    thread = it._thread
    assert thread.is_alive()  # blocked on the full queue, 998 batches to go
    del it
    gc.collect()
    thread.join(timeout=5)
    assert not thread.is_alive()


def test_prefetch_close_and_normal_end_leave_no_thread():
    before = threading.active_count()
    ds = TensorDataset(np.arange(100), np.arange(100))
    it = iter(DataLoader(ds, batch_size=10, prefetch=3))
    next(it)
    it.close()
    assert not it._thread.is_alive()
    assert len(list(DataLoader(ds, batch_size=10, prefetch=3))) == 10
    assert threading.active_count() == before
