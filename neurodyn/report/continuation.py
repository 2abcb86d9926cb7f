"""The continuation store in the report: branches over the orbit diagram, curves over the charts,
and the table naming every bifurcation found with its location and coefficients.

The store is :mod:`neurodyn.workflow.continuation`'s (labelled branches). One-parameter cycle
branches are drawn over the orbit diagram when they were computed at the diagram's other
parameter values (solid where stable, dashed where unstable); two-parameter curves go over the
period and Lyapunov charts.
"""

from __future__ import annotations

import json
from html import escape

import numpy as np
import xarray as xr

from ..store.attrs import attr_value

__all__ = [
    "NAMES",
    "branch_table",
    "draw_branches",
    "orbit_branches",
    "parameters_text",
    "phenomena_list",
]

#: Full names of the labels (Kuznetsov & Meijer, Numerical Bifurcation Analysis of Maps, 2019).
NAMES = {
    "LP": "fold (saddle-node, limit point)",
    "PD": "flip (period doubling)",
    "NS": "Neimark–Sacker (closed invariant curve)",
    "BP": "branch point",
    "CP": "cusp",
    "GPD": "generalised flip",
    "CH": "Chenciner (generalised Neimark–Sacker)",
    "R1": "1:1 resonance",
    "R2": "1:2 resonance",
    "R3": "1:3 resonance",
    "R4": "1:4 resonance",
    "LPPD": "fold–flip",
    "LPNS": "fold–Neimark–Sacker",
    "PDNS": "flip–Neimark–Sacker",
    "NSNS": "double Neimark–Sacker",
}

_COLOURS = {"LP": "tab:blue", "PD": "tab:red", "NS": "tab:green", "BP": "tab:purple"}


def parameters_text(values: dict[str, float], skip: tuple[str, ...] = ()) -> str:
    """``name = value`` pairs (6 significant digits), for captions and titles."""
    return ", ".join(f"{k} = {v:.6g}" for k, v in values.items() if k not in skip)


def orbit_branches(branches: list, orbit: xr.Dataset) -> list:
    """The one-parameter cycle branches continued in the orbit diagram's parameter at its other
    parameter values (within 1e-9)."""
    parameter = orbit.attrs["parameter"]
    fixed = attr_value(orbit.attrs.get("fixed_parameters", {}))
    chosen = []
    for _, branch in branches:
        if branch.kind != "cycle" or branch.free != (parameter,):
            continue
        if all(abs(branch.fixed.get(k, v) - v) <= 1e-9 for k, v in fixed.items()):
            chosen.append(branch)
    return chosen


def draw_branches(ax, branches: list, parameter: str, state_index: int) -> None:
    """Draw cycle branches (every point of each cycle's orbit in state ``state_index``) against
    ``parameter``: solid where stable, dashed where unstable; LP, PD, NS, BP points marked and
    labelled."""
    for branch in branches:
        p = branch.parameter(parameter)
        for phase in range(branch.period):
            x = branch.orbits[:, phase, state_index]
            stable = branch.stable
            ax.plot(p, np.where(stable, x, np.nan), "-", color="black", lw=1.2)
            ax.plot(p, np.where(stable, np.nan, x), "--", color="black", lw=0.9)
        for point in branch.special:
            if point.label not in _COLOURS:
                continue
            value = point.parameters[parameter]
            k = int(np.argmin(np.abs(p - value)))
            y = branch.orbits[k, 0, state_index]
            ax.plot(value, y, "o", color=_COLOURS[point.label], mec="black", ms=7, zorder=6)
            ax.annotate(
                f"{point.label}{branch.period}",
                (value, y),
                xytext=(4, 5),
                textcoords="offset points",
                fontsize=8,
                fontweight="bold",
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "alpha": 0.7},
            )


def branch_table(branches: list, notes: list[str]) -> str:
    """HTML: one row per located point (codimension 1 on cycle branches, codimension 2 on
    curves) with its label, name, branch, period, location, coefficients and multiplier moduli;
    ``data-label`` and ``data-location`` (JSON) carry the exact values."""
    rows = [
        "<tr><th>label</th><th>bifurcation</th><th>branch</th><th>period</th>"
        "<th>location</th><th>coefficients</th><th>|multipliers|</th></tr>"
    ]
    for name, branch in branches:
        for point in branch.special:
            if point.label == "EP":
                continue
            where = parameters_text(point.parameters)
            coefficients = parameters_text(point.coefficients)
            moduli = ", ".join(f"{m:.4g}" for m in np.abs(point.multipliers))
            rows.append(
                f'<tr data-label="{escape(point.label)}" '
                f'data-location="{escape(json.dumps(point.parameters))}">'
                f"<td><b>{escape(point.label)}</b></td><td>{escape(NAMES.get(point.label, ''))}"
                f"</td><td><code>{escape(name)}</code> ({escape(branch.kind)})</td>"
                f'<td class="num">{branch.period}</td><td>{escape(where)}</td>'
                f"<td>{escape(coefficients)}</td><td>{escape(moduli)}</td></tr>"
            )
    parts = [
        '<section id="continuation"><h2>Bifurcations found by continuation</h2>',
        "<p>Cycles found by Newton's method at the start point were continued along one "
        "parameter; their fold, flip and Neimark–Sacker points were continued in the two swept "
        "parameters, with the codimension-2 points on those curves. Coefficients: a (fold), "
        "c (flip), d (first Lyapunov coefficient of NS), theta (NS angle, radians), kappa = "
        "cos theta.</p>",
        f'<table id="bifurcations">{"".join(rows)}</table>',
    ]
    branch_rows = "".join(
        f"<tr><td><code>{escape(name)}</code></td><td>{escape(b.kind)}</td>"
        f'<td class="num">{b.period}</td><td class="num">{len(b.values)}</td>'
        f"<td>{escape(b.stop_reason)}</td></tr>"
        for name, b in branches
    )
    parts.append(
        '<table id="branches"><tr><th>branch</th><th>kind</th><th>period</th><th>points</th>'
        f"<th>why it ends</th></tr>{branch_rows}</table>"
    )
    if notes:
        items = "".join(f"<li>{escape(n)}</li>" for n in notes)
        parts.append(f"<p>Not continued:</p><ul>{items}</ul>")
    parts.append("</section>")
    return "\n".join(parts)


def _ranges(mask: xr.DataArray) -> str:
    """``name in [low, high]`` of each dimension over the cells where ``mask`` holds."""
    return ", ".join(
        f"{d} in [{float(mask[d].where(mask.any([e for e in mask.dims if e != d])).min()):.4g}, "
        f"{float(mask[d].where(mask.any([e for e in mask.dims if e != d])).max()):.4g}]"
        for d in mask.dims
    )


def _chaotic_attractors(ds: xr.Dataset) -> list[tuple[str, str]]:
    """``("chaotic_attractors", text)`` where, at one grid point, every initial state ends on
    chaos (largest Lyapunov exponent above 0.01) and the ``coexistence`` measure tells at least
    two attractors apart: coexisting chaotic attractors; empty without both measures per
    initial state."""
    if "n_attractors" not in ds or "lyapunov" not in ds or "ic" not in ds["lyapunov"].dims:
        return []
    lam = ds["lyapunov"]
    lam = lam.isel(exponent=0) if "exponent" in lam.dims else lam
    count = ds["n_attractors"]
    count = count.max("ic") if "ic" in count.dims else count
    both = (lam > 0.01).all("ic") & (count >= 2)
    if not bool(both.any()):
        return []
    return [
        (
            "chaotic_attractors",
            f"Coexisting chaotic attractors (every initial state chaotic, up to "
            f"{int(count.where(both).max())} attractors told apart) at {int(both.sum())} grid "
            f"points, {_ranges(both)}.",
        )
    ]


def _chaos_beside_cycles(ds: xr.Dataset) -> list[tuple[str, str]]:
    """``("chaos_and_period", text)`` where, at one grid point, one initial state ends on a
    chaotic attractor (largest Lyapunov exponent above 0.01) and another on a period-k cycle
    (``period`` k >= 1, exponent below 0.001), per period with the parameter ranges; empty
    without both measures per initial state."""
    if "period" not in ds or "lyapunov" not in ds or "ic" not in ds["period"].dims:
        return []
    lam = ds["lyapunov"]
    lam = lam.isel(exponent=0) if "exponent" in lam.dims else lam
    if "ic" not in lam.dims:
        return []
    period = ds["period"]
    chaotic = (lam > 0.01).any("ic")
    parts = []
    for k in np.unique(period.where((period >= 1) & (lam < 0.001)).values):
        if not np.isfinite(k):
            continue
        both = chaotic & ((period == k) & (lam < 0.001)).any("ic")
        if not bool(both.any()):
            continue
        parts.append(
            f"period {int(k)} beside chaos at {int(both.sum())} grid points, {_ranges(both)}"
        )
    if not parts:
        return []
    return [
        (
            "chaos_and_period",
            "Coexisting chaotic and periodic attractors (from different initial states): "
            + "; ".join(parts)
            + ".",
        )
    ]


def _largest_exponent(ds: xr.Dataset) -> xr.DataArray | None:
    """The largest Lyapunov exponent, maximal over the initial states; None without it."""
    if "lyapunov" not in ds:
        return None
    lam = ds["lyapunov"]
    lam = lam.isel(exponent=0) if "exponent" in lam.dims else lam
    return lam.max("ic") if "ic" in lam.dims else lam


def _chaos_past(ds: xr.Dataset, branch, parameter: str, value: float, sign: int) -> float | None:
    """The first grid value of ``parameter`` past ``value`` (in the direction ``sign``), at the
    branch's values of the other swept parameters, where the largest Lyapunov exponent is above
    0.01; None where the grid has no such row or no chaos there."""
    lam = _largest_exponent(ds)
    if lam is None or parameter not in lam.dims:
        return None
    at = {}
    for name in lam.dims:
        if name == parameter:
            continue
        if name not in branch.fixed:
            return None
        grid = ds[name].values
        j = int(np.argmin(np.abs(grid - branch.fixed[name])))
        if abs(grid[j] - branch.fixed[name]) > 1e-9 * max(1.0, abs(grid[j])):
            return None
        at[name] = j
    row = lam.isel(at)
    grid = row[parameter].values
    for j in np.argsort(sign * grid):
        if sign * (grid[j] - value) > 0 and row.values[j] > 0.01:
            return float(grid[j])
    return None


def _routes(ds: xr.Dataset, branches: list) -> list[tuple[str, str]]:
    """``("route", text)`` for each fixed-point branch along one parameter whose flips lead, through
    the cycles switched at them (``<label>/PD1``, ``<label>/PD1/PD2``, ...), to a cycle with a
    Neimark–Sacker point before its own flip, with chaos on the sweep grid past that point: fixed
    point → period doubling (period k → 2k at each flip the branch was switched at) →
    Neimark–Sacker of the period-k cycle (closed invariant curves, k of them visited in turn) →
    chaos (the first grid value past it, at the branch's other swept parameter values, where
    the largest Lyapunov exponent is above 0.01)."""
    named = dict(branches)
    items = []
    for name, first in branches:
        if first.kind != "cycle" or first.period != 1 or "/" in name or len(first.free) != 1:
            continue
        (parameter,) = first.free
        values = first.parameter(parameter)
        sign = 1 if values[-1] > values[0] else -1
        chain, label = [first], name
        while f"{label}/PD{len(chain)}" in named:
            label = f"{label}/PD{len(chain)}"
            chain.append(named[label])
        flips, ns = [], None
        for level, branch in enumerate(chain):
            flip = branch.points("PD")[0] if level + 1 < len(chain) else None
            past = flips[-1][1].parameters[parameter] if flips else values[0]
            end = flip.parameters[parameter] if flip is not None else sign * np.inf
            found = [
                p
                for p in branch.points("NS")
                if sign * (p.parameters[parameter] - past) > 0
                and sign * (end - p.parameters[parameter]) > 0
            ]
            if found:
                ns = (branch, min(found, key=lambda p: sign * p.parameters[parameter]))
                break
            if flip is None:
                break
            flips.append((branch.period, flip))
        if not flips or ns is None:
            continue
        value = ns[1].parameters[parameter]
        chaos = _chaos_past(ds, first, parameter, value, sign)
        if chaos is None:
            continue
        others = {n: first.fixed[n] for n in ds["lyapunov"].dims if n in first.fixed}
        doublings = ", ".join(
            f"{parameter} = {p.parameters[parameter]:.6g} (period {k} → {2 * k})" for k, p in flips
        )
        items.append(
            (
                "route",
                f"Route to chaos along {parameter} ({parameters_text(others, (parameter,))}): "
                f"fixed point → period doubling at {doublings} → Neimark–Sacker of the period-"
                f"{ns[0].period} cycle at {parameter} = {value:.6g} (closed invariant curves, "
                f"{ns[0].period} visited in turn) → chaos (largest Lyapunov exponent above 0.01) "
                f"from {parameter} = {chaos:.6g} on the sweep grid.",
            )
        )
    return items


def phenomena_list(ds: xr.Dataset, branches: list) -> str:
    """HTML: the phenomena the stores show, each with its location: the period-doubling cascade
    (the flips of the cycle branches, period by period), the Neimark–Sacker points, a route
    fixed point → period doubling → closed invariant curves → chaos (:func:`_routes`), the
    codimension-2 points (one item per label, with its name), where attractors coexist
    (``n_attractors``), where chaotic and period-k attractors coexist, where chaotic attractors
    coexist, and where the largest Lyapunov exponent is positive (chaos). ``data-phenomenon``
    names each item."""
    items = []
    flips = sorted(
        (
            (b.period, p.parameters)
            for _, b in branches
            if b.kind == "cycle"
            for p in b.points("PD")
        ),
        key=lambda flip: (flip[0], *flip[1].values()),
    )
    if flips:
        steps = "; ".join(f"period {k} → {2 * k} at {parameters_text(w)}" for k, w in flips)
        items.append(("period_doubling", f"Period doubling: {steps}."))
    for label, name in (("NS", "Neimark–Sacker"), ("LP", "fold")):
        found = [(b.period, p) for _, b in branches if b.kind == "cycle" for p in b.points(label)]
        if found:
            where = "; ".join(f"{parameters_text(p.parameters)} (period {k})" for k, p in found)
            items.append((label, f"{name} ({label}): {where}."))
    codim2 = [p for _, b in branches if b.kind != "cycle" for p in b.special if p.label != "EP"]
    for label in dict.fromkeys(p.label for p in codim2):
        where = "; ".join(parameters_text(p.parameters) for p in codim2 if p.label == label)
        items.append((label, f"{NAMES.get(label, label)} ({label}), codimension 2: {where}."))
    items.extend(_routes(ds, branches))
    items.extend(_chaos_beside_cycles(ds))
    items.extend(_chaotic_attractors(ds))
    if "n_attractors" in ds:
        count = (
            ds["n_attractors"].max("ic") if "ic" in ds["n_attractors"].dims else ds["n_attractors"]
        )
        many = count.where(count > 1, drop=True)
        if many.size and np.isfinite(many.values).any():
            ranges = ", ".join(
                f"{d} in [{float(many[d].min()):.4g}, {float(many[d].max()):.4g}]"
                for d in count.dims
            )
            items.append(
                (
                    "coexistence",
                    f"Coexisting attractors (up to {int(np.nanmax(many.values))}) at "
                    f"{int(np.isfinite(many.values).sum())} of {count.size} grid points, "
                    f"{ranges}.",
                )
            )
    lam = _largest_exponent(ds)
    if lam is not None:
        chaotic = lam.where(lam > 0.01, drop=True)
        if chaotic.size and np.isfinite(chaotic.values).any():
            ranges = ", ".join(
                f"{d} in [{float(chaotic[d].min()):.4g}, {float(chaotic[d].max()):.4g}]"
                for d in lam.dims
            )
            items.append(
                (
                    "chaos",
                    f"Chaos (largest Lyapunov exponent above 0.01 per iteration, up to "
                    f"{float(np.nanmax(chaotic.values)):.3g}) at "
                    f"{int(np.isfinite(chaotic.values).sum())} of {lam.size} grid points, "
                    f"{ranges}.",
                )
            )
    if not items:
        return ""
    lis = "".join(f'<li data-phenomenon="{escape(key)}">{escape(text)}</li>' for key, text in items)
    return (
        '<section id="phenomena"><h2>Phenomena found</h2><p>Found by the tools in the stores '
        f"of this study, with their locations.</p><ul>{lis}</ul></section>"
    )
