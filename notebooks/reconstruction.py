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
# # Reconstructing the Chialvo map with a shPLRNN
#
# A shallow PLRNN (Hess et al., ICML 2023) is trained with generalised teacher forcing on
# trajectories of the Chialvo map neuron at two regimes, exported as a map model, and analysed
# with the same tools as the true map: Lyapunov spectrum, period, fixed points and cycles, and
# the attractor's occupation (D_stsp) and power spectrum (D_H) against their floors.
#
# The numbers come from the store of the `reconstruct` section of
# `workflows/config/chialvo_reconstruct.yaml` when that study has run
# (`snakemake results/chialvo_reconstruct/reconstruct.zarr --cores 1 --configfile
# workflows/config/chialvo_reconstruct.yaml`); otherwise a short reconstruction is computed here
# (`RECONSTRUCTION_EPOCHS` epochs per regime).

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
import torch

from neurodyn.learn import reconstruct_regimes
from neurodyn.store import open_dataset
from neurodyn.workflow import load_study, repository_root

torch.set_num_threads(1)
root = repository_root()
study = load_study(root / "workflows/config/chialvo_reconstruct.yaml")
store = root / study["results"] / study["study"] / "reconstruct.zarr"
if store.exists():
    ds = open_dataset(store).load()
else:
    settings = dict(study["reconstruct"])
    system, regimes = settings.pop("system"), settings.pop("regimes")
    epochs = int(os.environ.get("RECONSTRUCTION_EPOCHS", "60"))
    settings.update(training={"epochs": epochs}, analysis_steps=5000)
    for spec in regimes.values():
        spec["training"] = {**spec.get("training", {}), "epochs": epochs}
    ds = reconstruct_regimes(system, regimes, **settings)
print("from the store" if store.exists() else f"computed here, {epochs} epochs per regime")

# %% [markdown]
# ## True against reconstructed

# %%
table = []
for regime in ds.regime.values:
    r = ds.sel(regime=regime)
    for side in r.side.values:
        s = r.sel(side=side)
        table.append(
            {
                "regime": str(regime),
                "side": str(side),
                "lambda_1": float(s.lyapunov.sel(exponent=1)),
                "lambda_2": float(s.lyapunov.sel(exponent=2)),
                "period": int(s.period),
                **{
                    f"cycles P{k}": int(s.n_cycles.sel(cycle_period=k))
                    for k in r.cycle_period.values
                },
                **{
                    f"stable P{k}": int(s.n_stable.sel(cycle_period=k))
                    for k in r.cycle_period.values
                },
            }
        )
    print(
        f"{regime}: D_stsp = {float(r.d_stsp):.3g} (floor {float(r.d_stsp_floor):.3g}), "
        f"D_H = {float(r.d_h):.3g} (floor {float(r.d_h_floor):.3g}), "
        f"training {float(r.training_seconds):.0f} s"
    )
for row in table:
    print("  ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()))

# %% [markdown]
# ## Attractors side by side (x against y, the last 3000 iterations of each free run)

# %%
fig, axes = plt.subplots(len(ds.regime), 2, figsize=(8, 3.2 * len(ds.regime)), squeeze=False)
for i, regime in enumerate(ds.regime.values):
    for j, side in enumerate(ds.side.values):
        points = ds.attractor.sel(regime=regime, side=side).values[-3000:]
        ax = axes[i, j]
        ax.plot(points[:, 0], points[:, 1], ".", ms=1.5, alpha=0.5)
        ax.set_title(f"{regime}, {side}")
        ax.set_xlabel("x")
        ax.set_ylabel("y")
fig.tight_layout()
plt.show()

# %%
fig, axes = plt.subplots(len(ds.regime), 1, figsize=(8, 2.5 * len(ds.regime)), squeeze=False)
for i, regime in enumerate(ds.regime.values):
    for side in ds.side.values:
        axes[i, 0].plot(
            np.asarray(ds.attractor.sel(regime=regime, side=side).values[:400, 0]),
            label=side,
            lw=0.8,
        )
    axes[i, 0].set_title(f"{regime}: x over 400 iterations")
    axes[i, 0].legend()
fig.tight_layout()
plt.show()
