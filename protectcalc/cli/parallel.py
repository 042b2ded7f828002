"""Many files, several cores: ``due`` and ``replay`` spread their files over processes.

Why: each file is independent (read, validate, compute), and a folder of thousands of orders
kept one core busy while the others idled. The work is handed out in chunks, in order, and
the results come back in the same order, so the output is the same as from one process.
The first file is done before the fork, so the workers inherit what it imported and built.

Only where it is safe and pays: on Linux (the workers are forked, so they start at once and
share the rule sets already compiled), and for a folder of at least :data:`MIN_FILES` files.
``PROTECTCALC_WORKERS`` sets the number of processes (``1``: never more than one; any other
number: that many, whatever the folder's size).
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, TypeVar

from protectcalc.errors import InputError

Item = TypeVar("Item")
Result = TypeVar("Result")

MIN_FILES = 400
"""Fewer files than this run in one process: forking would cost more than it saves."""

CHUNK = 32
"""Files handed to a worker at a time (fewer round trips; the progress bar still moves)."""

MAX_CHUNKS = 1000
"""More items than this many chunks hold make bigger chunks (see :func:`_spread`)."""

WORKERS_VARIABLE = "PROTECTCALC_WORKERS"


def worker_count(files: int) -> int:
    """How many processes to use for ``files`` files (1: the calling process alone)."""
    given = os.environ.get(WORKERS_VARIABLE)
    if given is not None:
        try:
            chosen = int(given)
        except ValueError:
            chosen = 0
        if chosen < 1:
            raise InputError(WORKERS_VARIABLE, given, "is not a number of processes (1 or more)")
        return chosen if sys.platform == "linux" else 1
    if sys.platform != "linux" or files < MIN_FILES:
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def map_in_order(
    task: Callable[[Item], Result],
    items: Sequence[Item],
    progress: Callable[[int, int], None] | None = None,
) -> list[Result]:
    """``[task(item) for item in items]``, on several processes when :func:`worker_count` says so.

    ``progress`` is told (items done, items in all) before the first item and as they finish.
    """
    total = len(items)
    if progress is not None:
        progress(0, total)
    workers = min(worker_count(total), total)
    if workers <= 1:
        results: list[Result] = []
        for item in items:
            results.append(task(item))
            if progress is not None:
                progress(len(results), total)
        return results
    # The first item runs here, before the fork: the modules it imports and the rule sets
    # and calendars it builds are then inherited by every worker, not built once in each.
    first = task(items[0])
    if progress is not None:
        progress(1, total)
    return [first, *_spread(task, items, workers, progress)]


def _spread(
    task: Callable[[Item], Result],
    items: Sequence[Item],
    workers: int,
    progress: Callable[[int, int], None] | None,
) -> list[Result]:
    """Items 1 onwards in chunks, shared between this process and ``workers - 1`` forks.

    Why not ``multiprocessing.Pool``: its parent only hands out work and collects it, so on
    two cores its two workers and its own threads (pickling every item out, every result in)
    ran three processes' worth of work on two cores. Here this process works beside its
    forks. The chunks' numbers wait in a pipe and whoever is free takes the next one (a read
    of four bytes from a pipe is atomic), so nothing is sent per item. A fork sends each
    chunk's results back through a pipe of its own, and this process takes them in between
    its own chunks, so little is left to do when the last chunk is done.
    """
    total = len(items)
    # At most MAX_CHUNKS numbers of 4 bytes: they fit in any pipe's buffer, written at once.
    size = max(CHUNK, -(-(total - 1) // MAX_CHUNKS))
    starts = range(1, total, size)
    tickets, tickets_in = os.pipe()
    os.write(tickets_in, b"".join(number.to_bytes(4, "big") for number in range(len(starts))))
    os.close(tickets_in)
    done: dict[int, list[Result]] = {}

    def claim() -> int | None:
        taken = os.read(tickets, 4)
        return int.from_bytes(taken, "big") if len(taken) == 4 else None

    def run(number: int) -> list[Result]:
        start = starts[number]
        return [task(item) for item in items[start : start + size]]

    workers_running: dict[int, _Frames] = {}
    try:
        for _ in range(workers - 1):
            frames_out, frames_in = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(frames_out)
                _work_and_exit(claim, run, frames_in)
            os.close(frames_in)
            workers_running[pid] = _Frames(frames_out)
        while (number := claim()) is not None:
            done[number] = run(number)
            for frames in workers_running.values():
                frames.take(done, wait=False)
            if progress is not None:
                progress(1 + sum(map(len, done.values())), total)
        for pid, frames in list(workers_running.items()):
            frames.take(done, wait=True)  # to its end: the worker has exited or is exiting
            _pid, status = os.waitpid(pid, 0)
            del workers_running[pid]
            frames.close()
            if frames.failure is not None or not frames.ended:
                code = os.waitstatus_to_exitcode(status)
                ended = f"exit status {code}" if code >= 0 else f"killed by signal {-code}"
                told = frames.failure or f"{ended} before its last chunk"
                raise RuntimeError(f"a worker process failed:\n{told}")
    finally:
        os.close(tickets)
        for pid, frames in workers_running.items():  # failed or interrupted: none outlives us
            os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)
            frames.close()
    if progress is not None:
        progress(total, total)
    return [result for number in range(len(starts)) for result in done[number]]


class _Frames:
    """What one worker sends: frames of a 4-byte length and a pickled (kind, number, data)."""

    def __init__(self, descriptor: int) -> None:
        self.descriptor = descriptor
        self.buffer = bytearray()
        self.ended = False
        self.failure: str | None = None

    def take(self, done: dict[int, Any], *, wait: bool) -> None:
        """Every whole frame sent so far into ``done``; with ``wait``, all up to the end."""
        import pickle

        os.set_blocking(self.descriptor, wait)
        while True:
            try:
                read = os.read(self.descriptor, 1 << 20)
            except BlockingIOError:
                break
            if not read:
                break
            self.buffer += read
        start = 0
        buffer = self.buffer
        while len(buffer) - start >= 4:
            length = int.from_bytes(buffer[start : start + 4], "big")
            if len(buffer) - start - 4 < length:
                break
            kind, number, data = pickle.loads(buffer[start + 4 : start + 4 + length])
            start += 4 + length
            if kind == "chunk":
                done[number] = data
            elif kind == "failed":
                self.failure = data
            else:
                self.ended = True
        del buffer[:start]

    def close(self) -> None:
        if self.descriptor >= 0:
            os.close(self.descriptor)
            self.descriptor = -1


def _work_and_exit(
    claim: Callable[[], int | None], run: Callable[[int], list[Any]], frames: int
) -> NoReturn:
    """A forked worker: chunk after chunk, each chunk's results sent as one frame, then an
    end frame (or the failure). It never returns, so it never runs the parent's code or
    exit handlers."""
    import traceback
    from contextlib import suppress

    status = 0
    try:
        while (number := claim()) is not None:
            _send(frames, ("chunk", number, run(number)))
        _send(frames, ("end", None, None))
    except BaseException:  # told to the parent, which raises it
        status = 1
        with suppress(BaseException):
            _send(frames, ("failed", None, traceback.format_exc()))
    os._exit(status)


def _send(descriptor: int, frame: tuple[str, int | None, Any]) -> None:
    import pickle

    payload = pickle.dumps(frame, protocol=pickle.HIGHEST_PROTOCOL)
    data = memoryview(len(payload).to_bytes(4, "big") + payload)
    while data:
        data = data[os.write(descriptor, data) :]
