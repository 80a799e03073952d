# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Module 11 — Tokenization: from text to integers, and what the vocabulary costs
#
# A network computes on numbers; text is a string. A tokenizer cuts the string into pieces from a
# fixed vocabulary and gives each piece an integer id. This module builds a character tokenizer
# and a byte-level BPE tokenizer (the kind GPT-2 uses), and measures the trade the vocabulary size
# decides: a bigger vocabulary makes sequences shorter but the model's tables larger.

# %% [markdown]
# ## 1. Why now
#
# Modules 07-10 trained on images, which arrive as numbers. Text does not. The obvious fix is one
# id per word. Build that vocabulary from the first 90 % of the Shakespeare excerpt shipped with
# TinyTorch, and read the last 10 % with it:

# %%
import re
import sys
import tempfile
import time
from pathlib import Path

from tinytorch.text import BPETokenizer, CharTokenizer, get_pair_counts, load_small_corpus, merge_pair

if hasattr(sys.stdout, "reconfigure"):
    sys.stdout.reconfigure(errors="backslashreplace")  # a console that cannot show an emoji prints \U0001f44b instead

text = load_small_corpus()
split = int(0.9 * len(text))
train_text, held_out = text[:split], text[split:]

train_words = re.findall(r"\w+", train_text)
held_out_words = re.findall(r"\w+", held_out)
vocabulary = set(train_words)
new_words = [w for w in held_out_words if w not in vocabulary]
print(f"{len(train_words):,} words in training, {len(vocabulary):,} distinct")
print(f"held-out words never seen in training: {len(new_words) / len(held_out_words):.1%}, "
      f"e.g. {sorted(set(new_words))[:6]}")

# %% [markdown]
# One word in nine of the new text has no id at all — names, inflections ("Awaked",
# "Denounced"), capitalised forms. A bigger corpus only moves the problem: English has millions of
# word forms, and an id for each would make the vocabulary (and, module 12 will show, the model)
# enormous. We need pieces that can spell *any* text, yet are few.

# %% [markdown]
# ## 2. The idea
#
# **Characters.** One id per distinct character: a vocabulary of a few dozen, one id per letter.

# %%
chars = CharTokenizer.from_text(train_text)
ids = chars.encode("To be, or not")
print(f"vocab_size {chars.vocab_size}: {''.join(chars.chars[:40])!r}...")
print("To be, or not ->", ids, "->", repr(chars.decode(ids)))

# %% [markdown]
# Every character is one step of the sequence, so a model must read long sequences; and a
# character outside the vocabulary (an accent, an emoji) still has no id.
#
# **Bytes.** UTF-8 writes every string as bytes: 1 byte for ASCII, 2-4 for other characters. The
# 256 byte values are a vocabulary that can spell *everything*, at the price of even longer
# sequences for non-English text.

# %%
for s in ("e", "é", "東", "👋", "👋🏽"):
    print(f"{s!r:8} {len(s)} code point(s) -> {len(s.encode('utf-8'))} bytes {list(s.encode('utf-8'))}")

# %% [markdown]
# **Byte-pair encoding (BPE)** starts from the 256 bytes and learns *merges*: count every adjacent
# pair of ids in the training text, replace the most frequent pair by a new id, and repeat until
# the vocabulary has the size asked for. On the classic example `aaabdaaabac`:

# %%
ids = list(b"aaabdaaabac")
for new_id in (256, 257, 258):
    counts = get_pair_counts(ids)  # {(a, b): how often b follows a}
    pair = max(counts, key=counts.get)
    ids = merge_pair(ids, pair, new_id)
    print(f"merge {pair} (seen {counts[pair]}x) -> {new_id}: {ids}")

# %% [markdown]
# Eleven ids became five, and the three merges are a small dictionary of frequent fragments.
# Encoding new text replays the merges in the order they were learned. Two refinements from
# GPT-2 make it work on real text: the text is first cut into chunks (a word with its leading
# space, a number, a run of punctuation) and merges never cross a chunk boundary, so " the" can
# become one token but "e t" cannot; and training counts each *distinct* chunk once, times its
# frequency, which is why it takes a fraction of a second here.

# %%
start = time.perf_counter()
bpe = BPETokenizer.train(train_text, vocab_size=512)
print(f"trained {len(bpe.merges)} merges in {time.perf_counter() - start:.2f} s")
print("first 16 merges:", [bpe.vocab[256 + k].decode() for k in range(16)])
print("last 8 merges:  ", [bpe.vocab[256 + k].decode() for k in range(len(bpe.merges) - 8, len(bpe.merges))])
line = "To be, or not to be, that is the question"
pieces = [bpe.decode([i]) for i in bpe.encode(line)]
print(f"{len(line)} characters -> {len(pieces)} tokens: {pieces}")

# %% [markdown]
# The first merges are frequent letter pairs and " t", " the"; later ones are short whole words
# (" was", " if") and pieces of the capitalised speaker names. Common words cost one id, rare
# words ("question") are spelled from fragments, and nothing is ever out of vocabulary.

# %% [markdown]
# ## 3. Build it
#
# Write the bodies marked for module 11, all in one file:
#
# | file | function | what it must do |
# |------|----------|-----------------|
# | `tinytorch/text/tokenizers.py` | `CharTokenizer.encode` | one id per character via `stoi`; an allowed special token is one id; an unknown character becomes the `unk_token`'s id, or raises naming the character and its position |
# | `tinytorch/text/tokenizers.py` | `CharTokenizer.decode` | ids back to text via `itos`; accept NumPy integers, reject floats, and name an out-of-range id and its position |
# | `tinytorch/text/tokenizers.py` | `get_pair_counts` | add `weight` to the count of every adjacent pair, into `counts` if given (training subtracts a chunk's old pairs with a negative weight) |
# | `tinytorch/text/tokenizers.py` | `merge_pair` | replace every non-overlapping occurrence of `pair`, left to right, by `new_id`, in a new list |
# | `tinytorch/text/tokenizers.py` | `BPETokenizer._encode_chunk` | start from the chunk's bytes; repeatedly merge the adjacent pair learned *earliest*, until no pair is a known merge |
#
# `BPETokenizer.train` is given: read it to see how a merge updates only the chunks that contain
# the pair. Check with `tito module test 11`.

# %% [markdown]
# ## 4. Measure it
#
# ### Vocabulary size against sequence length
#
# Train BPE at several vocabulary sizes on the first 90 %, and count the tokens each needs for the
# held-out 10 % (text it has never seen). Tokens per byte is the sequence length a model pays for
# each byte of text.

# %%
held_bytes = len(held_out.encode("utf-8"))
rows = [("characters", chars.vocab_size, 0.0, len(chars.encode(held_out)))]
tokenizers = {}
for vocab_size in (256, 512, 1024, 2048, 4096):
    start = time.perf_counter()
    tok = BPETokenizer.train(train_text, vocab_size=vocab_size)
    seconds = time.perf_counter() - start
    tokenizers[vocab_size] = tok
    rows.append((f"BPE {vocab_size}", tok.vocab_size, seconds, len(tok.encode(held_out))))

print(f"held-out text: {held_bytes:,} bytes")
print(f"{'tokenizer':12s} {'vocab':>6s} {'train s':>8s} {'tokens':>8s} {'tokens/byte':>12s} {'bytes/token':>12s}")
for name, vocab_size, seconds, n_tokens in rows:
    print(f"{name:12s} {vocab_size:6d} {seconds:8.2f} {n_tokens:8,d} {n_tokens / held_bytes:12.3f} "
          f"{held_bytes / n_tokens:12.2f}")

# %% [markdown]
# "BPE 256" has no merges: it is the byte tokenizer, one token per byte like the character
# tokenizer (this text is plain ASCII). The first 256 merges halve the sequence; each further
# doubling of the vocabulary buys less, because the pairs left to merge are rarer, and the rarest
# merges learned from 180 KB of text are words that the held-out text may never use.
#
# Training time grows with the number of merges, but slowly: each merge only revisits the chunks
# that contain its pair. Encoding speed, with the cache of chunks already seen:

# %%
tok = tokenizers[1024]
tok._cache.clear()
start = time.perf_counter()
tok.encode(held_out)
cold = time.perf_counter() - start
start = time.perf_counter()
tok.encode(held_out)
warm = time.perf_counter() - start
print(f"encode {held_bytes:,} bytes: {1e3 * cold:.0f} ms cold ({held_bytes / cold / 1e6:.2f} MB/s), "
      f"{1e3 * warm:.0f} ms with every chunk cached ({held_bytes / warm / 1e6:.2f} MB/s)")

# %% [markdown]
# ### Round trips, including what the training text never contained

# %%
samples = ["To be, or not to be", "naïve café in 東京", "hi 👋🏽!", "<|endoftext|>", "  two  spaces\n\ttab"]
for s in samples:
    ids = tok.encode(s)
    print(f"{s!r:24} {len(s.encode('utf-8')):3d} bytes -> {len(ids):3d} tokens, round trip {tok.decode(ids) == s}")
try:
    chars.encode("hi 👋🏽!")
except ValueError as error:
    print("CharTokenizer:", str(error)[:110], "...")

# %% [markdown]
# Byte-level BPE never fails: an emoji it has not seen costs its 4 bytes as 4 tokens (8 for the
# waving hand with a skin tone, which is two code points). "<|endoftext|>" is ordinary text here:
# it only becomes a special token when the tokenizer declares it and the caller allows it, so a
# user cannot type a control token into a prompt.
#
# A tokenizer is part of the model: the same ids must mean the same pieces forever. Saving writes
# readable JSON, and loading checks it:

# %%
with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "bpe.json"
    tok.save(path)
    again = BPETokenizer.load(path)
    same = again.encode(held_out) == tok.encode(held_out)
    print(f"{path.stat().st_size:,} bytes on disk; same ids after loading: {same}")

# %% [markdown]
# ### What the vocabulary costs the model
#
# Module 12 turns every id into a learned vector of `d_model` numbers: a table of
# vocab_size × d_model parameters, and GPT's output layer scores every vocabulary entry at every
# position, a (batch, T, vocab_size) tensor of logits. Both grow linearly with the vocabulary.

# %%
d_model, batch, context = 768, 8, 1024  # GPT-2 small's width and context, a modest batch
print(f"{'vocabulary':>10s} {'embedding table':>16s} {'logits per batch':>17s}   (d_model={d_model}, float32)")
for vocab_size in (65, 256, 4096, 32_000, 50_257, 128_256):
    table = vocab_size * d_model * 4
    logits = batch * context * vocab_size * 4
    print(f"{vocab_size:10,d} {table / 2**20:13.1f} MiB {logits / 2**30:14.2f} GiB")

# %% [markdown]
# The trade: a larger vocabulary shortens sequences (fewer steps to process, and attention's cost
# grows with the square of the length, module 13) but enlarges the embedding table, the output
# layer and its logits. GPT-2 settled at 50,257, Llama 3 at 128,256.

# %%
try:
    import matplotlib.pyplot as plt
except ImportError:
    plt = None  # plots are optional: the table above says the same

if plt is not None:
    sizes = [vocab_size for _, vocab_size, _, _ in rows[1:]]
    per_byte = [n / held_bytes for _, _, _, n in rows[1:]]
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.semilogx(sizes, per_byte, marker="o", base=2, label="BPE")
    ax.axhline(rows[0][3] / held_bytes, color="gray", linestyle="--", label="characters")
    ax.set_xlabel("vocabulary size")
    ax.set_ylabel("tokens per byte (held out)")
    ax.legend()
    fig.tight_layout()
    fig.savefig("11_tokens_per_byte.png", dpi=100)
    plt.close(fig)
    print("saved 11_tokens_per_byte.png")

# %% [markdown]
# ## 5. In the real world
#
# - OpenAI's `tiktoken` is byte-level BPE like yours, with the merge loop in Rust: GPT-2's
#   vocabulary has 50,257 ids (256 bytes, 50,000 merges, `<|endoftext|>`), GPT-4's `cl100k_base`
#   about 100,000. Their pre-tokenization regex is the one in `tokenizers.py`, written with
#   `\p{L}` classes that Python's `re` lacks.
# - SentencePiece (Llama 2, T5) works on Unicode characters and falls back to bytes only for
#   characters outside its vocabulary; Hugging Face `tokenizers` implements BPE, WordPiece (BERT)
#   and Unigram in Rust and trains on gigabytes in minutes, with the same trick of counting
#   distinct words once.
# - Special tokens are an attack surface: `tiktoken.encode` refuses text containing them unless
#   told which are allowed, for the injection reason above.
# - Tokenization explains odd model behaviour: numbers split into arbitrary chunks make
#   arithmetic hard, and a language that needs 3 bytes per character pays more tokens (and money,
#   since APIs bill by token) for the same sentence.

# %% [markdown]
# ## 6. Reflect
#
# 1. From your table: how many tokens per byte does the character tokenizer need, and BPE 1024?
#    A model reads at most 256 tokens at a time: how many characters of text does it see with each?
# 2. Going from 2048 to 4096 ids bought how much shorter sequences? What did it cost in embedding
#    parameters at d_model = 768?
# 3. Why does the emoji cost more tokens than "To be"? What would a tokenizer trained on emoji-rich
#    text do differently?
# 4. Training was fast because distinct chunks are counted once. How many distinct chunks would a
#    text of random letters have, and what would that do to the training time?

# %% [markdown]
# ## 7. What breaks next
#
# The ids are names, not quantities: id 20 is no more like id 21 than like id 900. Fed to a
# network as numbers, they impose an order that means nothing:

# %%
close = [chars.stoi[c] for c in "abz"]
print(f"ids of 'a', 'b', 'z': {close}: as numbers, 'a' is {abs(close[1] - close[0])} away from 'b' "
      f"and {abs(close[2] - close[0])} from 'z'")
print(f"one-hot vectors instead: {chars.vocab_size} floats per character, "
      f"{tokenizers[4096].vocab_size} per BPE-4096 token, all but one of them zero")

# %% [markdown]
# Module 12 gives each id a vector of its own that training moves wherever it is useful — an
# embedding — and measures why it is stored as a table to look up, not a one-hot matrix product.
