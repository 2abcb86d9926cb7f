"""Logging of workflow jobs: output, timing and errors of one job go to its log file."""

from __future__ import annotations

import contextlib
import os
import sys
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

__all__ = ["job_log"]


@contextlib.contextmanager
def job_log(path: str | os.PathLike[str]) -> Iterator[None]:
    """Send stdout and stderr to ``path``, stamp start and end, and record a failure's traceback.

    The exception is re-raised, so Snakemake sees the job fail (and removes its output).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        start = time.perf_counter()
        print(f"start {time.strftime('%Y-%m-%d %H:%M:%S')} (pid {os.getpid()})", flush=True)
        try:
            yield
        except BaseException:
            traceback.print_exc(file=log)
            print(f"failed after {time.perf_counter() - start:.1f} s", flush=True)
            sys.stderr.flush()
            raise
        print(f"done in {time.perf_counter() - start:.1f} s", flush=True)
