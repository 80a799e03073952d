"""Tokenizers: turn text into integer ids a model can embed, and back (module 11).

Two tokenizers with the same interface (`encode`, `decode`, `vocab_size`, `save`, `load`):

- `CharTokenizer`: one id per character. Tiny vocabulary, long sequences.
- `BPETokenizer`: byte-level byte-pair encoding, as in GPT-2. Starts from the 256 possible bytes,
  so it can encode *any* text, and learns merges of frequent neighbours, so common words become
  one id. Larger vocabulary, much shorter sequences.

Special tokens (such as "<|endoftext|>") get ids of their own. `encode` only recognises them when
asked to (`allowed_special`), so text that merely contains the characters "<|endoftext|>" — a
user's input, say — cannot inject a control token.

Files are plain JSON with a `format` and a `version` field, so a saved tokenizer can be read by a
person and checked on load.
"""

from __future__ import annotations

import heapq
import json
import operator
import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import Literal, NoReturn

__all__ = ["BPETokenizer", "CharTokenizer", "get_pair_counts", "merge_pair"]

FILE_VERSION = 1

AllowedSpecial = Literal["all"] | Collection[str]


# ----------------------------------------------------------------------------------------------
# Helpers shared by both tokenizers
# ----------------------------------------------------------------------------------------------


def _check_special_tokens(owner: str, special_tokens: Sequence[str]) -> list[str]:
    """Return the special tokens as a list, rejecting empty strings and duplicates."""
    tokens = list(special_tokens)
    for token in tokens:
        if not isinstance(token, str) or not token:
            raise ValueError(f"{owner}: special tokens must be non-empty strings, got {token!r}")
    duplicates = sorted({t for t in tokens if tokens.count(t) > 1})
    if duplicates:
        raise ValueError(f"{owner}: special tokens must be unique, got {duplicates} more than once")
    return tokens


def _resolve_allowed(owner: str, allowed_special: AllowedSpecial, known: dict[str, int]) -> list[str]:
    """Turn `allowed_special` ("all" or a collection of names) into a list of known special tokens."""
    if allowed_special == "all":
        return list(known)
    if isinstance(allowed_special, str):
        raise TypeError(
            f"{owner}: allowed_special must be 'all' or a collection of special tokens, "
            f"got the string {allowed_special!r}; write {{{allowed_special!r}}} for one token"
        )
    unknown = [t for t in allowed_special if t not in known]
    if unknown:
        raise ValueError(
            f"{owner}: allowed_special names {unknown}, which are not special tokens of this "
            f"tokenizer; its special tokens are {list(known)}"
        )
    return list(allowed_special)


def _split_special(text: str, allowed: list[str]) -> list[tuple[str, bool]]:
    """Split text around the allowed special tokens.

    Returns (piece, is_special) pairs in order, e.g. with allowed ["<|endoftext|>"]:
    "hi<|endoftext|>yo" -> [("hi", False), ("<|endoftext|>", True), ("yo", False)].
    Longer tokens win when one special token is a prefix of another.
    """
    if not allowed:
        return [(text, False)] if text else []
    pattern = "(" + "|".join(re.escape(t) for t in sorted(allowed, key=len, reverse=True)) + ")"
    pieces = re.split(pattern, text)
    # re.split with one capturing group alternates: text, special, text, special, ..., text
    return [(piece, i % 2 == 1) for i, piece in enumerate(pieces) if piece]


def _as_id(owner: str, value: object, position: int) -> int:
    """An integer id from an int-like value (int, NumPy integer); floats and others are rejected."""
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(
            f"{owner}: ids must be integers, got {type(value).__name__} {value!r} at position {position}"
        ) from None


def _write_json(path: str | Path, obj: dict) -> None:
    """Write obj as indented UTF-8 JSON that a person can read.

    Characters are written as themselves (ensure_ascii=False) so "é" stays "é". A lone surrogate
    cannot be written as UTF-8, so "backslashreplace" writes it as the JSON escape \\udxxx, which
    json.loads reads back as the same surrogate.
    """
    text = json.dumps(obj, ensure_ascii=False, indent=2) + "\n"
    Path(path).write_bytes(text.encode("utf-8", errors="backslashreplace"))


def _read_json(owner: str, path: str | Path, expected_format: str) -> dict:
    """Read a tokenizer file and check its `format` and `version`; errors name the file and the fault."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"{owner}: {path} is not a UTF-8 text file ({e.reason} at byte {e.start})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(
            f"{owner}: {path} is not valid JSON ({e.msg} at line {e.lineno}, column {e.colno}); "
            f"the file may be truncated or not a tokenizer file"
        ) from None
    if not isinstance(data, dict) or "format" not in data:
        raise ValueError(
            f"{owner}: {path} has no 'format' field, so it is not a TinyTorch tokenizer file "
            f"(expected format {expected_format!r}; files from other libraries are not supported)"
        )
    if data["format"] != expected_format:
        raise ValueError(f"{owner}: {path} has format {data['format']!r}, expected {expected_format!r}")
    version = data.get("version")
    if version != FILE_VERSION:
        raise ValueError(
            f"{owner}: {path} has file version {version!r}; this TinyTorch reads version {FILE_VERSION}"
        )
    return data


def _field(owner: str, path: str | Path, data: dict, key: str, kind: type) -> object:
    """data[key], checked to exist and to be of the given JSON kind (list, dict, str)."""
    if key not in data:
        raise ValueError(f"{owner}: {path} has no {key!r} field; the file is incomplete")
    value = data[key]
    if not isinstance(value, kind):
        raise ValueError(
            f"{owner}: {path} field {key!r} should be a {kind.__name__}, got {type(value).__name__}"
        )
    return value


# ----------------------------------------------------------------------------------------------
# Character tokenizer
# ----------------------------------------------------------------------------------------------


class CharTokenizer:
    """One id per character.

    Ids 0..n-1 are the vocabulary characters in sorted (code point) order — the same ids as the
    classic `sorted(set(text))` recipe — followed by the special tokens in the order given.

    Args:
        chars: the vocabulary characters (duplicates are ignored; order does not matter).
        special_tokens: extra tokens such as "<|endoftext|>", each one id.
        unk_token: if given, characters outside the vocabulary encode to this token instead of
            raising. It is added to the special tokens if it is not already one of them.
    """

    FORMAT = "tinytorch.CharTokenizer"

    def __init__(
        self,
        chars: Iterable[str],
        special_tokens: Sequence[str] = (),
        unk_token: str | None = None,
    ) -> None:
        chars = list(chars)
        for ch in chars:
            if not isinstance(ch, str) or len(ch) != 1:
                raise ValueError(f"CharTokenizer: vocabulary entries must be single characters, got {ch!r}")
        specials = list(special_tokens)
        if unk_token is not None and unk_token not in specials:
            specials.append(unk_token)
        specials = _check_special_tokens("CharTokenizer", specials)
        self.chars: list[str] = sorted(set(chars))
        self.stoi: dict[str, int] = {ch: i for i, ch in enumerate(self.chars)}
        self.special_tokens: dict[str, int] = {t: len(self.chars) + j for j, t in enumerate(specials)}
        self.unk_token = unk_token
        self.itos: list[str] = self.chars + specials

    @classmethod
    def from_text(
        cls, text: str, special_tokens: Sequence[str] = (), unk_token: str | None = None
    ) -> CharTokenizer:
        """Build the vocabulary from every distinct character of `text`."""
        return cls(set(text), special_tokens=special_tokens, unk_token=unk_token)

    @property
    def vocab_size(self) -> int:
        """Number of ids: characters plus special tokens."""
        return len(self.itos)

    def encode(self, text: str, allowed_special: AllowedSpecial = ()) -> list[int]:
        """Encode text as a list of ids, one per character.

        Special tokens in `allowed_special` ("all", or a collection of names) become their single
        id; any other occurrence of their text is encoded character by character.

        Raises:
            ValueError: a character is not in the vocabulary and there is no `unk_token`; the
                message names the character and its position.
        """
        allowed = _resolve_allowed("CharTokenizer.encode", allowed_special, self.special_tokens)
        pieces = _split_special(text, allowed)  # [(piece, is_special), ...]
        # Hint: a special piece is one id (self.special_tokens); every character of an ordinary
        # piece is looked up in self.stoi. For a missing character use the unk_token's id, or call
        # self._unknown_char(text, ch), which raises the error.
        # BEGIN SOLUTION 11
        ids: list[int] = []
        for piece, is_special in pieces:
            if is_special:
                ids.append(self.special_tokens[piece])
                continue
            for ch in piece:
                i = self.stoi.get(ch)
                if i is None:
                    if self.unk_token is None:
                        self._unknown_char(text, ch)
                    i = self.special_tokens[self.unk_token]
                ids.append(i)
        return ids
        # END SOLUTION

    def _unknown_char(self, text: str, ch: str) -> NoReturn:
        """Raise the error for a character outside the vocabulary, naming it and where it is."""
        hint = "build the tokenizer from text that contains it, or pass unk_token=... to map it to one id"
        for token in self.special_tokens:
            if token in text and ch in token:
                hint = f"the text contains the special token {token!r}; pass allowed_special={{{token!r}}}"
                break
        raise ValueError(
            f"CharTokenizer.encode: character {ch!r} (U+{ord(ch):04X}), first at position "
            f"{text.index(ch)} of the text, is not in the vocabulary of {len(self.chars)} characters; {hint}"
        )

    def decode(self, ids: Iterable[int]) -> str:
        """Turn ids back into text (special tokens become their text).

        Raises:
            ValueError: an id is outside 0..vocab_size-1; the message names the id and its position.
        """
        # Hint: self.itos maps id -> character or special token. Use _as_id(...) to accept NumPy
        # integers but reject floats; check the range yourself and name the id and vocab_size.
        # BEGIN SOLUTION 11
        out: list[str] = []
        for position, value in enumerate(ids):
            i = _as_id("CharTokenizer.decode", value, position)
            if not 0 <= i < len(self.itos):
                raise ValueError(
                    f"CharTokenizer.decode: id {i} at position {position} is out of range for "
                    f"vocab_size {len(self.itos)} (valid ids are 0..{len(self.itos) - 1})"
                )
            out.append(self.itos[i])
        return "".join(out)
        # END SOLUTION

    def save(self, path: str | Path) -> None:
        """Write the tokenizer as readable JSON."""
        specials = list(self.special_tokens)
        _write_json(
            path,
            {
                "format": self.FORMAT,
                "version": FILE_VERSION,
                "chars": self.chars,
                "special_tokens": specials,
                "unk_token": self.unk_token,
            },
        )

    @classmethod
    def load(cls, path: str | Path) -> CharTokenizer:
        """Read a tokenizer written by `save`; a bad file raises ValueError naming the file."""
        owner = "CharTokenizer.load"
        data = _read_json(owner, path, cls.FORMAT)
        chars = _field(owner, path, data, "chars", list)
        specials = _field(owner, path, data, "special_tokens", list)
        unk_token = data.get("unk_token")
        if unk_token is not None and unk_token not in specials:
            raise ValueError(
                f"{owner}: {path} names unk_token {unk_token!r}, which is not among its special tokens"
            )
        try:
            tokenizer = cls(chars, special_tokens=specials, unk_token=unk_token)
        except ValueError as e:
            raise ValueError(f"{owner}: {path} holds an invalid vocabulary: {e}") from None
        if tokenizer.chars != chars:
            raise ValueError(f"{owner}: {path} field 'chars' is not a sorted list of distinct characters")
        return tokenizer

    def __repr__(self) -> str:
        return f"CharTokenizer(vocab_size={self.vocab_size}, special_tokens={list(self.special_tokens)})"


# ----------------------------------------------------------------------------------------------
# Byte-level BPE
# ----------------------------------------------------------------------------------------------

# GPT-2's pre-tokenization pattern, written for the standard library `re` (which has no \p{..}):
#   \p{L} (letters)   ->  [^\W\d_]     word characters that are not digits or "_"
#   \p{N} (numbers)   ->  \d           Unicode decimal digits
#   [^\s\p{L}\p{N}]   ->  [^\s\w]|_    anything else ("_" counts as punctuation, as in GPT-2)
# Contractions, then words with an optional leading space, numbers, punctuation runs, and
# whitespace (a run of spaces leaves its last space to start the next word).
GPT2_SPLIT_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+"""


def get_pair_counts(
    ids: Sequence[int],
    counts: dict[tuple[int, int], int] | None = None,
    weight: int = 1,
) -> dict[tuple[int, int], int]:
    """Count adjacent pairs: [1, 2, 3, 1, 2] -> {(1, 2): 2, (2, 3): 1, (3, 1): 1}.

    Each occurrence adds `weight` to the pair's count in `counts` (a new dict if None), which is
    returned. Training calls this with weight = how often a chunk occurs in the corpus, and with a
    negative weight to take a chunk's old pairs back out after a merge. Counts may reach zero or go
    negative in `counts`; this function never deletes entries.
    """
    # BEGIN SOLUTION 11
    if counts is None:
        counts = {}
    for pair in zip(ids, ids[1:]):
        counts[pair] = counts.get(pair, 0) + weight
    return counts
    # END SOLUTION


def merge_pair(ids: Sequence[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """Replace every occurrence of `pair` in ids by `new_id`, scanning left to right.

    Occurrences do not overlap: merge_pair([5, 5, 5], (5, 5), 9) -> [9, 5].
    Returns a new list; ids is not modified.
    """
    # BEGIN SOLUTION 11
    first, second = pair
    out: list[int] = []
    i, n = 0, len(ids)
    while i < n:
        if i + 1 < n and ids[i] == first and ids[i + 1] == second:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out
    # END SOLUTION


def _printable(token: bytes) -> str:
    """A token's bytes for people to read: UTF-8 where valid, \\xNN escapes for partial characters."""
    return token.decode("utf-8", errors="backslashreplace")


class BPETokenizer:
    """Byte-level byte-pair encoding tokenizer (GPT-2 style).

    Ids 0..255 are the single bytes. Merge k (k = 0, 1, ...) joins two existing ids into id 256 + k.
    Special tokens come after the merges. Text is encoded as its UTF-8 bytes; lone surrogates (which
    plain UTF-8 refuses) are written with the "surrogatepass" handler, so
    `decode(encode(s)) == s` for every Python string.

    Build one with `BPETokenizer.train(text, vocab_size)`, or from a list of merges.

    Args:
        merges: the (left id, right id) pairs, in the order they were learned.
        special_tokens: extra tokens such as "<|endoftext|>", given the ids after the merges.
    """

    FORMAT = "tinytorch.BPETokenizer"
    pattern = GPT2_SPLIT_PATTERN
    _CACHE_LIMIT = 100_000  # chunks remembered by encode before the cache is cleared

    def __init__(self, merges: Sequence[tuple[int, int]] = (), special_tokens: Sequence[str] = ()) -> None:
        self.merges: list[tuple[int, int]] = []
        self.vocab: list[bytes] = [bytes([b]) for b in range(256)]  # id -> the bytes it stands for
        for k, pair in enumerate(merges):
            left, right = (int(x) for x in pair)
            new_id = 256 + k
            if not (0 <= left < new_id and 0 <= right < new_id):
                raise ValueError(
                    f"BPETokenizer: merge {k} {[left, right]} refers to an id that does not exist yet "
                    f"(merge {k} may only use ids 0..{new_id - 1})"
                )
            self.merges.append((left, right))
            self.vocab.append(self.vocab[left] + self.vocab[right])
        self.merge_ids: dict[tuple[int, int], int] = {p: 256 + k for k, p in enumerate(self.merges)}
        specials = _check_special_tokens("BPETokenizer", special_tokens)
        self.special_tokens: dict[str, int] = {t: len(self.vocab) + j for j, t in enumerate(specials)}
        self._special_bytes: list[bytes] = [t.encode("utf-8", errors="surrogatepass") for t in specials]
        self._split = re.compile(self.pattern)
        self._cache: dict[bytes, list[int]] = {}

    @property
    def vocab_size(self) -> int:
        """Number of ids: 256 bytes + merges + special tokens."""
        return len(self.vocab) + len(self.special_tokens)

    # -- training ------------------------------------------------------------------------------

    @classmethod
    def train(cls, text: str, vocab_size: int, special_tokens: Sequence[str] = ()) -> BPETokenizer:
        """Learn merges from `text` until the vocabulary has `vocab_size` ids.

        The text is cut at special tokens and pre-tokenized with the GPT-2 pattern into chunks
        (words with their leading space, numbers, punctuation, whitespace); merges never cross a
        chunk boundary. Each step merges the most frequent adjacent pair; ties go to the smallest
        pair (left id, then right id), so training is deterministic. Training stops early if no
        pair is left to merge.

        Speed comes from two facts: the corpus has few *distinct* chunks, so pairs are counted once
        per distinct chunk times its frequency; and a merge only changes chunks that contain the
        merged pair, so only their pair counts are updated.
        """
        specials = _check_special_tokens("BPETokenizer.train", special_tokens)
        num_merges = vocab_size - 256 - len(specials)
        if num_merges < 0:
            raise ValueError(
                f"BPETokenizer.train: vocab_size {vocab_size} is smaller than the 256 byte tokens "
                f"plus {len(specials)} special tokens"
            )
        split = re.compile(cls.pattern)
        chunk_counts: Counter[str] = Counter()
        for piece, is_special in _split_special(text, specials):
            if not is_special:  # special tokens never take part in merges
                chunk_counts.update(split.findall(piece))

        # The distinct chunks as lists of byte ids, with how often each occurs.
        words = [list(chunk.encode("utf-8", errors="surrogatepass")) for chunk in chunk_counts]
        freqs = list(chunk_counts.values())
        counts: dict[tuple[int, int], int] = {}
        where: defaultdict[tuple[int, int], set[int]] = defaultdict(set)  # pair -> chunks holding it
        for i, (word, freq) in enumerate(zip(words, freqs)):
            get_pair_counts(word, counts, freq)
            for pair in zip(word, word[1:]):
                where[pair].add(i)
        # Max-heap of (-count, pair); entries go stale when a count changes and are skipped on pop.
        heap = [(-c, pair) for pair, c in counts.items()]
        heapq.heapify(heap)

        merges: list[tuple[int, int]] = []
        while len(merges) < num_merges and heap:
            neg_count, pair = heapq.heappop(heap)
            if counts.get(pair) != -neg_count:
                continue  # stale entry
            new_id = 256 + len(merges)
            merges.append(pair)
            delta: dict[tuple[int, int], int] = {}
            for i in where.pop(pair):
                word = words[i]
                merged = merge_pair(word, pair, new_id)
                if len(merged) == len(word):
                    continue  # the pair left this chunk in an earlier merge
                get_pair_counts(word, delta, -freqs[i])
                get_pair_counts(merged, delta, freqs[i])
                for p in zip(merged, merged[1:]):
                    where[p].add(i)
                words[i] = merged
            for p, d in delta.items():
                if d == 0:
                    continue
                c = counts.get(p, 0) + d
                if c > 0:
                    counts[p] = c
                    heapq.heappush(heap, (-c, p))
                else:
                    counts.pop(p, None)
        return cls(merges, special_tokens=specials)

    # -- encoding ------------------------------------------------------------------------------

    def encode(self, text: str, allowed_special: AllowedSpecial = ()) -> list[int]:
        """Encode text as ids.

        Special tokens in `allowed_special` ("all", or a collection of names) become their single
        id; anywhere else their text is encoded like any other text.
        """
        allowed = _resolve_allowed("BPETokenizer.encode", allowed_special, self.special_tokens)
        ids: list[int] = []
        for piece, is_special in _split_special(text, allowed):
            if is_special:
                ids.append(self.special_tokens[piece])
            else:
                self._encode_ordinary(piece, "surrogatepass", ids)
        return ids

    def encode_bytes(self, data: bytes) -> list[int]:
        """Encode raw bytes (any bytes, not only valid UTF-8); special tokens are not recognised.

        For valid UTF-8, `encode_bytes(b) == encode(b.decode())`. Invalid bytes are carried through
        the pre-tokenizer with the "surrogateescape" handler, so `decode_bytes(encode_bytes(b)) == b`.
        """
        ids: list[int] = []
        self._encode_ordinary(data.decode("utf-8", errors="surrogateescape"), "surrogateescape", ids)
        return ids

    def _encode_ordinary(self, text: str, errors: str, out: list[int]) -> None:
        """Append the ids of text (no special tokens) to out, chunk by chunk, with a cache."""
        cache = self._cache
        for chunk in self._split.findall(text):
            data = chunk.encode("utf-8", errors=errors)
            ids = cache.get(data)
            if ids is None:
                if len(cache) >= self._CACHE_LIMIT:
                    cache.clear()
                ids = cache[data] = self._encode_chunk(data)
            out.extend(ids)

    def _encode_chunk(self, data: bytes) -> list[int]:
        """Encode one pre-tokenized chunk: start from its bytes and apply merges in training order.

        Repeatedly find, among the adjacent pairs, the one that was merged *earliest* in training
        (smallest id in self.merge_ids) and merge it everywhere with merge_pair; stop when no
        adjacent pair is a known merge. E.g. with merges (104,105)->256 "hi" and (256,33)->257:
        b"hi!" -> [104, 105, 33] -> [256, 33] -> [257].
        """
        # BEGIN SOLUTION 11
        ids = list(data)
        merge_ids = self.merge_ids
        while len(ids) >= 2:
            best = min(zip(ids, ids[1:]), key=lambda p: merge_ids.get(p, float("inf")))
            new_id = merge_ids.get(best)
            if new_id is None:
                break
            ids = merge_pair(ids, best, new_id)
        return ids
        # END SOLUTION

    # -- decoding ------------------------------------------------------------------------------

    def decode_bytes(self, ids: Iterable[int]) -> bytes:
        """The bytes the ids stand for (special tokens as their UTF-8 text)."""
        vocab, specials, n = self.vocab, self._special_bytes, len(self.vocab)
        parts: list[bytes] = []
        for position, value in enumerate(ids):
            i = _as_id("BPETokenizer.decode", value, position)
            if 0 <= i < n:
                parts.append(vocab[i])
            elif n <= i < n + len(specials):
                parts.append(specials[i - n])
            else:
                raise ValueError(
                    f"BPETokenizer.decode: id {i} at position {position} is out of range for "
                    f"vocab_size {self.vocab_size} (valid ids are 0..{self.vocab_size - 1})"
                )
        return b"".join(parts)

    def decode(self, ids: Iterable[int], errors: str = "replace") -> str:
        """Turn ids back into text; `decode(encode(s)) == s` for every string s.

        Ids that a model generates need not form valid UTF-8 (a multi-byte character may be cut
        in half); such bytes are decoded with `errors` ("replace" gives U+FFFD, "strict" raises).
        """
        data = self.decode_bytes(ids)
        try:
            return data.decode("utf-8", errors="surrogatepass")
        except UnicodeDecodeError:
            return data.decode("utf-8", errors=errors)

    # -- files ---------------------------------------------------------------------------------

    def save(self, path: str | Path) -> None:
        """Write the tokenizer as readable JSON.

        `merges` is what loading uses; `tokens` shows each merged token's text (with \\xNN for
        bytes that are not a whole UTF-8 character) and is checked against `merges` on load.
        """
        _write_json(
            path,
            {
                "format": self.FORMAT,
                "version": FILE_VERSION,
                "pattern": self.pattern,
                "merges": [list(p) for p in self.merges],
                "tokens": {str(256 + k): _printable(self.vocab[256 + k]) for k in range(len(self.merges))},
                "special_tokens": self.special_tokens,
            },
        )

    @classmethod
    def load(cls, path: str | Path) -> BPETokenizer:
        """Read a tokenizer written by `save`; a bad file raises ValueError naming the file and fault."""
        owner = "BPETokenizer.load"
        data = _read_json(owner, path, cls.FORMAT)
        if data.get("pattern") != cls.pattern:
            raise ValueError(
                f"{owner}: {path} was saved with a different pre-tokenization pattern; "
                f"its encodings would not match this tokenizer's"
            )
        merges = _field(owner, path, data, "merges", list)
        for k, pair in enumerate(merges):
            if not (isinstance(pair, list) and len(pair) == 2 and all(type(x) is int for x in pair)):
                raise ValueError(f"{owner}: {path} merge {k} should be a pair of integer ids, got {pair!r}")
        specials = _field(owner, path, data, "special_tokens", dict)
        try:
            tokenizer = cls([tuple(p) for p in merges], special_tokens=list(specials))
        except ValueError as e:
            raise ValueError(f"{owner}: {path} holds invalid merges or special tokens: {e}") from None
        if tokenizer.special_tokens != specials:
            raise ValueError(
                f"{owner}: {path} special token ids {specials} do not follow the merges; "
                f"expected {tokenizer.special_tokens}"
            )
        tokens = _field(owner, path, data, "tokens", dict)
        for k in range(len(tokenizer.merges)):
            key, expected = str(256 + k), _printable(tokenizer.vocab[256 + k])
            if tokens.get(key) != expected:
                raise ValueError(
                    f"{owner}: {path} token {key} reads {tokens.get(key)!r} but its merge gives "
                    f"{expected!r}; the file was edited or is corrupt"
                )
        return tokenizer

    def __repr__(self) -> str:
        return (
            f"BPETokenizer(vocab_size={self.vocab_size}, merges={len(self.merges)}, "
            f"special_tokens={list(self.special_tokens)})"
        )
