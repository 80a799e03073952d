"""GPT benchmark: one training step of a small character-level GPT, TinyTorch against PyTorch.

The model is the one milestone 06 trains: vocabulary 65, context 128, 4 layers, d_model 128,
4 heads, MLP 4x (exact GELU), no dropout, weight tying; batch 16; cross-entropy; AdamW. Both
frameworks run the same architecture in the same process; PyTorch uses its fused
`scaled_dot_product_attention`, TinyTorch its own fused attention, LayerNorm and cross-entropy.

    python benchmarks/run.py gpt          # 1 thread and the default thread count, with ratios
    python benchmarks/bench_gpt.py 1      # one setting, JSON line only
"""

from __future__ import annotations

from common import Case, emit, interleaved_medians, pin_threads_from_argv, torch_or_none

if __name__ == "__main__":
    pin_threads_from_argv()

import numpy as np  # noqa: E402

import tinytorch as tt  # noqa: E402
from tinytorch import optim  # noqa: E402
from tinytorch.models import GPT, GPTConfig  # noqa: E402

CONFIG = GPTConfig(vocab_size=65, block_size=128, n_layer=4, n_head=4, n_embd=128, dropout=0.0, bias=True)
BATCH = 16


def batch(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    shape = (BATCH, CONFIG.block_size)
    return rng.integers(0, CONFIG.vocab_size, shape), rng.integers(0, CONFIG.vocab_size, shape)


def tinytorch_step():
    tt.manual_seed(0)
    model = GPT(CONFIG)
    opt = optim.AdamW(model.parameters(), lr=1e-3)
    idx, targets = (tt.tensor(a) for a in batch())

    def step():
        _, loss = model(idx, targets)
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


def torch_step(torch):
    """The same GPT in PyTorch (nanoGPT's layout)."""
    nn, F = torch.nn, torch.nn.functional
    c = CONFIG

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.ln_1, self.ln_2 = nn.LayerNorm(c.n_embd), nn.LayerNorm(c.n_embd)
            self.c_attn, self.attn_proj = nn.Linear(c.n_embd, 3 * c.n_embd), nn.Linear(c.n_embd, c.n_embd)
            self.c_fc, self.mlp_proj = nn.Linear(c.n_embd, 4 * c.n_embd), nn.Linear(4 * c.n_embd, c.n_embd)

        def forward(self, x):
            b, t, e = x.shape
            q, k, v = self.c_attn(self.ln_1(x)).split(e, dim=2)
            q, k, v = (z.view(b, t, c.n_head, e // c.n_head).transpose(1, 2) for z in (q, k, v))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(b, t, e)
            x = x + self.attn_proj(y)
            return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x))))

    class TorchGPT(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.wte, self.wpe = nn.Embedding(c.vocab_size, c.n_embd), nn.Embedding(c.block_size, c.n_embd)
            self.h = nn.ModuleList(Block() for _ in range(c.n_layer))
            self.ln_f = nn.LayerNorm(c.n_embd)
            self.lm_head = nn.Linear(c.n_embd, c.vocab_size, bias=False)
            self.lm_head.weight = self.wte.weight

        def forward(self, idx, targets):
            x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
            for block in self.h:
                x = block(x)
            logits = self.lm_head(self.ln_f(x))
            return F.cross_entropy(logits.view(-1, c.vocab_size), targets.view(-1))

    torch.manual_seed(0)
    model = TorchGPT()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    idx, targets = (torch.from_numpy(a) for a in batch())

    def step():
        loss = model(idx, targets)
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


def cases() -> list[Case]:
    case = Case(f"GPT train step: {CONFIG.n_layer} layers, d {CONFIG.n_embd}, context {CONFIG.block_size}, "
                f"batch {BATCH}, AdamW")
    steps = {"tinytorch": tinytorch_step()}
    torch = torch_or_none()
    if torch is not None:
        steps["pytorch"] = torch_step(torch)
    case.seconds = interleaved_medians(steps, warmup=3, rounds=10, min_seconds=3.0)
    return [case]


if __name__ == "__main__":
    emit(cases())
