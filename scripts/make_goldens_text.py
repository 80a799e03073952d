"""Regenerate the PyTorch goldens for embeddings, attention, LayerNorm and GPT (modules 12-14).

    python scripts/make_goldens_text.py          # write tests/goldens/text_*.npz
    python scripts/make_goldens_text.py --check  # recompute and compare with the committed files

Needs torch (the test suite does not: it only reads the .npz files). Everything is float64 so the
goldens are exact to rounding. Each file holds, per case `k`, the inputs (`k/q`, `k/x`, ...), the
upstream gradient `k/grad_out`, torch's outputs and gradients (`k/out`, `k/grad_q`, ...) and the
case's settings as JSON text in `k/config`. The GPT case also stores the model's parameters
(`gpt/param/<name>`, nanoGPT names) and the gradient of each (`gpt/grad/<name>`).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

GOLDENS = Path(__file__).resolve().parent.parent / "tests" / "goldens"


def _tensor(array: np.ndarray, grad: bool = True) -> torch.Tensor:
    return torch.tensor(array, dtype=torch.float64, requires_grad=grad)


def _config(out: dict, k: str, **settings) -> None:
    out[f"{k}/config"] = np.array(json.dumps(settings))


# ---------------------------------------------------------------------------------------------
# scaled_dot_product_attention
# ---------------------------------------------------------------------------------------------

# (name, q shape, k length, value dim, mask kind, is_causal, scale)
# mask kinds: None; "bool" (L, S) True = take part; "bool4" (B, 1, L, S); "float" (L, S) with -inf
# entries and finite biases; "padding" (B, 1, 1, S) bool, the last keys of each sequence masked;
# "row" a bool mask whose second query row is all False (its output must be 0).
ATTENTION_CASES = [
    ("plain", (2, 3, 5, 4), 6, 7, None, False, None),
    ("causal", (2, 2, 6, 4), 6, 4, None, True, None),
    ("causal_rect", (1, 2, 3, 4), 5, 4, None, True, None),  # L < S: top-left aligned, like PyTorch
    ("bool", (2, 3, 5, 4), 6, 4, "bool", False, None),
    ("bool_batch", (2, 3, 5, 4), 6, 4, "bool4", False, None),
    ("float", (2, 2, 5, 4), 5, 3, "float", False, None),
    ("padding", (3, 2, 4, 8), 4, 8, "padding", False, None),
    ("masked_row", (1, 2, 4, 4), 4, 4, "row", False, None),
    ("scale", (2, 2, 4, 4), 5, 4, None, True, 0.9),
    ("three_dim", (3, 5, 4), 6, 2, "bool", False, None),
]


def _attention_mask(kind: str | None, q_shape: tuple, keys: int, rng: np.random.Generator) -> np.ndarray | None:
    length = q_shape[-2]
    if kind is None:
        return None
    if kind == "bool":
        mask = rng.random((length, keys)) > 0.4
        mask[:, 0] = True  # every query keeps at least one key
        return mask
    if kind == "bool4":
        mask = rng.random((q_shape[0], 1, length, keys)) > 0.4
        mask[..., 0] = True
        return mask
    if kind == "float":
        mask = rng.standard_normal((length, keys)) * 2.0
        mask[rng.random((length, keys)) > 0.6] = -np.inf
        mask[:, -1] = 0.5  # never all -inf
        return mask
    if kind == "padding":
        lengths = [keys, keys - 1, keys - 3][: q_shape[0]]
        return np.arange(keys)[None, None, None, :] < np.array(lengths)[:, None, None, None]
    if kind == "row":
        mask = np.ones((length, keys), dtype=bool)
        mask[1] = False
        mask[2, 2:] = False
        return mask
    raise ValueError(kind)


def attention_goldens(rng: np.random.Generator) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for name, q_shape, keys, value_dim, mask_kind, is_causal, scale in ATTENTION_CASES:
        arrays = {
            "q": rng.standard_normal(q_shape),
            "k": rng.standard_normal(q_shape[:-2] + (keys, q_shape[-1])),
            "v": rng.standard_normal(q_shape[:-2] + (keys, value_dim)),
        }
        # Larger scores than N(0, 1) inputs give, so the softmax is peaked and masks change a lot.
        arrays["q"] *= 2.0
        mask = _attention_mask(mask_kind, q_shape, keys, rng)
        t = {key: _tensor(a) for key, a in arrays.items()}
        y = F.scaled_dot_product_attention(t["q"], t["k"], t["v"], attn_mask=None if mask is None else torch.tensor(mask),
                                           is_causal=is_causal, scale=scale)
        grad_out = rng.standard_normal(tuple(y.shape))
        y.backward(torch.tensor(grad_out))
        _config(out, name, mask=mask_kind, is_causal=is_causal, scale=scale)
        if mask is not None:
            out[f"{name}/mask"] = mask
        out[f"{name}/grad_out"], out[f"{name}/out"] = grad_out, y.detach().numpy()
        for key, a in arrays.items():
            out[f"{name}/{key}"], out[f"{name}/grad_{key}"] = a, t[key].grad.numpy()
    return out


# ---------------------------------------------------------------------------------------------
# nn.MultiheadAttention
# ---------------------------------------------------------------------------------------------

# (name, E, H, bias, batch_first, L, S, self-attention, attn_mask kind, key padding, average weights)
MHA_CASES = [
    ("self", 8, 2, True, True, 5, 5, True, None, False, True),
    ("cross", 8, 4, True, True, 4, 6, False, None, False, False),
    ("causal_bool", 6, 3, True, True, 5, 5, True, "causal", False, True),
    ("float_mask", 8, 2, False, True, 4, 5, False, "float", False, False),
    ("padding", 8, 2, True, True, 5, 5, True, None, True, True),
    ("padding_causal", 8, 4, True, True, 5, 5, True, "causal", True, False),
    ("seq_first", 8, 2, True, False, 4, 6, False, None, True, True),
]


def mha_goldens(rng: np.random.Generator) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    batch = 3
    for name, embed, heads, bias, batch_first, length, keys, self_attn, mask_kind, padding, average in MHA_CASES:
        mha = torch.nn.MultiheadAttention(embed, heads, bias=bias, batch_first=batch_first, dtype=torch.float64)
        params = {}
        with torch.no_grad():
            for pname, p in mha.named_parameters():
                p.copy_(torch.tensor(rng.standard_normal(tuple(p.shape)) * 0.5))
                params[pname] = p.detach().numpy().copy()
        order = (batch, length) if batch_first else (length, batch)
        key_order = (batch, keys) if batch_first else (keys, batch)
        arrays = {"query": rng.standard_normal(order + (embed,))}
        if not self_attn:
            arrays["key"] = rng.standard_normal(key_order + (embed,))
            arrays["value"] = rng.standard_normal(key_order + (embed,))
        t = {key: _tensor(a) for key, a in arrays.items()}
        query = t["query"]
        key, value = (query, query) if self_attn else (t["key"], t["value"])
        attn_mask = None
        if mask_kind == "causal":  # MultiheadAttention's bool convention: True = NOT allowed
            attn_mask = np.triu(np.ones((length, keys), dtype=bool), 1)
        elif mask_kind == "float":
            attn_mask = rng.standard_normal((length, keys))
            attn_mask[0, 1:] = -np.inf
        kpm = None
        if padding:
            kpm = np.zeros((batch, keys), dtype=bool)
            kpm[1, -1] = True
            kpm[2, -2:] = True
        y, weights = mha(query, key, value, key_padding_mask=None if kpm is None else torch.tensor(kpm),
                         need_weights=True, attn_mask=None if attn_mask is None else torch.tensor(attn_mask),
                         average_attn_weights=average)
        grad_out = rng.standard_normal(tuple(y.shape))
        y.backward(torch.tensor(grad_out))
        _config(out, name, embed_dim=embed, num_heads=heads, bias=bias, batch_first=batch_first,
                self_attention=self_attn, attn_mask=mask_kind, key_padding=padding, average=average)
        if attn_mask is not None:
            out[f"{name}/attn_mask"] = attn_mask
        if kpm is not None:
            out[f"{name}/key_padding_mask"] = kpm
        out[f"{name}/grad_out"], out[f"{name}/out"], out[f"{name}/weights"] = grad_out, y.detach().numpy(), weights.detach().numpy()
        for key_name, a in arrays.items():
            out[f"{name}/{key_name}"], out[f"{name}/grad_{key_name}"] = a, t[key_name].grad.numpy()
        for pname, p in mha.named_parameters():
            out[f"{name}/param/{pname}"], out[f"{name}/grad/{pname}"] = params[pname], p.grad.numpy()
    return out


# ---------------------------------------------------------------------------------------------
# LayerNorm and Embedding
# ---------------------------------------------------------------------------------------------

# (name, input shape, normalized_shape, eps, elementwise_affine, bias)
LAYERNORM_CASES = [
    ("last", (2, 3, 5), (5,), 1e-5, True, True),
    ("two_dims", (2, 3, 4, 5), (4, 5), 1e-5, True, True),
    ("no_affine", (4, 6), (6,), 1e-5, False, False),
    ("no_bias", (3, 4, 6), (6,), 1e-3, True, False),
    ("tiny_variance", (2, 8), (8,), 1e-5, True, True),
]

# (name, vocabulary, dim, indices shape, padding_idx)
EMBEDDING_CASES = [
    ("repeats", 7, 4, (3, 5), None),
    ("padding", 6, 3, (4, 6), 2),
    ("negative_padding", 5, 3, (2, 7), -1),
    ("one_dim", 9, 5, (12,), None),
]


def norm_embedding_goldens(rng: np.random.Generator) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for name, shape, normalized, eps, affine, bias in LAYERNORM_CASES:
        x = rng.standard_normal(shape) * 3.0 + 1.0
        if name == "tiny_variance":
            x = 5.0 + rng.standard_normal(shape) * 1e-3  # eps matters here
        layer = torch.nn.LayerNorm(normalized, eps=eps, elementwise_affine=affine, bias=bias, dtype=torch.float64)
        arrays = {"x": x}
        with torch.no_grad():
            if affine:
                layer.weight.copy_(torch.tensor(rng.uniform(0.5, 1.5, normalized)))
                arrays["weight"] = layer.weight.numpy().copy()
            if affine and bias:
                layer.bias.copy_(torch.tensor(rng.standard_normal(normalized)))
                arrays["bias"] = layer.bias.numpy().copy()
        t = _tensor(x)
        y = layer(t)
        grad_out = rng.standard_normal(shape)
        y.backward(torch.tensor(grad_out))
        k = f"layernorm_{name}"
        _config(out, k, normalized_shape=list(normalized), eps=eps, elementwise_affine=affine, bias=bias)
        for key, a in arrays.items():
            out[f"{k}/{key}"] = a
        out[f"{k}/grad_out"], out[f"{k}/out"], out[f"{k}/grad_x"] = grad_out, y.detach().numpy(), t.grad.numpy()
        if affine:
            out[f"{k}/grad_weight"] = layer.weight.grad.numpy()
        if affine and bias:
            out[f"{k}/grad_bias"] = layer.bias.grad.numpy()
    for name, vocabulary, dim, shape, padding_idx in EMBEDDING_CASES:
        weight = rng.standard_normal((vocabulary, dim))
        if padding_idx is not None:
            weight[padding_idx] = 0.0
        indices = rng.integers(0, vocabulary, shape)
        indices.flat[:4] = [1, 1, 1, vocabulary - 1]  # repeats, and the last row
        if padding_idx is not None:
            indices.flat[4] = padding_idx % vocabulary
        w = _tensor(weight)
        y = F.embedding(torch.tensor(indices), w, padding_idx=padding_idx)
        grad_out = rng.standard_normal(tuple(y.shape))
        y.backward(torch.tensor(grad_out))
        k = f"embedding_{name}"
        _config(out, k, padding_idx=padding_idx)
        out[f"{k}/weight"], out[f"{k}/indices"], out[f"{k}/grad_out"] = weight, indices, grad_out
        out[f"{k}/out"], out[f"{k}/grad_weight"] = y.detach().numpy(), w.grad.numpy()
    return out


# ---------------------------------------------------------------------------------------------
# A tiny GPT (nanoGPT's layout, the same as tinytorch.models.GPT)
# ---------------------------------------------------------------------------------------------

GPT_CONFIGS = {
    "gpt": {"vocab_size": 11, "block_size": 8, "n_layer": 2, "n_head": 2, "n_embd": 12, "dropout": 0.0, "bias": True},
    "gpt_nobias": {"vocab_size": 9, "block_size": 6, "n_layer": 3, "n_head": 3, "n_embd": 12, "dropout": 0.0,
                   "bias": False},
}


class TorchBlock(torch.nn.Module):
    def __init__(self, c: dict) -> None:
        super().__init__()
        nn, e = torch.nn, c["n_embd"]
        self.n_head = c["n_head"]
        self.ln_1 = nn.LayerNorm(e, bias=c["bias"], dtype=torch.float64)
        self.attn = nn.Module()
        self.attn.c_attn = nn.Linear(e, 3 * e, bias=c["bias"], dtype=torch.float64)
        self.attn.c_proj = nn.Linear(e, e, bias=c["bias"], dtype=torch.float64)
        self.ln_2 = nn.LayerNorm(e, bias=c["bias"], dtype=torch.float64)
        self.mlp = nn.Module()
        self.mlp.c_fc = nn.Linear(e, 4 * e, bias=c["bias"], dtype=torch.float64)
        self.mlp.c_proj = nn.Linear(4 * e, e, bias=c["bias"], dtype=torch.float64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, e = x.shape
        q, k, v = self.attn.c_attn(self.ln_1(x)).split(e, dim=2)
        q, k, v = (z.view(b, t, self.n_head, e // self.n_head).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(b, t, e)
        x = x + self.attn.c_proj(y)
        return x + self.mlp.c_proj(F.gelu(self.mlp.c_fc(self.ln_2(x))))


class TorchGPT(torch.nn.Module):
    def __init__(self, c: dict) -> None:
        super().__init__()
        nn, e = torch.nn, c["n_embd"]
        self.transformer = nn.ModuleDict({
            "wte": nn.Embedding(c["vocab_size"], e, dtype=torch.float64),
            "wpe": nn.Embedding(c["block_size"], e, dtype=torch.float64),
            "h": nn.ModuleList(TorchBlock(c) for _ in range(c["n_layer"])),
            "ln_f": nn.LayerNorm(e, bias=c["bias"], dtype=torch.float64),
        })
        self.lm_head = nn.Linear(e, c["vocab_size"], bias=False, dtype=torch.float64)
        self.lm_head.weight = self.transformer.wte.weight

    def forward(self, idx: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        t = self.transformer
        x = t.wte(idx) + t.wpe(torch.arange(idx.shape[1]))
        for block in t.h:
            x = block(x)
        logits = self.lm_head(t.ln_f(x))
        return logits, F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def gpt_goldens(rng: np.random.Generator) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for k, c in GPT_CONFIGS.items():
        model = TorchGPT(c)
        with torch.no_grad():
            for name, p in model.named_parameters():
                if name.endswith(("ln_1.weight", "ln_2.weight", "ln_f.weight")):
                    p.copy_(torch.tensor(rng.uniform(0.5, 1.5, tuple(p.shape))))
                else:
                    p.copy_(torch.tensor(rng.standard_normal(tuple(p.shape)) * (0.5 / math.sqrt(p.shape[-1]) if p.ndim == 2 else 0.1)))
        idx = rng.integers(0, c["vocab_size"], (3, c["block_size"]))
        targets = rng.integers(0, c["vocab_size"], (3, c["block_size"]))
        logits, loss = model(torch.tensor(idx), torch.tensor(targets))
        loss.backward()
        _config(out, k, **c)
        out[f"{k}/idx"], out[f"{k}/targets"] = idx, targets
        out[f"{k}/logits"], out[f"{k}/loss"] = logits.detach().numpy(), loss.detach().numpy()
        for name, p in model.state_dict().items():
            out[f"{k}/param/{name}"] = p.numpy().copy()
        for name, p in model.named_parameters():
            out[f"{k}/grad/{name}"] = p.grad.numpy()
    return out


BUILDERS = {
    "text_attention": (attention_goldens, 12),
    "text_mha": (mha_goldens, 13),
    "text_norm_embedding": (norm_embedding_goldens, 14),
    "text_gpt": (gpt_goldens, 15),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare with the committed files instead of writing")
    args = parser.parse_args()
    torch.use_deterministic_algorithms(True)
    problems = []
    for stem, (build, seed) in BUILDERS.items():
        arrays = build(np.random.default_rng(seed))
        path = GOLDENS / f"{stem}.npz"
        if not args.check:
            GOLDENS.mkdir(parents=True, exist_ok=True)
            np.savez_compressed(path, **arrays)
            print(f"wrote {path.name}: {len(arrays)} arrays")
            continue
        with np.load(path) as stored:
            if set(stored.files) != set(arrays):
                problems.append(f"{path.name}: keys differ: {sorted(set(stored.files) ^ set(arrays))}")
                continue
            for key, value in arrays.items():
                if value.dtype.kind in "Ub":
                    same = (stored[key] == value).all()
                else:
                    same = np.allclose(stored[key], value, rtol=1e-9, atol=1e-12, equal_nan=True)
                if not same:
                    problems.append(f"{path.name}: {key} differs from the regenerated value")
    for problem in problems:
        print(problem)
    if args.check:
        print("goldens match torch" if not problems else f"{len(problems)} mismatches")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
