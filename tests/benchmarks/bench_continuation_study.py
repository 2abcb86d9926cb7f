"""The default study's continuation section against bisection on grid sweeps: time to locate the
fixed point's flip curve of the Chialvo–Rulkov–Chialvo chain over sigma_2_1, same run.

neurodyn: :func:`neurodyn.workflow.continuation.compute_continuation` on
``workflows/config/default.yaml`` (start cycle by Newton, continuation in sigma_1_2 with branch
switching, then every LP, PD and NS curve in (sigma_1_2, sigma_2_1)): its PD curve of period 1
gives sigma_1_2 at every sigma_2_1 to the corrector's tolerance (about 1e-11).

Also timed: the flip curve alone (:func:`neurodyn.analysis.bifurcation.bifurcation_curve` from
the located flip), the part of the section that does the same work as the peer.

Peer (what one does without continuation): at each of ``ROWS`` values of sigma_2_1, bisection in
sigma_1_2 on [0.02, 0.09] (period 1 below the flip, period 2 above), each step one sweep point
(:func:`neurodyn.analysis.bifurcation.period_chart`, ``TRANSIENT`` iterations) until the
bracket is shorter than the tolerance (each of ``TOLS``). Near the flip the multiplier is close
to -1 and the orbit settles slowly, so the sweep's period is decided with tolerance
``PERIOD_TOL``; the bisection's error is printed against the continued curve (accurate to about
1e-11), showing where simulation stops resolving the flip.

Run: python tests/benchmarks/bench_continuation_study.py
"""

from __future__ import annotations

import time

import numpy as np

from neurodyn.analysis.bifurcation import ContinuationSettings, bifurcation_curve, period_chart
from neurodyn.workflow import load_study, resolve_model, workflow_root
from neurodyn.workflow.continuation import branches_from_dataset, compute_continuation

ROWS, TOLS, TRANSIENT, PERIOD_TOL = 6, (1e-4, 1e-6), 20000, 1e-6


def _bisect(model, fixed, rows: np.ndarray, tol: float) -> np.ndarray:
    low = np.full(rows.size, 0.02)
    high = np.full(rows.size, 0.09)
    while np.max(high - low) > tol:
        mid = 0.5 * (low + high)
        period = np.empty(rows.size, dtype=np.int64)
        for i, (s12, s21) in enumerate(zip(mid, rows, strict=True)):
            chart = period_chart(
                model,
                {"sigma_1_2": np.array([s12]), "sigma_2_1": np.array([s21])},
                fixed,
                transient=TRANSIENT,
                max_period=4,
                tol=PERIOD_TOL,
            )
            period[i] = int(chart["period"].values.ravel()[0])
        below = period == 1
        low = np.where(below, mid, low)
        high = np.where(below, high, mid)
    return 0.5 * (low + high)


def main() -> None:
    config = load_study(workflow_root() / "workflows/config/default.yaml")
    model = resolve_model(config["model"], config["model_options"])
    rows = np.linspace(0.0, 0.5, ROWS)

    compute_continuation(config)  # compile the derivative kernels once
    start = time.perf_counter()
    ds = compute_continuation(config)
    t_cont = time.perf_counter() - start
    (curve,) = [b for _, b in branches_from_dataset(ds) if b.kind == "PD" and b.period == 1]
    order = np.argsort(curve.parameter("sigma_2_1"))
    continued = np.interp(
        rows, curve.parameter("sigma_2_1")[order], curve.parameter("sigma_1_2")[order]
    )

    # the flip curve alone, from the fixed point's state nearest the located flip
    fixed_points = dict(branches_from_dataset(ds))["P1.1+"]
    (flip,) = fixed_points.points("PD")
    nearest = np.argmin(np.abs(fixed_points.parameter("sigma_1_2") - flip.parameters["sigma_1_2"]))
    start = time.perf_counter()
    pd = bifurcation_curve(
        model,
        "PD",
        fixed_points.orbits[nearest],
        {**fixed_points.fixed, **flip.parameters},
        ("sigma_1_2", "sigma_2_1"),
        settings=ContinuationSettings(step=0.01, h_max=0.05, max_steps=400),
        bounds={"sigma_1_2": (-0.1, 0.2), "sigma_2_1": (0.0, 0.5)},
    )
    t_curve = time.perf_counter() - start
    print(f"flip curve of the chain's fixed point at {ROWS} values of sigma_2_1 in [0, 0.5]")
    print(f"  continuation section (all {ds.sizes['branch']} branches and curves): {t_cont:.2f} s")
    print(f"  the flip curve alone ({len(pd.values)} points): {t_curve:.2f} s")
    _bisect(model, config["fixed"], rows[:1], 1e-2)  # compile the sweep kernel once
    for tol in TOLS:
        start = time.perf_counter()
        bisected = _bisect(model, config["fixed"], rows, tol)
        t_bisect = time.perf_counter() - start
        error = np.max(np.abs(bisected - continued))
        print(
            f"  bisection on sweeps to {tol:g}: {t_bisect:.2f} s, max |error| {error:.2e}; "
            f"ratio to the section {t_bisect / t_cont:.1f}, to the curve {t_bisect / t_curve:.1f}"
        )
        if tol == TOLS[0]:
            assert error <= 2 * tol, "bisection and continuation disagree"


if __name__ == "__main__":
    main()
