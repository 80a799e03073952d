"""Text for language models: tokenizers and a small bundled corpus (module 11).

    >>> from tinytorch.text import BPETokenizer, load_small_corpus
    >>> text = load_small_corpus()
    >>> tok = BPETokenizer.train(text, vocab_size=512)
    >>> tok.decode(tok.encode("To be, or not to be")) == "To be, or not to be"
    True
"""

from importlib.resources import files

from tinytorch.text.tokenizers import BPETokenizer, CharTokenizer, get_pair_counts, merge_pair

__all__ = ["BPETokenizer", "CharTokenizer", "get_pair_counts", "load_small_corpus", "merge_pair"]

SMALL_CORPUS = "tinyshakespeare_small.txt"


def load_small_corpus() -> str:
    """The first ~200 KB of Tiny Shakespeare (public domain), shipped with the package.

    Small enough to train a character-level GPT or a BPE tokenizer in seconds on a laptop CPU,
    and always available offline. See text/data/README.md for its source.
    """
    return files("tinytorch.text").joinpath("data", SMALL_CORPUS).read_text(encoding="utf-8")
