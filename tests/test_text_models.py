"""Embedding, attention, MultiheadAttention, LayerNorm and a tiny GPT against PyTorch goldens.

The goldens (tests/goldens/text_*.npz, float64) come from `scripts/make_goldens_text.py`. The
attention cases include masks that change the result a lot (peaked scores, a third of the keys
removed), so a mask applied with the wrong sign or the wrong True/False convention fails here.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tinytorch.models import GPT, GPTConfig
from tinytorch.nn.attention import MultiheadAttention
from tinytorch.nn.embedding import Embedding
from tinytorch.nn.functional_text import (
    embedding,
    layer_norm,
    scaled_dot_product_attention,
)
from tinytorch.nn.layernorm import LayerNorm
from tinytorch.tensor import Tensor
from tinytorch.testing import assert_close

GOLDENS = Path(__file__).resolve().parent / "goldens"


def load_cases(stem: str) -> dict[str, dict]:
    """{case: {"config": dict, name: array, ...}} from one goldens file (names may contain '/')."""
    cases: dict[str, dict] = {}
    with np.load(GOLDENS / f"{stem}.npz") as data:
        for key in data.files:
            case, name = key.split("/", 1)
            value = data[key]
            cases.setdefault(case, {})[name] = json.loads(str(value)) if name == "config" else value
    return cases


ATTENTION = load_cases("text_attention")
MHA = load_cases("text_mha")
NORM_EMBEDDING = load_cases("text_norm_embedding")
GPTS = load_cases("text_gpt")


def leaf(array: np.ndarray) -> Tensor:
    return Tensor(array, requires_grad=True)


# ---------------------------------------------------------------------------------------------
# scaled_dot_product_attention
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(ATTENTION))
def test_attention_matches_torch(case: str) -> None:
    c = ATTENTION[case]
    cfg = c["config"]
    q, k, v = leaf(c["q"]), leaf(c["k"]), leaf(c["v"])
    out = scaled_dot_product_attention(q, k, v, attn_mask=c.get("mask"), is_causal=cfg["is_causal"], scale=cfg["scale"])
    out.backward(Tensor(c["grad_out"]))
    assert_close(out, c["out"], msg=f"attention {case}: output")
    for name, t in (("q", q), ("k", k), ("v", v)):
        assert_close(t.grad, c[f"grad_{name}"], msg=f"attention {case}: d {name}")


@pytest.mark.parametrize("case", ["bool", "float", "padding", "causal"])
def test_attention_masks_matter_in_the_goldens(case: str) -> None:
    """Guard the goldens themselves: without its mask the case gives a clearly different output,
    so the golden test above would catch an ignored or inverted mask."""
    c = ATTENTION[case]
    unmasked = scaled_dot_product_attention(Tensor(c["q"]), Tensor(c["k"]), Tensor(c["v"]), scale=c["config"]["scale"])
    assert np.abs(unmasked.data - c["out"]).max() > 0.3
    if "mask" in c and c["mask"].dtype == np.bool_:
        inverted = c["mask"].copy()
        inverted = ~inverted
        inverted[..., 0] = True  # keep every row attending somewhere
        flipped = scaled_dot_product_attention(Tensor(c["q"]), Tensor(c["k"]), Tensor(c["v"]), attn_mask=inverted)
        assert np.abs(flipped.data - c["out"]).max() > 0.3


def test_attention_in_float32_matches_torch() -> None:
    c = ATTENTION["causal"]
    q, k, v = (leaf(c[n].astype(np.float32)) for n in ("q", "k", "v"))
    out = scaled_dot_product_attention(q, k, v, is_causal=True)
    out.backward(Tensor(c["grad_out"].astype(np.float32)))
    assert out.dtype == np.float32 and q.grad.dtype == np.float32
    assert_close(out, c["out"], rtol=1e-4, atol=1e-5)
    assert_close(q.grad, c["grad_q"], rtol=1e-4, atol=1e-4)


# ---------------------------------------------------------------------------------------------
# MultiheadAttention with PyTorch's weights
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(MHA))
def test_multihead_attention_matches_torch(case: str) -> None:
    c = MHA[case]
    cfg = c["config"]
    mha = MultiheadAttention(cfg["embed_dim"], cfg["num_heads"], bias=cfg["bias"], batch_first=cfg["batch_first"])
    params = {k.removeprefix("param/"): v for k, v in c.items() if k.startswith("param/")}
    mha.double()
    mha.load_state_dict(params)
    query = leaf(c["query"])
    key, value = (query, query) if cfg["self_attention"] else (leaf(c["key"]), leaf(c["value"]))
    out, weights = mha(query, key, value, key_padding_mask=c.get("key_padding_mask"), need_weights=True,
                       attn_mask=c.get("attn_mask"), average_attn_weights=cfg["average"])
    out.backward(Tensor(c["grad_out"]))
    assert_close(out, c["out"], msg=f"MultiheadAttention {case}: output")
    assert_close(weights, c["weights"], msg=f"MultiheadAttention {case}: attention weights")
    assert_close(query.grad, c["grad_query"], msg=f"MultiheadAttention {case}: d query")
    if not cfg["self_attention"]:
        assert_close(key.grad, c["grad_key"], msg=f"MultiheadAttention {case}: d key")
        assert_close(value.grad, c["grad_value"], msg=f"MultiheadAttention {case}: d value")
    own = dict(mha.named_parameters())
    for name in params:
        assert_close(own[name].grad, c[f"grad/{name}"], msg=f"MultiheadAttention {case}: d {name}")


def test_multihead_attention_state_dict_has_pytorchs_names() -> None:
    names = set(MultiheadAttention(8, 2).state_dict())
    assert names == {k.removeprefix("param/") for k in MHA["self"] if k.startswith("param/")}


# ---------------------------------------------------------------------------------------------
# LayerNorm and Embedding
# ---------------------------------------------------------------------------------------------

LAYERNORM = sorted(k for k in NORM_EMBEDDING if k.startswith("layernorm_"))
EMBEDDING = sorted(k for k in NORM_EMBEDDING if k.startswith("embedding_"))


@pytest.mark.parametrize("case", LAYERNORM)
def test_layer_norm_matches_torch(case: str) -> None:
    c = NORM_EMBEDDING[case]
    cfg = c["config"]
    layer = LayerNorm(cfg["normalized_shape"], eps=cfg["eps"], elementwise_affine=cfg["elementwise_affine"],
                      bias=cfg["bias"]).double()
    if "weight" in c:
        layer.weight.data[...] = c["weight"]
    if "bias" in c:
        layer.bias.data[...] = c["bias"]
    x = leaf(c["x"])
    out = layer(x)
    out.backward(Tensor(c["grad_out"]))
    assert_close(out, c["out"], msg=f"{case}: output")
    assert_close(x.grad, c["grad_x"], msg=f"{case}: d x")
    if "grad_weight" in c:
        assert_close(layer.weight.grad, c["grad_weight"], msg=f"{case}: d weight")
    if "grad_bias" in c:
        assert_close(layer.bias.grad, c["grad_bias"], msg=f"{case}: d bias")


def test_layer_norm_functional_without_parameters_matches_the_module() -> None:
    c = NORM_EMBEDDING["layernorm_no_affine"]
    assert_close(layer_norm(Tensor(c["x"]), c["config"]["normalized_shape"]), c["out"])


@pytest.mark.parametrize("case", EMBEDDING)
def test_embedding_matches_torch(case: str) -> None:
    c = NORM_EMBEDDING[case]
    weight = leaf(c["weight"])
    out = embedding(Tensor(c["indices"]), weight, padding_idx=c["config"]["padding_idx"])
    out.backward(Tensor(c["grad_out"]))
    assert_close(out, c["out"], msg=f"{case}: output")
    assert_close(weight.grad, c["grad_weight"], msg=f"{case}: d weight (repeated ids add up; padding row stays 0)")


def test_embedding_module_matches_torch() -> None:
    c = NORM_EMBEDDING["embedding_padding"]
    layer = Embedding(*c["weight"].shape, padding_idx=c["config"]["padding_idx"]).double()
    layer.weight.data[...] = c["weight"]
    out = layer(Tensor(c["indices"]))
    out.backward(Tensor(c["grad_out"]))
    assert_close(out, c["out"])
    assert_close(layer.weight.grad, c["grad_weight"])


# ---------------------------------------------------------------------------------------------
# A whole GPT, forward and backward
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(GPTS))
def test_gpt_forward_and_backward_match_torch(case: str) -> None:
    c = GPTS[case]
    model = GPT(GPTConfig(**c["config"])).double()
    state = {k.removeprefix("param/"): v for k, v in c.items() if k.startswith("param/")}
    model.load_state_dict(state)
    assert model.lm_head.weight is model.transformer.wte.weight  # loading kept the tie
    logits, loss = model(Tensor(c["idx"]), Tensor(c["targets"]))
    loss.backward()
    assert_close(logits, c["logits"], msg=f"{case}: logits")
    assert_close(loss, c["loss"], msg=f"{case}: loss")
    own = dict(model.named_parameters())
    grads = {k.removeprefix("grad/"): v for k, v in c.items() if k.startswith("grad/")}
    assert set(own) == set(grads), "the parameters differ from the PyTorch model's"
    for name, expected in grads.items():
        assert_close(own[name].grad, expected, msg=f"{case}: d {name}")
