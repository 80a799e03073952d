"""Build the small corpus shipped in src/tinytorch/text/data/ from the full Tiny Shakespeare file.

Usage:
    python scripts/build_small_corpus.py PATH/TO/tinyshakespeare.txt [--max-bytes 200000]

The source is Tiny Shakespeare (`data/tinyshakespeare/input.txt` of karpathy/char-rnn). The
output is its longest prefix of at most --max-bytes bytes that ends at the end of a speech (a blank
line), so no line is cut. The script prints the size and SHA-256 to record in the data README.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

# SHA-256 of the full Tiny Shakespeare file as published with char-rnn (1,115,394 bytes).
SOURCE_SHA256 = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"
ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "src" / "tinytorch" / "text" / "data" / "tinyshakespeare_small.txt"


def small_prefix(text: str, max_bytes: int) -> str:
    """The longest prefix of text within max_bytes (UTF-8) that ends just after a blank line."""
    head = text.encode("utf-8")[:max_bytes].decode("utf-8", errors="ignore")
    end = head.rfind("\n\n")
    if end < 0:
        raise ValueError(f"no blank line in the first {max_bytes} bytes; cannot cut at a speech boundary")
    return head[: end + 1]  # keep the speech's final newline, drop the blank line


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("source", type=Path, help="the full tinyshakespeare.txt (input.txt of char-rnn)")
    parser.add_argument("--max-bytes", type=int, default=200_000, help="size limit (default 200000)")
    parser.add_argument("--out", type=Path, default=OUTPUT, help="output file (default: the package's copy)")
    args = parser.parse_args()

    raw = args.source.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SOURCE_SHA256:
        print(f"warning: {args.source} has SHA-256 {digest}, not that of the published Tiny Shakespeare")
    text = raw.decode("utf-8").replace("\r\n", "\n")
    small = small_prefix(text, args.max_bytes)
    data = small.encode("utf-8")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    lines, distinct = small.count("\n"), len(set(small))
    print(f"wrote {args.out}: {len(data):,} bytes, {lines:,} lines, {distinct} distinct characters")
    print(f"SHA-256 {hashlib.sha256(data).hexdigest()}")


if __name__ == "__main__":
    main()
