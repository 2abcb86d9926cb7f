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
# # Synchrony and complexity against coupling
#
# How the synchrony of a map network (cross-correlation coefficient Γ, Kuramoto order
# parameter R and its fluctuation) and the complexity of its activity (0-1 test K, sample and
# permutation entropy, the largest Lyapunov exponent λ1) change over the two swept couplings.
# Nair et al. (Chaos 2024) and Ghosh et al. (Eur. Phys. J. Plus 2024) use these measures on
# ring-star and chain networks of Chialvo and Rulkov neurons; the Lyapunov exponents of the
# coupled chain are the piece Ghosh et al. leave open.
#
# The stores are found from the repository root (the folder above `notebooks/` with the
# `Snakefile`), whatever the working directory; set `STUDY_CONFIG` to show another study
# (`workflows/config/tiny.yaml` for the tiny one).

# %%
import holoviews as hv
import matplotlib.pyplot as plt
import xarray as xr
from hvplot import hvPlot
from IPython.display import display

from neurodyn.report.figures import draw_measures, draw_phase_portraits
from neurodyn.report.study import MEASURES, choose_points, normalise_sweep, swept_parameters
from neurodyn.workflow import open_study_store

# BokehJS embedded in the notebook, so that an exported HTML copy shows its plots offline
# (hvPlot is used directly: importing hvplot.pandas or hvplot.xarray loads BokehJS from a CDN)
hv.extension("bokeh", inline=True)

STUDY_CONFIG = "workflows/config/default.yaml"  # relative to the repository root
sweep = normalise_sweep(open_study_store("sweep.zarr", STUDY_CONFIG))
XNAME, YNAME = swept_parameters(sweep)[:2]
present = [name for name in MEASURES if name in sweep]
print(f"{sweep.attrs['model']} over {XNAME} × {YNAME}; measures: {', '.join(present)}")
missing = [name for name in MEASURES if name not in sweep]
if missing:
    print("not in this store:", ", ".join(missing))

# %% [markdown]
# ## Maps over the two couplings
#
# Each measure at every grid point, averaged over the initial states (λ: the largest
# exponent); hover for the values, zoom and pan with the toolbar. Conventions are in each
# variable's attributes (printed below the maps).


# %%
def per_point(name: str) -> xr.DataArray:
    """The measure at every point and initial state (λ: the largest exponent)."""
    values = sweep[name]
    if "exponent" in values.dims:
        values = values.isel(exponent=0, drop=True)
    return values.astype(float)


def label(name: str) -> str:
    return MEASURES[name].label + ("1" if name == "lyapunov" else "")


shown = [n for n in present if n not in ("lyapunov_stderr", "period")]
maps = [
    hvPlot(per_point(name).mean("ic", skipna=True)).image(
        x=XNAME, y=YNAME, title=label(name), cmap="viridis", frame_width=240
    )
    for name in shown
]
display(hv.Layout(maps).cols(3))

for name in shown:
    attrs = sweep[name].attrs
    how = attrs.get("convention", attrs.get("method", ""))
    print(f"{name}: {attrs.get('long_name', MEASURES[name].description)}. {how}")

# %% [markdown]
# ## Against each coupling
#
# One line per value of the other coupling (mean over initial states, dots for each); the
# Kuramoto R carries a band of ± its standard deviation over time.

# %%
draw_measures(sweep, ["cross_correlation", "kuramoto_R"], title="synchrony")
plt.show()
draw_measures(
    sweep, ["chaos01_K", "sample_entropy", "permutation_entropy", "lyapunov"], title="complexity"
)
plt.show()

# %% [markdown]
# ## Synchrony and chaos together
#
# Every point and initial state as one row; how strongly the measures go together over this
# sweep (Spearman rank correlation), and Γ against λ1 (hover for the point).

# %%
table = xr.Dataset({name: per_point(name) for name in shown}).to_dataframe().reset_index()
display(table[shown].corr(method="spearman").round(2))

if {"cross_correlation", "lyapunov"} <= set(table):
    scatter = hvPlot(table).scatter(
        x="lyapunov",
        y="cross_correlation",
        hover_cols=[XNAME, YNAME, "ic"],
        xlabel="λ1 (1/iteration)",
        ylabel="cross-correlation Γ",
        frame_width=360,
    )
    display(scatter * hv.VLine(0.0).opts(color="gray", line_dash="dashed"))

# %% [markdown]
# ## The most and least synchronised points
#
# The report's representative points and their phase portraits (each node's x against y, and
# the nodes' x pairwise: on the diagonal when two nodes are synchronised).

# %%
for point in choose_points(sweep):
    figure = draw_phase_portraits(sweep, point)
    if figure is not None:
        plt.show()
