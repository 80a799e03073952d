"""Console output that works on any terminal.

Rich draws ASCII boxes by itself when the console's encoding is not UTF-8; this module also picks
ASCII symbols there and makes the stream replace any character it cannot encode instead of crashing
(a Windows `cp1252` console, `PYTHONIOENCODING=ascii`, output piped to a file).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TextIO

from rich.console import Console


@dataclass(frozen=True)
class Symbols:
    ok: str
    fail: str
    warn: str
    skip: str
    dash: str


UNICODE = Symbols(ok="✓", fail="✗", warn="!", skip="-", dash="—")
ASCII = Symbols(ok="+", fail="x", warn="!", skip="-", dash="-")


def is_utf(stream: TextIO) -> bool:
    return (getattr(stream, "encoding", None) or "").lower().replace("-", "").startswith("utf")


def make_console(stream: TextIO | None = None) -> tuple[Console, Symbols]:
    """A Rich console on `stream` (default stdout) and the symbols that stream can show."""
    stream = stream or sys.stdout
    if not is_utf(stream) and hasattr(stream, "reconfigure"):
        stream.reconfigure(errors="replace")
    console = Console(file=stream, emoji=False, highlight=False)
    return console, UNICODE if is_utf(stream) else ASCII
