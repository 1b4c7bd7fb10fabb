"""Progress of a build: a live bar (passages/s, time left) on a terminal, a log line every few seconds otherwise.

A build in CI or under systemd writes to a file or a pipe, where a bar is either invisible or a wall of control
characters; there the same figures go out as plain lines, often enough to see it is alive and how long it has left.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

Report = Callable[[str, int, int], None]  # (stage, done, total)


def rate_line(stage: str, done: int, total: int, seconds: float) -> str:
    """'embedding passages: 1,200/2,553 (47%), 85 passages/s, 16 s left'."""
    rate = done / seconds if seconds > 0 else 0.0
    left = f", {(total - done) / rate:.0f} s left" if rate > 0 and done < total else ""
    share = f" ({done / total:.0%})" if total else ""
    return f"{stage}: {done:,}/{total:,}{share}, {rate:.0f} passages/s{left}"


@contextmanager
def build_progress(console: Console, every: float = 5.0) -> Iterator[Report]:
    """A (stage, done, total) callback: a bar per stage on a terminal, else a line per `every` seconds and one at
    each stage's end."""
    if console.is_terminal:
        with Progress(
            "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[rate]} passages/s"), TimeRemainingColumn(), console=console, transient=True,
        ) as bar:
            tasks: dict[str, tuple[int, float]] = {}

            def update(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = (bar.add_task(stage, total=total, rate="–"), time.perf_counter())
                task, started = tasks[stage]
                elapsed = time.perf_counter() - started
                bar.update(task, completed=done, total=total, rate=f"{done / elapsed:.0f}" if elapsed > 0 else "–")

            yield update
        return
    started: dict[str, float] = {}
    last = [0.0]

    def log_line(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        t0 = started.setdefault(stage, now)
        if done >= total or now - last[0] >= every:
            last[0] = now
            console.print(rate_line(stage, done, total, now - t0), markup=False, highlight=False)

    yield log_line
