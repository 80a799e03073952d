"""Tests for tinytorch.text: CharTokenizer, byte-level BPETokenizer and the bundled small corpus."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tinytorch.text import BPETokenizer, CharTokenizer, get_pair_counts, load_small_corpus, merge_pair
from tinytorch.text.tokenizers import GPT2_SPLIT_PATTERN

ROOT = Path(__file__).resolve().parent.parent
EOT = "<|endoftext|>"

# Text with everything the tokenizers must survive: all of Unicode including lone surrogates, plus
# extra weight on spaces, newlines, apostrophes and underscores so the split pattern's branches run.
any_text = st.text(
    alphabet=st.one_of(
        st.characters(codec=None),
        st.characters(categories=["Cs"]),
        st.sampled_from(" \n\t'_sdtlvrem019aé😀"),
    ),
    max_size=60,
)
fast = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def corpus() -> str:
    return load_small_corpus()


@pytest.fixture(scope="module")
def bpe(corpus: str) -> BPETokenizer:
    return BPETokenizer.train(corpus[:30_000], vocab_size=320, special_tokens=[EOT])


# ----------------------------------------------------------------------------------------------
# CharTokenizer
# ----------------------------------------------------------------------------------------------


def test_char_vocab_is_sorted_and_round_trips() -> None:
    text = "hello world\n"
    tok = CharTokenizer.from_text(text)
    assert tok.chars == sorted(set(text))
    assert tok.vocab_size == len(set(text))
    ids = tok.encode("hold\n")
    assert ids == [sorted(set(text)).index(c) for c in "hold\n"]
    assert tok.decode(ids) == "hold\n"
    assert tok.decode(np.array(ids, dtype=np.int64)) == "hold\n"


def test_char_unknown_character_error_names_it() -> None:
    tok = CharTokenizer.from_text("abc")
    with pytest.raises(ValueError, match=r"'z' \(U\+007A\), first at position 2"):
        tok.encode("abzz")
    with pytest.raises(ValueError, match="allowed_special"):
        CharTokenizer.from_text("abc", special_tokens=[EOT]).encode(f"a{EOT}")


def test_char_unk_and_special_tokens() -> None:
    tok = CharTokenizer.from_text("ba", special_tokens=[EOT], unk_token="<unk>")
    assert tok.special_tokens == {EOT: 2, "<unk>": 3}
    assert tok.vocab_size == 4
    assert tok.encode("a?b") == [0, 3, 1]
    assert tok.encode(f"a{EOT}b", allowed_special="all") == [0, 2, 1]
    assert tok.encode(f"a{EOT}b", allowed_special={EOT}) == [0, 2, 1]
    assert tok.encode(f"a{EOT}") == [0] + [3] * len(EOT)  # not allowed: plain (unknown) characters
    assert tok.decode([0, 2, 1]) == f"a{EOT}b"
    with pytest.raises(ValueError, match="not special tokens"):
        tok.encode("a", allowed_special={"<|im_start|>"})
    with pytest.raises(TypeError, match="collection"):
        tok.encode("a", allowed_special=EOT)


def test_char_decode_rejects_bad_ids() -> None:
    tok = CharTokenizer.from_text("abc")
    with pytest.raises(ValueError, match=r"id 7 at position 1 .* vocab_size 3"):
        tok.decode([0, 7])
    with pytest.raises(ValueError, match="id -1"):
        tok.decode([-1])
    with pytest.raises(TypeError, match="float"):
        tok.decode([1.0])


def test_char_save_load(tmp_path: Path) -> None:
    text = "Ünïcode ✓ text\n\ud800"
    tok = CharTokenizer.from_text(text, special_tokens=[EOT], unk_token="<unk>")
    path = tmp_path / "char.json"
    tok.save(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == "tinytorch.CharTokenizer" and data["version"] == 1
    assert "✓" in path.read_text(encoding="utf-8")  # readable: characters written as themselves
    loaded = CharTokenizer.load(path)
    assert loaded.itos == tok.itos and loaded.unk_token == "<unk>"
    assert loaded.encode(text + "?") == tok.encode(text + "?")


def test_char_load_errors(tmp_path: Path) -> None:
    path = tmp_path / "char.json"
    CharTokenizer.from_text("abc").save(path)
    good = path.read_text(encoding="utf-8")
    path.write_text(good[: len(good) // 2], encoding="utf-8")
    with pytest.raises(ValueError, match=r"char\.json is not valid JSON.*truncated"):
        CharTokenizer.load(path)
    path.write_text(good.replace('"c"', '"cd"'), encoding="utf-8")
    with pytest.raises(ValueError, match=r"char\.json holds an invalid vocabulary.*'cd'"):
        CharTokenizer.load(path)
    path.write_text(good.replace('"c"', '"a"'), encoding="utf-8")
    with pytest.raises(ValueError, match="not a sorted list of distinct"):
        CharTokenizer.load(path)
    BPETokenizer().save(path)
    with pytest.raises(ValueError, match="format 'tinytorch.BPETokenizer', expected 'tinytorch.Char"):
        CharTokenizer.load(path)


# ----------------------------------------------------------------------------------------------
# BPE building blocks
# ----------------------------------------------------------------------------------------------


def test_get_pair_counts() -> None:
    assert get_pair_counts([1, 2, 3, 1, 2]) == {(1, 2): 2, (2, 3): 1, (3, 1): 1}
    assert get_pair_counts([7]) == {}
    counts = {(1, 2): 5}
    assert get_pair_counts([1, 2, 1, 2], counts, weight=-2) is counts
    assert counts == {(1, 2): 1, (2, 1): -2}


def test_merge_pair() -> None:
    assert merge_pair([1, 2, 3, 1, 2], (1, 2), 9) == [9, 3, 9]
    assert merge_pair([5, 5, 5], (5, 5), 9) == [9, 5]
    assert merge_pair([5, 5, 5, 5], (5, 5), 9) == [9, 9]
    assert merge_pair([1, 2], (2, 1), 9) == [1, 2]
    assert merge_pair([], (1, 2), 9) == []
    ids = [1, 2]
    merge_pair(ids, (1, 2), 9)
    assert ids == [1, 2]


def test_split_pattern_follows_gpt2() -> None:
    split = re.compile(GPT2_SPLIT_PATTERN).findall
    assert split("Hello world's  123 __x") == ["Hello", " world", "'s", " ", " 123", " __", "x"]
    assert split("I'll go,\n\n  now!") == ["I", "'ll", " go", ",", "\n\n ", " now", "!"]
    assert split("café 42ème") == ["café", " 42", "ème"]


@fast
@given(any_text)
def test_split_pattern_covers_every_character(text: str) -> None:
    assert "".join(re.findall(GPT2_SPLIT_PATTERN, text)) == text


# ----------------------------------------------------------------------------------------------
# BPE training
# ----------------------------------------------------------------------------------------------


def naive_train(text: str, num_merges: int, special_tokens: list[str]) -> list[tuple[int, int]]:
    """Textbook BPE: recount every pair of every chunk occurrence after each merge."""
    pieces = re.split("|".join(map(re.escape, special_tokens)), text) if special_tokens else [text]
    chunks = [c for p in pieces for c in re.findall(GPT2_SPLIT_PATTERN, p)]
    words = [list(c.encode("utf-8", "surrogatepass")) for c in chunks]
    merges = []
    for k in range(num_merges):
        counts = Counter(pair for w in words for pair in zip(w, w[1:]))
        if not counts:
            break
        best = min(counts, key=lambda p: (-counts[p], p))  # most frequent, then smallest pair
        merges.append(best)
        words = [merge_pair(w, best, 256 + k) for w in words]
    return merges


def test_train_matches_textbook_bpe(corpus: str) -> None:
    text = corpus[:4000] + EOT + "aaaa aaaaa 😀😀 héllo" + EOT + corpus[-2000:]
    tok = BPETokenizer.train(text, vocab_size=256 + 150 + 1, special_tokens=[EOT])
    assert tok.merges == naive_train(text, 150, [EOT])
    assert tok.special_tokens == {EOT: 256 + 150}
    assert tok.vocab_size == 256 + 150 + 1


def test_ties_go_to_the_smallest_pair() -> None:
    # "cdab": every pair occurs once; (a, b) = (97, 98) is smallest though it comes last.
    tok = BPETokenizer.train("cdab", vocab_size=257)
    assert tok.merges == [(97, 98)]


def test_train_stops_when_nothing_is_left_to_merge() -> None:
    tok = BPETokenizer.train("ab ab", vocab_size=1000)
    assert [tok.vocab[i] for i in range(256, tok.vocab_size)] == [b"ab", b" ab"]
    assert BPETokenizer.train("", vocab_size=300).vocab_size == 256
    with pytest.raises(ValueError, match="vocab_size 256 is smaller than the 256 byte tokens plus 1"):
        BPETokenizer.train("abc", vocab_size=256, special_tokens=[EOT])


def test_training_is_deterministic_across_processes(corpus: str) -> None:
    code = (
        "from tinytorch.text import BPETokenizer, load_small_corpus;"
        "print(BPETokenizer.train(load_small_corpus()[:5000] + 'é😀 ab', 300).merges)"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }
    here = BPETokenizer.train(corpus[:5000] + "é😀 ab", 300).merges
    assert outputs == {f"{here}\n"}


# ----------------------------------------------------------------------------------------------
# BPE encoding and decoding
# ----------------------------------------------------------------------------------------------


def naive_encode(tok: BPETokenizer, text: str) -> list[int]:
    """Apply every merge in training order to every chunk."""
    out = []
    for chunk in re.findall(GPT2_SPLIT_PATTERN, text):
        ids = list(chunk.encode("utf-8", "surrogatepass"))
        for k, pair in enumerate(tok.merges):
            ids = merge_pair(ids, pair, 256 + k)
        out += ids
    return out


def test_encode_applies_merges(bpe: BPETokenizer, corpus: str) -> None:
    text = corpus[:30_000]
    ids = bpe.encode(text)
    assert len(ids) < 0.7 * len(text.encode("utf-8"))
    sample = corpus[50_000:52_000]
    assert bpe.encode(sample) == naive_encode(bpe, sample)
    assert bpe.decode(ids) == text


def test_encode_chunk_merges_earliest_first() -> None:
    tok = BPETokenizer([(104, 105), (256, 106), (105, 106)])  # "hi", "hij", "ij"
    assert tok.encode("hij") == [257]  # "hi" first, although "ij" also matches
    assert tok.encode("ij") == [258]
    assert tok.encode("hi!") == [256, 33]


def test_special_tokens_only_when_allowed(bpe: BPETokenizer) -> None:
    eot = bpe.special_tokens[EOT]
    assert eot == bpe.vocab_size - 1
    text = f"To be{EOT}or not"
    ids = bpe.encode(text, allowed_special={EOT})
    assert ids.count(eot) == 1 and bpe.decode(ids) == text
    plain = bpe.encode(text)
    assert eot not in plain and bpe.decode(plain) == text
    assert bpe.encode(text, allowed_special="all") == ids
    with pytest.raises(ValueError, match="not special tokens"):
        bpe.encode(text, allowed_special={"<|pad|>"})


def test_decode_errors(bpe: BPETokenizer) -> None:
    n = bpe.vocab_size
    with pytest.raises(ValueError, match=rf"id {n} at position 2 .* vocab_size {n}"):
        bpe.decode([1, 2, n])
    with pytest.raises(TypeError, match="float"):
        bpe.decode([3.0])
    # Generated ids need not be valid UTF-8: a cut multi-byte character.
    cut = list("é".encode("utf-8"))[:1]
    assert bpe.decode(cut) == "\ufffd"
    with pytest.raises(UnicodeDecodeError):
        bpe.decode(cut, errors="strict")


@fast
@given(any_text)
def test_round_trip_any_text(bpe: BPETokenizer, text: str) -> None:
    assert bpe.decode(bpe.encode(text)) == text
    assert bpe.decode(bpe.encode(text, allowed_special="all")) == text


@fast
@given(st.binary(max_size=60))
def test_round_trip_any_bytes(bpe: BPETokenizer, data: bytes) -> None:
    assert bpe.decode_bytes(bpe.encode_bytes(data)) == data


@fast
@given(st.text(max_size=60))
def test_encode_bytes_agrees_with_encode_on_utf8(bpe: BPETokenizer, text: str) -> None:
    assert bpe.encode_bytes(text.encode("utf-8")) == bpe.encode(text)


# ----------------------------------------------------------------------------------------------
# BPE files
# ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def saved(bpe: BPETokenizer, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BPETokenizer]:
    path = tmp_path_factory.mktemp("bpe") / "bpe.json"
    bpe.save(path)
    return path, BPETokenizer.load(path)


def test_save_is_readable_json(saved: tuple[Path, BPETokenizer], bpe: BPETokenizer) -> None:
    path, loaded = saved
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == "tinytorch.BPETokenizer" and data["version"] == 1
    assert data["merges"][0] == list(bpe.merges[0])
    assert data["tokens"]["256"] == bpe.vocab[256].decode("utf-8")
    assert data["special_tokens"] == {EOT: bpe.vocab_size - 1}
    assert loaded.merges == bpe.merges and loaded.special_tokens == bpe.special_tokens


@fast
@given(any_text)
def test_loaded_tokenizer_encodes_identically(
    saved: tuple[Path, BPETokenizer], bpe: BPETokenizer, text: str
) -> None:
    _, loaded = saved
    text = text + EOT
    assert loaded.encode(text, allowed_special="all") == bpe.encode(text, allowed_special="all")


def test_save_load_special_tokens_with_surrogates(tmp_path: Path) -> None:
    tok = BPETokenizer.train("abab \udc80", 258, special_tokens=["<\ud800>"])
    tok.save(tmp_path / "t.json")
    loaded = BPETokenizer.load(tmp_path / "t.json")
    assert loaded.special_tokens == {"<\ud800>": 257}
    assert loaded.decode(loaded.encode("<\ud800>", allowed_special="all")) == "<\ud800>"


def edit(path: Path, tmp_path: Path, change) -> Path:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    out = tmp_path / "edited.json"
    out.write_text(json.dumps(data), encoding="utf-8")
    return out


def test_load_errors_name_file_and_fault(saved: tuple[Path, BPETokenizer], tmp_path: Path) -> None:
    path, _ = saved
    truncated = tmp_path / "truncated.json"
    truncated.write_bytes(path.read_bytes()[:500])
    with pytest.raises(ValueError, match=r"truncated\.json is not valid JSON"):
        BPETokenizer.load(truncated)

    foreign = tmp_path / "tokenizer.json"  # the shape of a Hugging Face tokenizers file
    hf_like = {"version": "1.0", "model": {"type": "BPE", "merges": []}}
    foreign.write_text(json.dumps(hf_like), encoding="utf-8")
    with pytest.raises(ValueError, match=r"tokenizer\.json has no 'format' field"):
        BPETokenizer.load(foreign)

    binary = tmp_path / "weights.bin"
    binary.write_bytes(b"\x80\x81\xff" * 10)
    with pytest.raises(ValueError, match=r"weights\.bin is not a UTF-8 text file"):
        BPETokenizer.load(binary)

    cases = {
        "file version 99": lambda d: d.update(version=99),
        "different pre-tokenization pattern": lambda d: d.update(pattern=r"\w+"),
        "no 'merges' field": lambda d: d.pop("merges"),
        r"merge 3 should be a pair of integer ids": lambda d: d["merges"].__setitem__(3, [1, "2"]),
        r"merge 0 \[300, 5\] refers to an id that": lambda d: d["merges"].__setitem__(0, [300, 5]),
        "do not follow the merges": lambda d: d.update(special_tokens={EOT: 5}),
        "token 256 reads 'xyz'": lambda d: d["tokens"].__setitem__("256", "xyz"),
    }
    for message, change in cases.items():
        with pytest.raises(ValueError, match=rf"edited\.json .*{message}"):
            BPETokenizer.load(edit(path, tmp_path, change))


# ----------------------------------------------------------------------------------------------
# Bundled corpus and its build script
# ----------------------------------------------------------------------------------------------


def test_small_corpus_matches_its_readme(corpus: str) -> None:
    data = corpus.encode("utf-8")
    assert 100_000 <= len(data) < 250_000
    assert corpus.startswith("First Citizen:\n") and corpus.endswith("\n") and not corpus.endswith("\n\n")
    readme = (ROOT / "src" / "tinytorch" / "text" / "data" / "README.md").read_text(encoding="utf-8")
    recorded = re.search(r"SHA-256 of `tinyshakespeare_small.txt`:\s*`([0-9a-f]{64})`", readme)
    assert recorded is not None and hashlib.sha256(data).hexdigest() == recorded.group(1)
    assert f"first {len(data):,} bytes" in readme


def test_build_small_corpus_script(tmp_path: Path) -> None:
    source = tmp_path / "source.txt"
    source.write_text("A:\nhi there.\n\nB:\nhello.\n\nC:\nbye now.\n", encoding="utf-8")
    out = tmp_path / "small.txt"
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_small_corpus.py"), str(source),
         "--max-bytes", "30", "--out", str(out)],
        capture_output=True, text=True, check=True,
    )
    assert out.read_text(encoding="utf-8") == "A:\nhi there.\n\nB:\nhello.\n"
    assert "warning" in result.stdout and "SHA-256" in result.stdout
