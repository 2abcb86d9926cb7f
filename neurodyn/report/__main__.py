"""``python -m neurodyn.report SWEEP ORBIT OUT [--config FILE]``: write a report."""

from __future__ import annotations

import argparse
import sys

from .config import load_config
from .report import write_report


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, write the report and print the path of its HTML file."""
    parser = argparse.ArgumentParser(
        prog="python -m neurodyn.report",
        description="Write a bifurcation and synchronization report (report.html and "
        "figures/*.png) from a sweep store and an orbit-diagram store.",
    )
    parser.add_argument("sweep", help="sweep store (Zarr) with the measures added")
    parser.add_argument("orbit", help="orbit-diagram store (Zarr); '-' for none")
    parser.add_argument("out", help="output directory")
    parser.add_argument("--config", help="report settings (YAML or JSON)")
    args = parser.parse_args(argv)
    config = load_config(args.config) if args.config else None
    orbit = None if args.orbit == "-" else args.orbit
    print(write_report(args.sweep, orbit, args.out, config=config))
    return 0


if __name__ == "__main__":
    sys.exit(main())
