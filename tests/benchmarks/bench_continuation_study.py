"""The default study's continuation section against bisection on grid sweeps: time to locate the
fixed point's flip curve of the Chialvo–Rulkov–Chialvo chain over sigma_2_1, same run.

neurodyn: :func:`neurodyn.workflow.continuation.compute_continuation` on
``workflows/config/default.yaml`` (start cycle by Newton, continuation in sigma_1_2 with branch
switching, then every LP, PD and NS curve in (sigma_1_2, sigma_2_1)): its PD curve of period 1
gives sigma_1_2 at every sigma_2_1 to the corrector's tolerance (about 1e-11).

Peer (what one does without continuation): at each of ``ROWS`` values of sigma_2_1, bisection in
sigma_1_2 on [0.02, 0.09] (period 1 below the flip, period 2 above), each step one grid sweep
(:func:`neurodyn.analysis.bifurcation.period_chart`, all rows at once, ``TRANSIENT``
iterations) until the bracket is shorter than ``TOL``. Near the flip the multiplier is close to
-1 and the orbit settles slowly, so the sweep's period is decided with tolerance ``PERIOD_TOL``;
the bisection's error is printed against the continued curve.

Run: python tests/benchmarks/bench_continuation_study.py
"""

from __future__ import annotations

import time

import numpy as np

from neurodyn.analysis.bifurcation import period_chart
from neurodyn.workflow import load_study, resolve_model, workflow_root
from neurodyn.workflow.continuation import branches_from_dataset, compute_continuation

ROWS, TOL, TRANSIENT, PERIOD_TOL = 6, 1e-4, 20000, 1e-6


def _bisect(model, fixed, rows: np.ndarray) -> np.ndarray:
    low = np.full(rows.size, 0.02)
    high = np.full(rows.size, 0.09)
    while np.max(high - low) > TOL:
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

    _bisect(model, config["fixed"], rows[:1])  # compile the sweep kernel once
    start = time.perf_counter()
    bisected = _bisect(model, config["fixed"], rows)
    t_bisect = time.perf_counter() - start

    error = np.max(np.abs(bisected - continued))
    print(f"flip curve of the chain's fixed point at {ROWS} values of sigma_2_1 in [0, 0.5]")
    print(f"  continuation section (all {ds.sizes['branch']} branches and curves): {t_cont:.2f} s")
    print(f"  bisection on grid sweeps to {TOL:g}: {t_bisect:.2f} s, max |difference| {error:.2e}")
    print(f"  ratio bisection / continuation: {t_bisect / t_cont:.1f}")
    assert error <= 2 * TOL, "bisection and continuation disagree"


if __name__ == "__main__":
    main()
