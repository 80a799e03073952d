"""Bad input fails at once, with a message naming the operation and the shapes (or values) at fault."""

from __future__ import annotations

import pytest

import tinytorch
from tinytorch import ones, tensor


@pytest.mark.parametrize(
    "action, error, message",
    [
        # matmul
        (lambda: ones(2, 3) @ ones(2, 3), ValueError,
         r"matmul: shapes \(2, 3\) and \(2, 3\) are not aligned: the last dim of the first \(3\) must equal the "
         r"second-to-last dim of the second \(2\)"),
        (lambda: ones(3) @ ones(4), ValueError, r"matmul: shapes \(3,\) and \(4,\) are not aligned"),
        (lambda: ones(2, 3, 4) @ ones(5, 4, 2), ValueError,
         r"matmul \(batch dimensions\): shapes \(2,\) and \(5,\) cannot be broadcast"),
        (lambda: tinytorch.matmul(tensor(2.0), ones(2)), ValueError,
         r"matmul: both arguments need at least 1 dimension, got shapes \(\) and \(2,\)"),
        # broadcasting, named by the operation
        (lambda: ones(2, 3) + ones(3, 2), ValueError, r"add: shapes \(2, 3\) and \(3, 2\) cannot be broadcast"),
        (lambda: ones(2, 3) - ones(4), ValueError, r"sub: shapes \(2, 3\) and \(4,\) cannot be broadcast"),
        (lambda: ones(2, 3) * ones(2), ValueError, r"mul: shapes \(2, 3\) and \(2,\)"),
        (lambda: ones(2, 3) / ones(3, 3), ValueError, r"div: shapes \(2, 3\) and \(3, 3\)"),
        (lambda: ones(5) ** ones(4), ValueError, r"pow: shapes \(5,\) and \(4,\)"),
        (lambda: tinytorch.maximum(ones(2, 3), ones(4)), ValueError, r"maximum: shapes \(2, 3\) and \(4,\)"),
        (lambda: ones(2) < ones(3), ValueError, r"less: shapes \(2,\) and \(3,\)"),
        (lambda: tinytorch.where(ones(2) > 0, ones(3), ones(3)), ValueError, r"where: shapes \(2,\) and \(3,\)"),
        # joining
        (lambda: tinytorch.cat([ones(2, 3), ones(2, 4)]), ValueError,
         r"cat: tensor 1 has shape \(2, 4\) but tensor 0 has \(2, 3\); all sizes must match except in dimension 0"),
        (lambda: tinytorch.cat([ones(2, 3), ones(3)], dim=1), ValueError, r"cat: tensor 1 has shape \(3,\)"),
        (lambda: tinytorch.cat([]), ValueError, "cat: expected a non-empty list"),
        (lambda: tinytorch.cat([tensor(1.0), tensor(2.0)]), ValueError, "cat: expected a tensor with at least 1 dim"),
        (lambda: tinytorch.stack([ones(2), ones(3)]), ValueError,
         r"stack: all tensors must have the same shape, got \[\(2,\), \(3,\)\]"),
        (lambda: tinytorch.split(ones(5), [2, 2]), ValueError, r"split: sizes \[2, 2\] sum to 4, but dim 0 has size 5"),
        # shapes
        (lambda: ones(2, 3).reshape(4, 2), ValueError,
         r"reshape: shape \(4, 2\) is invalid for a tensor of shape \(2, 3\) \(6 elements\)"),
        (lambda: ones(2, 3).view(-1, 4), ValueError, r"reshape: shape \(-1, 4\) is invalid for a tensor of shape"),
        (lambda: ones(2, 3).reshape(-1, -1), ValueError, r"reshape: only one dimension can be -1"),
        (lambda: ones(3).expand(2, 4), ValueError, r"expand: shape \(3,\) cannot be expanded to \(2, 4\)"),
        (lambda: ones(2, 3).permute(0, 0), ValueError,
         r"permute: \(0, 0\) is not a permutation of the 2 dims of shape \(2, 3\)"),
        (lambda: ones(2, 3).transpose(0, 2), IndexError, r"transpose: dim 2 is out of range for a tensor of shape"),
        (lambda: ones(2, 3).unsqueeze(3), IndexError, "unsqueeze: dim 3 out of range for a tensor with 2 dims"),
        (lambda: ones(2, 3).repeat(2), ValueError, "repeat: 1 repeats given for a tensor with 2 dims"),
        (lambda: ones(2, 3).sum(dim=2), IndexError, r"sum: dim 2 is out of range for a tensor of shape \(2, 3\)"),
        (lambda: ones(2, 3).softmax(dim=2), IndexError, r"softmax: dim 2 is out of range for a tensor of shape"),
        (lambda: ones(2, 3).log_softmax(dim=-3), IndexError, r"log_softmax: dim -3 is out of range"),
        # values
        (lambda: ones(2).item(), ValueError, r"item: only one-element tensors .* got shape \(2,\)"),
        (lambda: ones(2, 3).clamp(), ValueError, "clamp: give at least one of min and max"),
        (lambda: tensor([1, 2]).mean(), RuntimeError, "mean: input dtype should be floating point, got int64"),
    ],
    ids=lambda value: None if callable(value) or isinstance(value, type) else value[:40],
)
def test_error_names_the_op_and_shapes(action, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        action()


def test_backward_on_non_scalar_names_the_shape() -> None:
    y = ones(2, 3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"backward: a gradient can be created implicitly only for a scalar output, "
                                           r"but this tensor has shape \(2, 3\)"):
        y.backward()
    with pytest.raises(RuntimeError, match=r"backward: gradient has shape \(3, 2\) but the output has shape \(2, 3\)"):
        y.backward(ones(3, 2))


def test_errors_come_before_any_graph_is_recorded() -> None:
    x = ones(2, 3, requires_grad=True)
    with pytest.raises(ValueError):
        x @ ones(2, 3)
    (x * 2).sum().backward()  # the failed call left nothing behind
    assert x.grad.tolist() == [[2.0] * 3] * 2
