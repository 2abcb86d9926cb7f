# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Bifurcation explorer
#
# Browse a two-coupling sweep of a map network (by default the Chialvo–Rulkov–Chialvo chain of
# Ghosh, Nair, Fatoyinbo & Muni, Eur. Phys. J. Plus 2024) and its one-parameter orbit diagram,
# as the workflow stores them in `results/<study>/sweep.zarr` and `orbit.zarr`.
#
# * the period chart and the largest-Lyapunov-exponent chart over the two couplings;
# * the orbit diagram, shaded by datashader (forward sweep blue, backward red; it re-renders
#   when you zoom);
# * a point picker: click a chart (or move the sliders) and the phase portraits and the
#   orbit diagram follow the chosen point.
#
# The stores are found from the repository root (the folder above `notebooks/` with the
# `Snakefile`), whatever the working directory; set `STUDY_CONFIG` to show another study
# (`workflows/config/tiny.yaml` for the tiny one).
# The interactive parts need a running kernel; a static copy shows the initial point.

# %%
import datashader as dsh
import holoviews as hv
import numpy as np
import pandas as pd
from holoviews import streams
from holoviews.operation.datashader import datashade
from IPython.display import display

from neurodyn.report.study import (
    Point,
    node_variables,
    normalise_sweep,
    point_values,
    swept_parameters,
)
from neurodyn.workflow import open_study_store

# BokehJS embedded in the notebook, so that an exported HTML copy shows its plots offline
hv.extension("bokeh", inline=True)

STUDY_CONFIG = "workflows/config/default.yaml"  # relative to the repository root
sweep = normalise_sweep(open_study_store("sweep.zarr", STUDY_CONFIG))
orbit = open_study_store("orbit.zarr", STUDY_CONFIG)
XNAME, YNAME = swept_parameters(sweep)[:2]
NODES = node_variables(sweep)
print(
    f"{sweep.attrs['model']}: {XNAME} × {YNAME} = {sweep.sizes[XNAME]} × {sweep.sizes[YNAME]}"
    f" points, {sweep.sizes['ic']} initial states; orbit diagram over "
    f"{orbit.attrs['parameter']}"
)

# %% [markdown]
# ## The two-parameter charts
#
# Period (0: none found up to the maximum — quasi-periodic, chaotic or longer; -1 diverged)
# and the largest Lyapunov exponent λ1 per iteration, for the first initial state.


# %%
def chart(name: str, ic: int = 0) -> hv.Image:
    """A measure over the two couplings as an image (the largest exponent for λ)."""
    values = sweep[name].isel(ic=ic)
    if "exponent" in values.dims:
        values = values.isel(exponent=0)
    z = values.transpose(YNAME, XNAME).values.astype(float)
    x, y = sweep[XNAME].values, sweep[YNAME].values
    return hv.Image((x, y, z), kdims=[XNAME, YNAME], vdims=[name])


period_chart = chart("period").opts(cmap="tab20", colorbar=True, title="period", tools=["tap"])
lyapunov_chart = chart("lyapunov").opts(
    cmap="RdBu_r", colorbar=True, symmetric=True, title="λ1 (1/iteration)", tools=["tap"]
)
(period_chart + lyapunov_chart).opts(hv.opts.Image(width=420, height=360))

# %% [markdown]
# ## The orbit diagram
#
# Every kept state of the first state variable at every parameter value, for both sweep
# directions (forward blue, backward red: where they differ, attractors coexist); datashader
# aggregates them into pixels (zoom in: it re-aggregates).

# %%
PARAMETER = orbit.attrs["parameter"]
VARIABLE = str(orbit["state"].values[0])
COLOURS = {"forward": "#1f5fbf", "backward": "#d62728", "independent": "#222222"}

frames = []
for mode in orbit["mode"].values:
    values = orbit[VARIABLE].sel(mode=mode).values
    p = np.broadcast_to(orbit[PARAMETER].values[:, None, None], values.shape)
    keep = np.isfinite(values)
    frames.append(pd.DataFrame({PARAMETER: p[keep], VARIABLE: values[keep], "mode": str(mode)}))
frame = pd.concat(frames, ignore_index=True)
frame["mode"] = frame["mode"].astype("category")
orbit_diagram = datashade(
    hv.Points(frame, kdims=[PARAMETER, VARIABLE], vdims=["mode"]),
    aggregator=dsh.count_cat("mode"),
    color_key={m: COLOURS.get(m, "#444444") for m in frame["mode"].cat.categories},
    min_alpha=140,
).opts(width=860, height=360, bgcolor="white", title=f"orbit diagram over {PARAMETER}")
display(orbit_diagram)

# %% [markdown]
# ## Pick a point
#
# A `DynamicMap` over the two couplings and the initial state: HoloViews shows sliders for
# them; a click on the Lyapunov chart (the `Tap` stream) moves to the nearest grid point.
# Shown: each node's `x` against `y` and the nodes' `x` pairwise, over the kept iterations.


# %%
def nearest(name: str, value: float) -> float:
    coord = sweep[name].values
    return float(coord[np.argmin(np.abs(coord - value))])


def portraits(**where) -> hv.Layout:
    """Phase portraits at a grid point and initial state."""
    state = sweep.sel({XNAME: where[XNAME], YNAME: where[YNAME], "ic": where["ic"]})
    firsts = [names[0] for names in NODES.values()]
    pairs = [(v[0], v[1]) for v in NODES.values() if len(v) > 1]
    pairs += [(a, b) for i, a in enumerate(firsts) for b in firsts[i + 1 :]]
    return hv.Layout(
        [
            hv.Scatter((state[a].values, state[b].values), kdims=[a], vdims=[b]).opts(
                width=250, height=220, size=2, color="darkblue"
            )
            for a, b in pairs
        ]
    ).cols(3)


dimensions = [
    hv.Dimension(XNAME, values=[float(v) for v in sweep[XNAME].values]),
    hv.Dimension(YNAME, values=[float(v) for v in sweep[YNAME].values]),
    hv.Dimension("ic", values=list(range(sweep.sizes["ic"]))),
]
hv.DynamicMap(portraits, kdims=dimensions).collate()

# %%
tap = streams.Tap(
    source=lyapunov_chart, x=float(sweep[XNAME].values[0]), y=float(sweep[YNAME].values[0])
)


def picked_point(x: float, y: float) -> dict[str, float]:
    return {XNAME: nearest(XNAME, x), YNAME: nearest(YNAME, y), "ic": 0}


def marker(x: float, y: float) -> hv.Points:
    where = picked_point(x, y)
    return hv.Points([(where[XNAME], where[YNAME])]).opts(
        marker="circle", size=14, fill_alpha=0, line_color="magenta", line_width=3
    )


def parameter_line(x: float, y: float) -> hv.VLine:
    """The picked value of the orbit diagram's parameter (if it is one of the couplings)."""
    return hv.VLine(picked_point(x, y).get(PARAMETER, np.nan)).opts(color="magenta")


(
    lyapunov_chart.opts(width=420, height=360) * hv.DynamicMap(marker, streams=[tap])
    + orbit_diagram * hv.DynamicMap(parameter_line, streams=[tap])
    + hv.DynamicMap(lambda x, y: portraits(**picked_point(x, y)), streams=[tap]).collate()
).cols(2)

# %% [markdown]
# ## The values at the chosen point
#
# Every stored measure at the last clicked point (first initial state), as the report's
# tables show them.

# %%
picked = Point(
    "picked", {XNAME: nearest(XNAME, tap.x), YNAME: nearest(YNAME, tap.y)}, ic=0, slug="picked"
)
pd.DataFrame(
    [
        {"variable": name, "index": ", ".join(f"{k}={v}" for k, v in sel.items()), "value": value}
        for name, sel, value in point_values(sweep, picked)
    ]
)
