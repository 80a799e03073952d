"""tinytorch.system: the machine report every benchmark prints, and the timer the lessons use."""

from __future__ import annotations

import time

from tinytorch.system import best_time, format_report, system_report


def test_best_time_keeps_the_shortest_of_repeat_runs() -> None:
    delays = iter([0.03, 0.001, 0.02])
    calls = []

    def fn() -> None:
        calls.append(1)
        time.sleep(next(delays))

    seconds = best_time(fn, repeat=3)
    assert len(calls) == 3
    assert 0.001 <= seconds < 0.02


def test_report_names_python_numpy_and_the_core_count() -> None:
    report = system_report()
    text = format_report(report)
    assert {"python", "numpy", "cpu_count"} <= set(report) and "numpy" in text.lower()
