"""Run every benchmark at one thread and at the default thread count; print medians and ratios.

    python benchmarks/run.py                 # all benchmark files
    python benchmarks/run.py core conv       # only bench_core.py and bench_conv.py
    python benchmarks/run.py --write         # also rewrite benchmarks/RESULTS.md

Each file runs in a fresh subprocess per thread count, because BLAS libraries read their thread
count once, when they load.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from tinytorch.system import system_report  # noqa: E402


def run_file(path: Path, threads: int) -> list[dict]:
    """Run one benchmark file with `threads` BLAS threads (0 = the default) and parse its cases."""
    result = subprocess.run(
        [sys.executable, str(path), str(threads)], cwd=HERE, capture_output=True, text=True, encoding="utf-8"
    )
    if result.returncode != 0:
        raise RuntimeError(f"{path.name} failed (threads={threads}):\n{result.stdout}\n{result.stderr}")
    line = next(line for line in result.stdout.splitlines() if line.startswith("BENCH-JSON "))
    return json.loads(line[len("BENCH-JSON "):])


def format_seconds(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    return f"{seconds * 1e3:.2f} ms" if seconds < 1 else f"{seconds:.2f} s"


def table(rows: list[tuple[str, dict]]) -> list[str]:
    """Markdown rows: each implementation's median and TinyTorch's ratio to the others."""
    lines = [
        "| threads | workload | tinytorch | pytorch | numpy / other | tinytorch ÷ pytorch | tinytorch ÷ numpy | note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for threads, case in rows:
        s = case["seconds"]
        tiny = s.get("tinytorch")
        others = ", ".join(f"{k} {format_seconds(v)}" for k, v in s.items() if k not in ("tinytorch", "pytorch"))
        ratio_torch = f"{tiny / s['pytorch']:.2f}×" if tiny and "pytorch" in s else "—"
        ratio_numpy = f"{tiny / s['numpy']:.2f}×" if tiny and "numpy" in s else "—"
        lines.append(
            f"| {threads} | {case['name']} (per {case['unit']}) | {format_seconds(tiny) if tiny else '—'} | "
            f"{format_seconds(s['pytorch']) if 'pytorch' in s else '—'} | {others or '—'} | {ratio_torch} | {ratio_numpy} | "
            f"{case.get('note') or ''} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("only", nargs="*", help="benchmark names (bench_NAME.py); default all")
    parser.add_argument("--write", action="store_true", help="rewrite benchmarks/RESULTS.md")
    args = parser.parse_args()
    files = sorted(HERE.glob("bench_*.py"))
    if args.only:
        files = [f for f in files if f.stem.removeprefix("bench_") in args.only]
    rows: list[tuple[str, dict]] = []
    default = os.cpu_count() or 1
    for path in files:
        for threads, label in ((1, "1"), (0, f"default ({default})")):
            for case in run_file(path, threads):
                rows.append((label, case))
                print(table([(label, case)])[-1], flush=True)
    report = system_report()
    header = [
        "# Benchmark results",
        "",
        f"Measured {datetime.date.today().isoformat()} on {report['processor']} ({report['cpu_count']} cores), "
        f"Python {report['python']}, NumPy {report['numpy']} ({report['blas']}).",
        "Medians of many steps; ratios below 1 mean TinyTorch is faster. The machine was shared, so "
        "absolute times drift between runs; ratios measured in the same run are the figure to read.",
        "",
        f"Command: `python benchmarks/run.py {' '.join(args.only)} --write`".replace("  ", " "),
        "",
    ]
    text = "\n".join(header + table(rows)) + "\n"
    print(text)
    if args.write:
        (HERE / "RESULTS.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
