"""Ready-made models built from `tinytorch.nn`."""

from .gpt import GPT, GPTConfig, sample_next_token

__all__ = ["GPT", "GPTConfig", "sample_next_token"]
