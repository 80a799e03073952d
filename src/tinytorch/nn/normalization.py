"""Module 09 — batch normalisation: `BatchNorm1d` and `BatchNorm2d`.

Each channel is normalised to mean 0 and variance 1 over the batch (and, for images, over every
position), then scaled and shifted by learned `weight` and `bias`. Training uses the batch's own
statistics and keeps running averages of them; evaluation (`model.eval()`) uses those running
averages, so a prediction does not depend on the rest of its batch.
"""

from __future__ import annotations

from tinytorch.nn import init
from tinytorch.nn.functional_spatial import batch_norm
from tinytorch.nn.module import Module
from tinytorch.nn.parameter import Parameter
from tinytorch.tensor import Tensor, get_default_dtype, int64, ones, tensor, zeros


class _BatchNorm(Module):
    """What BatchNorm1d and BatchNorm2d share; they differ only in the input shapes they accept.

    momentum: the weight of the newest batch in the running statistics; None keeps a cumulative
    (equal-weight) average over all batches seen instead. track_running_stats=False keeps no running
    statistics: evaluation then normalises with the batch's statistics too.
    """

    dims: tuple[int, ...] = ()  # the input ranks this layer accepts
    shapes = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, dtype: object = None) -> None:
        super().__init__()
        if not isinstance(num_features, int) or num_features < 1:
            raise ValueError(f"{type(self).__name__}: num_features must be a positive int, got {num_features!r}")
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        dtype = dtype or get_default_dtype()
        self.weight = Parameter(ones(num_features, dtype=dtype)) if affine else None
        self.bias = Parameter(zeros(num_features, dtype=dtype)) if affine else None
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", tensor(0, dtype=int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in self.dims:
            raise ValueError(f"{self!r}: expected input of shape {self.shapes}, got shape {input.shape}")
        # BEGIN SOLUTION 09
        factor = self.momentum or 0.0  # the weight of this batch in the running statistics
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
            if self.momentum is None:  # cumulative average: the n-th batch weighs 1/n
                factor = 1.0 / float(self.num_batches_tracked.data)
        use_batch_stats = self.training or self.running_mean is None
        return batch_norm(input, self.running_mean, self.running_var, self.weight, self.bias, use_batch_stats,
                          factor, self.eps, op=repr(self))
        # END SOLUTION

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of features (N, C) or of sequences (N, C, L), per channel C."""

    dims = (2, 3)
    shapes = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of images (N, C, H, W), per channel C."""

    dims = (4,)
    shapes = "(N, C, H, W)"
