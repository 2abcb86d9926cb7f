# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Trained models of Lorenz-63: RNN baselines, LTC, CfC and the PLRNN family
#
# Simulate Lorenz-63, train small models with teacher forcing, and compare them by the
# dynamical-systems-reconstruction measures of `neurodyn.learn.evaluate`, each beside its
# ground-truth floor (the same measure between two independent true trajectories). The models
# are tiny and trained briefly so that the notebook runs in about a minute on two cores; set
# `TRAINED_MODELS_EPOCHS` for longer training.

# %%
import os
import tempfile

import numpy as np
import torch
import xarray as xr

from neurodyn.flows import trajectory
from neurodyn.forecasting import rollout
from neurodyn.learn import (
    evaluate,
    pl_cycles,
    symbolic_sequence,
    to_model,
    train,
    write_evaluation,
)

torch.set_num_threads(2)
EPOCHS = int(os.environ.get("TRAINED_MODELS_EPOCHS", "6"))
DT = 0.02
LAMBDA_1 = 0.906  # Lorenz-63, per unit time (ANCHORS.md)

runs = [
    trajectory("lorenz63", duration=60, transient_time=10, every=2, initial=np.array(x0))
    for x0 in ([1.0, 1.0, 1.0], [-3.0, 2.0, 20.0])
]
first, second = (np.column_stack([ds[v].values for v in "xyz"]) for ds in runs)
train_rows, test_rows = first[:2000], first[2000:2600]

# %% [markdown]
# ## Training
# Generalised teacher forcing (alpha fixed, or adaptive for the shPLRNN), BPTT with clipping.

# %%
models = {
    "gru": {"kind": "gru", "units": 16},
    "ltc": {"kind": "ltc", "units": 8, "ode_unfolds": 3},
    "cfc": {"kind": "cfc", "units": 16, "backbone_units": 32},
    "shplrnn": {"kind": "shplrnn", "latent": 3, "hidden": 24},
    "alrnn": {"kind": "alrnn", "latent": 8, "relu_units": 3},
}
options = {
    "epochs": EPOCHS,
    "batches_per_epoch": 5,
    "batch_size": 8,
    "sequence_length": 40,
    "learning_rate": 3e-3,
    "alpha": 0.3,
    "seed": 0,
    "progress": False,
}
trained = {}
for name, config in models.items():
    extra = {"alpha_mode": "adaptive", "alpha_bounds": (0.05, 0.5)} if name == "shplrnn" else {}
    trained[name] = train(config, train_rows, {**options, **extra}).model

# %% [markdown]
# ## Evaluation against the floors

# %%
results = {
    name: evaluate(
        model,
        test_rows,
        second,
        DT,
        lyapunov_exponent=LAMBDA_1,
        horizons=(1, 10),
        warmup=50,
        n_starts=5,
        lyapunov_steps=300,
        attractor_steps=1000,
    )
    for name, model in trained.items()
}
table = xr.concat(list(results.values()), dim="model", combine_attrs="drop", join="outer")
table = table.assign_coords(model=list(results))
columns = ["d_stsp", "d_stsp_floor", "d_h", "d_h_floor", "valid_prediction_time"]
summary = table[[*columns, "valid_prediction_time_floor", "collapsed"]]
print(summary.to_dataframe().round(3))
print(table["lyapunov_model"].sel(exponent=1).to_series().round(3))

# %% [markdown]
# Results go to Zarr like every other neurodyn result.

# %%
with tempfile.TemporaryDirectory() as folder:
    store = write_evaluation(results["shplrnn"], os.path.join(folder, "shplrnn.zarr"))
    print(sorted(xr.open_zarr(store).data_vars))

# %% [markdown]
# ## Symbolic dynamics of the AL-RNN
# The sequence of linear subregions visited by the closed-loop AL-RNN (Brenner et al. 2024).

# %%
states, codes = symbolic_sequence(trained["alrnn"], test_rows[:50], 200)
print("subregions visited:", np.unique(codes).size, "first codes:", codes[:20])
forecast = rollout(trained["shplrnn"], test_rows[:50], 100)
print("shPLRNN forecast, first rows:\n", forecast[:3].round(2))

# %% [markdown]
# ## The AL-RNN as a map model: its exact fixed points and cycles
# `to_model` writes the trained network as a neurodyn map (ReLU as `where(u > 0, u, 0)`, the
# weights as parameters, a `gain` on the recurrent weights), on which `sweep`,
# `lyapunov_spectrum`, orbit diagrams, `find_cycles` and continuation run as on any catalogued
# map. `pl_cycles` solves for its fixed points and cycles region by region: with 3 ReLUs every
# sequence of regions is tried (`complete`).

# %%
exported = to_model(trained["alrnn"], states=states)
print(exported.name, exported.n_state, "states,", len(exported.parameters), "parameters")
for k in (1, 2, 3, 4):
    cycles = pl_cycles(trained["alrnn"], k)
    labels, counts = np.unique(cycles.stability.values, return_counts=True)
    kinds = {str(label): int(count) for label, count in zip(labels, counts, strict=True)}
    print(f"period {k}: {kinds or 'none'}, complete: {bool(cycles.attrs['complete'])}")
