"""Data loading (module 07): datasets, the DataLoader, transforms, and real datasets.

    from tinytorch.data import CIFAR10, DataLoader, transforms as T

    augment = T.Compose([T.ToTensor(), T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(),
                         T.Normalize((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))])
    train = CIFAR10(train=True, transform=augment)
    for images, labels in DataLoader(train, batch_size=64, shuffle=True):   # (64, 3, 32, 32), (64,)
        ...

Batch transforms: a dataset's `transform` is applied to one sample in `ds[i]` and to a whole
batch in `ds.__getitems__(indices)`, which the DataLoader calls to build each batch in one go.
So the same transform object serves both, and augmentation runs vectorised over the batch.
Datasets: `Digits` ships with the package; `MNIST`, `FashionMNIST`, `CIFAR10` read their original
files (or an .npz) from a data folder and can download them; see `tinytorch.data.datasets`.
"""

from tinytorch.data import transforms
from tinytorch.data.collate import default_collate, default_convert
from tinytorch.data.dataloader import DataLoader
from tinytorch.data.dataset import Dataset, Subset, TensorDataset, fetch_batch, random_split
from tinytorch.data.datasets import (CIFAR10, MNIST, Digits, FashionMNIST, VisionDataset, data_root,
                                     read_cifar_binary, read_idx, read_npz)
from tinytorch.data.download import ChecksumError, DownloadError, download_url, extract_tar

__all__ = ["CIFAR10", "MNIST", "ChecksumError", "DataLoader", "Dataset", "Digits", "DownloadError",
           "FashionMNIST", "Subset", "TensorDataset", "VisionDataset", "data_root", "default_collate",
           "default_convert", "download_url", "extract_tar", "fetch_batch", "random_split",
           "read_cifar_binary", "read_idx", "read_npz", "transforms"]
