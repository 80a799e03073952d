"""Module 11 check: the character tokenizer, pair counting, merging, and byte-pair encoding.

Ids are worked out by hand: a CharTokenizer numbers its characters in sorted order, and the BPE
merges learned from the small corpora below are derived step by step in the comments (most
frequent pair first, ties to the smallest pair).
"""

from __future__ import annotations

import numpy as np

from tinytorch.text import BPETokenizer, CharTokenizer
from tinytorch.text.tokenizers import get_pair_counts, merge_pair
from tito.course.checks._helpers import assert_equal, assert_raises, exercise, fail

CHAR_ENCODE = exercise("CharTokenizer.encode")
CHAR_DECODE = exercise("CharTokenizer.decode")
PAIR_COUNTS = exercise("get_pair_counts")
MERGE = exercise("merge_pair")
ENCODE_CHUNK = exercise("BPETokenizer._encode_chunk")

EOT = "<|endoftext|>"
# sorted characters of "hello world": ' ' d e h l o r w  ->  ids 0..7
HELLO = CharTokenizer.from_text("hello world", special_tokens=[EOT])  # EOT is id 8


# -------------------------------------------------------------------------------- CharTokenizer


def test_char_encode_numbers_characters_in_sorted_order():
    assert_equal(HELLO.encode("hello"), [3, 2, 4, 4, 5], CHAR_ENCODE, "encode('hello') with vocabulary ' dehlorw'")
    assert_equal(HELLO.encode("world hello"), [7, 5, 6, 4, 1, 0, 3, 2, 4, 4, 5], CHAR_ENCODE,
                 "encode('world hello') with vocabulary ' dehlorw'")
    assert_equal(HELLO.encode(""), [], CHAR_ENCODE, "encode('')")


def test_char_encode_special_tokens_only_when_allowed():
    assert_equal(HELLO.encode(f"he{EOT}lo", allowed_special="all"), [3, 2, 8, 4, 5], CHAR_ENCODE,
                 f"encode('he{EOT}lo', allowed_special='all')")
    assert_equal(HELLO.encode(f"{EOT}{EOT}", allowed_special={EOT}), [8, 8], CHAR_ENCODE,
                 f"encode('{EOT}{EOT}', allowed_special={{'{EOT}'}})")
    assert_raises(ValueError, lambda: HELLO.encode(f"he{EOT}"), CHAR_ENCODE,
                  f"encode('he{EOT}') without allowed_special: '<' is not in the vocabulary")


def test_char_encode_unknown_characters():
    assert_raises(ValueError, lambda: HELLO.encode("help"), CHAR_ENCODE, "encode('help'): 'p' is not in the vocabulary")
    tokenizer = CharTokenizer("abc", special_tokens=[EOT], unk_token="<unk>")  # a b c = 0 1 2, EOT 3, <unk> 4
    assert_equal(tokenizer.encode("abxc?"), [0, 1, 4, 2, 4], CHAR_ENCODE,
                 "CharTokenizer('abc', special_tokens=[EOT], unk_token='<unk>').encode('abxc?')")


def test_char_decode_inverts_encode():
    assert_equal(HELLO.decode([3, 2, 4, 4, 5, 0, 7]), "hello w", CHAR_DECODE, "decode([3, 2, 4, 4, 5, 0, 7])")
    assert_equal(HELLO.decode([5, 8, 1]), f"o{EOT}d", CHAR_DECODE, "decode([5, 8, 1]) (8 is the special token)")
    assert_equal(HELLO.decode(np.array([6, 2], dtype=np.int32)), "re", CHAR_DECODE, "decode(NumPy int32 ids [6, 2])")
    assert_equal(HELLO.decode([]), "", CHAR_DECODE, "decode([])")


def test_char_decode_rejects_bad_ids():
    error = assert_raises(ValueError, lambda: HELLO.decode([1, 9]), CHAR_DECODE, "decode([1, 9]) with vocab_size 9")
    if "9" not in str(error):
        fail("decode: the error must name the id out of range", CHAR_DECODE, expected="a message containing 9",
             got=str(error))
    assert_raises(ValueError, lambda: HELLO.decode([2, -1]), CHAR_DECODE, "decode([2, -1]): ids are never negative")
    assert_raises(TypeError, lambda: HELLO.decode([1.0]), CHAR_DECODE, "decode([1.0]): ids must be integers")


# ------------------------------------------------------------------------------ get_pair_counts


def test_get_pair_counts_counts_adjacent_pairs():
    assert_equal(get_pair_counts([1, 2, 3, 1, 2]), {(1, 2): 2, (2, 3): 1, (3, 1): 1}, PAIR_COUNTS,
                 "get_pair_counts([1, 2, 3, 1, 2])")
    assert_equal(get_pair_counts([7, 7, 7]), {(7, 7): 2}, PAIR_COUNTS, "get_pair_counts([7, 7, 7]) (pairs overlap)")
    assert_equal(get_pair_counts([4]), {}, PAIR_COUNTS, "get_pair_counts([4])")


def test_get_pair_counts_adds_weighted_counts_into_a_dict():
    counts = {(1, 2): 5, (9, 9): 1}
    got = get_pair_counts([1, 2, 1, 2], counts, weight=3)
    if got is not counts:
        fail("get_pair_counts(ids, counts, ...) must add into `counts` and return it", PAIR_COUNTS,
             expected="the dict passed in", got=got)
    assert_equal(counts, {(1, 2): 11, (9, 9): 1, (2, 1): 3}, PAIR_COUNTS,
                 "get_pair_counts([1, 2, 1, 2], {(1, 2): 5, (9, 9): 1}, weight=3)")
    get_pair_counts([1, 2], counts, weight=-11)
    assert_equal(counts[(1, 2)], 0, PAIR_COUNTS,
                 "get_pair_counts([1, 2], counts, weight=-11): a count reaching 0 is kept")


# ----------------------------------------------------------------------------------- merge_pair


def test_merge_pair_replaces_every_occurrence():
    assert_equal(merge_pair([1, 2, 3, 1, 2], (1, 2), 7), [7, 3, 7], MERGE, "merge_pair([1, 2, 3, 1, 2], (1, 2), 7)")
    assert_equal(merge_pair([2, 1, 3], (1, 2), 7), [2, 1, 3], MERGE, "merge_pair([2, 1, 3], (1, 2), 7) (no occurrence)")
    assert_equal(merge_pair([1], (1, 2), 7), [1], MERGE, "merge_pair([1], (1, 2), 7)")


def test_merge_pair_scans_left_to_right_without_overlaps():
    assert_equal(merge_pair([5, 5, 5], (5, 5), 9), [9, 5], MERGE, "merge_pair([5, 5, 5], (5, 5), 9)")
    assert_equal(merge_pair([5, 5, 5, 5], (5, 5), 9), [9, 9], MERGE, "merge_pair([5, 5, 5, 5], (5, 5), 9)")
    ids = [1, 2, 1, 2]
    merge_pair(ids, (1, 2), 7)
    assert_equal(ids, [1, 2, 1, 2], MERGE, "merge_pair must not modify its input list")


# ----------------------------------------------------------------------------------------- BPE


def test_encode_chunk_applies_merges_in_training_order():
    tokenizer = BPETokenizer([(104, 105), (256, 33)])  # "hi" -> 256, "hi" + "!" -> 257
    assert_equal(tokenizer._encode_chunk(b"hi!"), [257], ENCODE_CHUNK, "_encode_chunk(b'hi!') with merges hi, hi!")
    assert_equal(tokenizer._encode_chunk(b"ih!"), [105, 104, 33], ENCODE_CHUNK, "_encode_chunk(b'ih!') (no merge)")
    assert_equal(tokenizer._encode_chunk(b""), [], ENCODE_CHUNK, "_encode_chunk(b'')")
    # merge 0 is (b, c), merge 1 is (a, b): in b"abc" the earlier merge wins, though (a, b) comes first
    ranked = BPETokenizer([(98, 99), (97, 98)])
    assert_equal(ranked._encode_chunk(b"abc"), [97, 256], ENCODE_CHUNK,
                 "_encode_chunk(b'abc') with merges [(b, c), (a, b)]: the earliest merge first")
    assert_equal(ranked._encode_chunk(b"ababc"), [257, 97, 256], ENCODE_CHUNK,
                 "_encode_chunk(b'ababc') with merges [(b, c), (a, b)]")


def test_bpe_train_learns_the_most_frequent_pairs():
    # chunks "ab" once, " ab" twice, " cd" once. Pair counts: (a, b) 3, (' ', a) 2, (' ', c) 1, (c, d) 1.
    # 1: (a, b) -> 256.  2: (' ', 256) counts 2 -> 257.  3: (' ', c) and (c, d) tie at 1: the smaller
    # pair (32, 99) -> 258.  4: (258, d) -> 259.
    tokenizer = BPETokenizer.train("ab ab ab cd", vocab_size=260)
    assert_equal([tuple(m) for m in tokenizer.merges], [(97, 98), (32, 256), (32, 99), (258, 100)], PAIR_COUNTS,
                 "the merges BPETokenizer.train('ab ab ab cd', vocab_size=260) learns")
    assert_equal(tokenizer.encode("ab ab cd"), [256, 257, 259], ENCODE_CHUNK,
                 "encode('ab ab cd') with the merges learned from 'ab ab ab cd'")
    assert_equal(tokenizer.decode(tokenizer.encode("ab cab")), "ab cab", ENCODE_CHUNK, "decode(encode('ab cab'))")


def test_bpe_train_merges_a_repeated_letter_left_to_right():
    # "aaab" is one chunk: (a, a) 2, (a, b) 1 -> (a, a) = 256 gives [256, a, b]; then (256, a) and (a, b)
    # tie at 1 -> (97, 98) = 257 gives [256, 257]; then (256, 257) = 258.
    tokenizer = BPETokenizer.train("aaab", vocab_size=259)
    assert_equal([tuple(m) for m in tokenizer.merges], [(97, 97), (97, 98), (256, 257)], MERGE,
                 "the merges BPETokenizer.train('aaab', vocab_size=259) learns")
    assert_equal(tokenizer.encode("aaab"), [258], ENCODE_CHUNK, "encode('aaab') after training on 'aaab'")
    # "aaaab": (a, a) merges twice -> [256, 256, b]; neither (256, 256) nor (256, b) is a merge
    assert_equal(tokenizer.encode("aaaab"), [256, 256, 98], ENCODE_CHUNK, "encode('aaaab') after training on 'aaab'")
