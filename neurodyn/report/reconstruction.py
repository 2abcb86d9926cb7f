"""The reconstruction store in the report: true against reconstructed map, one row per regime
and side (:func:`neurodyn.learn.reconstruct_regimes`'s Dataset)."""

from __future__ import annotations

from html import escape

import xarray as xr

__all__ = ["reconstruction_table"]


def reconstruction_table(ds: xr.Dataset) -> str:
    """HTML: per regime and side, the two largest Lyapunov exponents (per iteration), the
    period, the fixed points and cycles found (stable of all, per period), and D_stsp, D_H
    beside their floors and the training time."""
    periods = [int(k) for k in ds.cycle_period.values]
    head = "".join(f"<th>period-{k} (stable/all)</th>" for k in periods)
    rows = [
        "<tr><th>regime</th><th>side</th><th>λ1</th><th>λ2</th><th>period</th>"
        f"{head}<th>D_stsp (floor)</th><th>D_H (floor)</th><th>training</th></tr>"
    ]
    for regime in ds.regime.values:
        r = ds.sel(regime=regime)
        for side in r.side.values:
            s = r.sel(side=side)
            lam = [float(s.lyapunov.sel(exponent=e)) for e in (1, 2)]
            cycles = "".join(
                f'<td class="num">{int(s.n_stable.sel(cycle_period=k))}/'
                f"{int(s.n_cycles.sel(cycle_period=k))}</td>"
                for k in periods
            )
            fit = side == "reconstructed"
            rows.append(
                f'<tr data-regime="{escape(str(regime))}" data-side="{escape(str(side))}">'
                f"<td>{escape(str(regime))}</td><td>{escape(str(side))}</td>"
                f'<td class="num">{lam[0]:.4g}</td><td class="num">{lam[1]:.4g}</td>'
                f'<td class="num">{int(s.period)}</td>{cycles}'
                + (
                    f'<td class="num">{float(r.d_stsp):.3g} ({float(r.d_stsp_floor):.3g})</td>'
                    f'<td class="num">{float(r.d_h):.3g} ({float(r.d_h_floor):.3g})</td>'
                    f'<td class="num">{float(r.training_seconds):.0f} s</td>'
                    if fit
                    else "<td></td><td></td><td></td>"
                )
                + "</tr>"
            )
    return "\n".join(
        [
            '<section id="reconstruction"><h2>Reconstruction by a trained model</h2>',
            "<p>A piecewise-linear RNN trained on trajectories of the true map at each regime, "
            "exported as a map and analysed with the same tools: Lyapunov exponents per "
            "iteration, the period of its free run (0: none up to the maximum), fixed points "
            "and cycles (Newton for the true map, the region search for the trained one), and "
            "the state-space divergence and power-spectrum distance of its free run beside the "
            "same between two true runs.</p>",
            f'<table id="reconstruction-table">{"".join(rows)}</table>',
            "</section>",
        ]
    )
