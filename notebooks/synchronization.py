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
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display

from neurodyn.report.figures import draw_measures, draw_phase_portraits
from neurodyn.report.study import MEASURES, choose_points, normalise_sweep, swept_parameters
from neurodyn.workflow import open_study_store

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
# exponent). Conventions are in each variable's attributes (printed below the maps).


# %%
def grid_mean(name: str) -> np.ndarray:
    values = sweep[name]
    if "exponent" in values.dims:
        values = values.isel(exponent=0)
    return values.astype(float).mean("ic", skipna=True).transpose(YNAME, XNAME).values


shown = [n for n in present if n not in ("lyapunov_stderr", "period")]
cols = 3
rows = -(-len(shown) // cols)
fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 3.6 * rows), squeeze=False)
for ax, name in zip(axes.flat, shown, strict=False):
    mesh = ax.pcolormesh(
        sweep[XNAME].values, sweep[YNAME].values, grid_mean(name), shading="nearest"
    )
    fig.colorbar(mesh, ax=ax)
    label = MEASURES[name].label + ("1" if name == "lyapunov" else "")
    ax.set(title=label, xlabel=XNAME, ylabel=YNAME)
for ax in axes.flat[len(shown) :]:
    ax.set_axis_off()
fig.tight_layout()
plt.show()

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
# sweep (Spearman rank correlation), and Γ against λ1.

# %%
columns = {}
for name in shown:
    values = sweep[name]
    if "exponent" in values.dims:
        values = values.isel(exponent=0)
    columns[name] = values.astype(float).values.ravel()
table = pd.DataFrame(columns)
display(table.corr(method="spearman").round(2))

if {"cross_correlation", "lyapunov"} <= set(table):
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.scatter(table["lyapunov"], table["cross_correlation"], s=10)
    ax.axvline(0.0, color="0.5", lw=0.8, ls="--")
    ax.set(xlabel="λ1 (1/iteration)", ylabel="cross-correlation Γ")
    plt.show()

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
