"""Start-up time: ``import neurodyn.sim``, ``neurodyn --help``, ``neurodyn models``, and a warm
process that iterates a cached model, each in a fresh interpreter.

Every command runs ``--repeats`` times, interleaved with the others and with ``import numba``
(the floor: every command needs numba) so that load on a shared machine hits all alike; the
median and the minimum are printed, and each command's median over the floor's. With ``--peer``
(another checkout of neurodyn, e.g. the main branch) the same commands run from there too,
interleaved (from a temporary copy of its package, so nothing is written into it), and the
ratio peer / this checkout is printed (above 1: this checkout starts faster). ``--cold``
first deletes the package's compiled bytecode (``*.pyc``; numba's kernel cache and the
generated-source cache are kept) before each run of each command, the cold start after an
update. The first warm-up run fills the caches.

Also prints the slowest imports of ``neurodyn models`` (``python -X importtime``).

Run: python tests/benchmarks/bench_startup.py [--repeats 7] [--cold] [--peer /work/main]
Target (issue 22): each command under 1 s warm, under 2 s with cold bytecode.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

COMMANDS = {
    "import numba (floor)": ["-c", "import numba"],
    "import neurodyn.sim": ["-c", "import neurodyn.sim"],
    "neurodyn --help": ["-c", "from neurodyn.cli import main; main(['--help'])"],
    "neurodyn models": ["-c", "from neurodyn.cli import main; main(['models'])"],
    "iterate a cached model": [
        "-c",
        "import numpy as np; from neurodyn.models import get_model; "
        "from neurodyn.sim import iterate_batch; "
        "iterate_batch(get_model('henon'), np.zeros((2, 4)), np.tile([[1.4], [0.3]], 4), steps=10)",
    ],
}


def _remove_bytecode(checkout: Path) -> None:
    for path in (checkout / "neurodyn").rglob("*.pyc"):
        path.unlink()


def _run(checkout: Path, args: list[str], cold: bool) -> float:
    if cold:
        _remove_bytecode(checkout)
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, *args], env=env, capture_output=True, cwd="/")
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{args} failed in {checkout}:\n{done.stderr.decode()}")
    return elapsed


def _slowest_imports(checkout: Path, count: int = 8) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    args = ["-X", "importtime", "-c", "from neurodyn.cli import main; main(['models'])"]
    done = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True)
    rows = []
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].rstrip()))
    return [f"{us / 1e3:8.1f} ms {name}" for us, name in sorted(rows, reverse=True)[:count]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--cold", action="store_true", help="delete *.pyc before each run")
    parser.add_argument("--peer", type=Path, default=None, help="another neurodyn checkout")
    args = parser.parse_args()
    checkouts = {"this": REPO}
    if args.peer:
        copy = Path(tempfile.mkdtemp(prefix="neurodyn-peer-"))
        ignore = shutil.ignore_patterns("__pycache__")
        shutil.copytree(args.peer / "neurodyn", copy / "neurodyn", ignore=ignore)
        checkouts["peer"] = copy
    times: dict[tuple[str, str], list[float]] = {}
    for checkout in checkouts.values():  # warm-up: fills numba's and the source caches
        for command in COMMANDS.values():
            _run(checkout, command, cold=False)
    for _ in range(args.repeats):
        for label, command in COMMANDS.items():
            for which, checkout in checkouts.items():
                times.setdefault((which, label), []).append(_run(checkout, command, args.cold))
    load = os.getloadavg()[0]
    print(f"{'cold' if args.cold else 'warm'} bytecode, {args.repeats} runs each, "
          f"load average {load:.1f} on {os.cpu_count()} cores")
    floor = statistics.median(times[("this", "import numba (floor)")])
    for label in COMMANDS:
        this = times[("this", label)]
        line = (f"{label:<24} median {statistics.median(this):6.3f} s  min {min(this):6.3f} s  "
                f"over floor {statistics.median(this) - floor:+6.3f} s")
        if args.peer:
            peer = times[("peer", label)]
            ratio = statistics.median(peer) / statistics.median(this)
            line += f"  peer median {statistics.median(peer):6.3f} s  peer/this {ratio:5.2f}"
        print(line)
    print("slowest imports of `neurodyn models` (cumulative):")
    print("\n".join(_slowest_imports(REPO)))


if __name__ == "__main__":
    main()
