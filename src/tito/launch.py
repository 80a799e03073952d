"""Run a course script (a milestone) on the `tinytorch` of one package root.

    python -P -m tito.launch ROOT SCRIPT [ARGS...]

ROOT is a workspace or the reference's parent directory. The script runs as `__main__` with
sys.argv = [SCRIPT, *ARGS], after checking that `import tinytorch` really loads the package in ROOT,
so a milestone can never run on another copy than the one asked for.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("usage: python -P -m tito.launch ROOT SCRIPT [ARGS...]", file=sys.stderr)
        return 2
    root, script, args = Path(argv[0]).resolve(), Path(argv[1]).resolve(), argv[2:]
    sys.path[:0] = [str(root), str(script.parent)]  # like `python SCRIPT`, with ROOT first
    import tinytorch

    if not Path(tinytorch.__file__).resolve().is_relative_to(root):
        print(
            f"refusing to run: `import tinytorch` found {tinytorch.__file__}, not the package in {root}",
            file=sys.stderr,
        )
        return 3
    sys.argv = [str(script), *args]
    runpy.run_path(str(script), run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
