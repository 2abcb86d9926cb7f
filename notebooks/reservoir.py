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
# # Reservoir computing with neurodyn
#
# Echo state networks (Jaeger 2001; leaky units, Jaeger et al. 2007) and a reservoir of
# Chialvo map neurons (Chialvo 1995), trained with a ridge readout and used through the shared
# forecasting interface `neurodyn.forecasting.rollout`. Data come from neurodyn's own
# generators: Mackey–Glass (tau = 17) and Lorenz-63. Small sizes, so that the notebook runs in
# well under a minute.

# %%
import matplotlib.pyplot as plt
import numpy as np

from neurodyn.forecasting import nrmse, rollout, valid_prediction_time
from neurodyn.reservoir import (
    ESN,
    LORENZ63_LYAPUNOV,
    MapReservoir,
    forecasting_pairs,
    lorenz63_series,
    mackey_glass_series,
    memory_capacity,
    reservoir_sweep,
)

# %% [markdown]
# ## Mackey–Glass one step ahead (the configuration of ANCHORS.md)
# 100 units, spectral radius 1.25, leak rate 0.3, ridge 1e-5, 2000 samples, last 20 % for
# testing, 100 warm-up rows. Expected: RMSE about 0.002, R² about 0.9999.

# %%
series = mackey_glass_series(2000)
inputs, targets = forecasting_pairs(series)
n_train = 1599
esn = ESN(units=100, spectral_radius=1.25, leak_rate=0.3, ridge=1e-5, seed=0)
esn.fit(inputs[:n_train], targets[:n_train], transient=100)
truth = targets[n_train:]
one_step = rollout(esn, series[: n_train + 1], len(truth), drive=truth)
closed = rollout(esn, series[: n_train + 1], len(truth))
rmse = np.sqrt(np.mean((one_step - truth) ** 2))
print(f"one step: RMSE {rmse:.4f}, NRMSE (std) {nrmse(one_step, truth):.4f}")

fig, ax = plt.subplots(figsize=(9, 3))
ax.plot(truth, "k", label="Mackey-Glass")
ax.plot(one_step, "--", label="open loop (one step)")
ax.plot(closed, ":", label="closed loop")
ax.set_xlabel("time step after training (time units)")
ax.legend()
plt.show()

# %% [markdown]
# ## Lorenz-63 closed loop
# Sampled every 0.02 time units; readout with every other unit squared (Pathak et al. 2018).
# The valid prediction time is in Lyapunov times (lambda_1 = 0.906).

# %%
lorenz = lorenz63_series(4400, sample_dt=0.02)
x, y = forecasting_pairs(lorenz[:3500])
config = dict(units=300, spectral_radius=0.8, leak_rate=0.5, connectivity=0.02,
              input_connectivity=1.0, input_scaling=0.02, ridge=1e-6, squared_units=True)
esn_lorenz = ESN(**config, seed=0).fit(x, y, transient=200)
forecast = rollout(esn_lorenz, lorenz[3200:3500], 600)
vpt = valid_prediction_time(forecast, lorenz[3500:4100], 0.02, LORENZ63_LYAPUNOV)
print(f"valid prediction time: {vpt:.1f} Lyapunov times")

fig, axes = plt.subplots(3, 1, figsize=(9, 5), sharex=True)
lyapunov_time = np.arange(600) * 0.02 * LORENZ63_LYAPUNOV
for k, name in enumerate("xyz"):
    axes[k].plot(lyapunov_time, lorenz[3500:4100, k], "k")
    axes[k].plot(lyapunov_time, forecast[:, k], "--")
    axes[k].set_ylabel(name)
axes[-1].set_xlabel("Lyapunov times")
plt.show()

# %% [markdown]
# ## Memory capacity
# A linear reservoir's capacity equals the rank of its controllability matrix (here the full
# 20); tanh units with input scaling 1 forget faster.

# %%
for activation in ("identity", "tanh"):
    reservoir = ESN(units=20, spectral_radius=0.9, activation=activation, ridge=1e-10,
                    input_connectivity=1.0, connectivity=0.5, seed=1)
    total, per_delay = memory_capacity(reservoir, max_delay=60, n_train=3000, n_test=3000)
    print(f"{activation:8s}: MC = {total:.2f}")
    plt.plot(per_delay, label=activation)
plt.xlabel("delay k")
plt.ylabel("MC_k")
plt.legend()
plt.show()

# %% [markdown]
# ## A reservoir of Chialvo neurons
# The units iterate the catalogue's Chialvo map (its generated step); the input is an additive
# current on x.

# %%
chialvo = MapReservoir("chialvo", units=100, spectral_radius=0.05, input_scaling=0.05,
                       observed=("x", "y"), seed=0)
chialvo.fit(inputs[:n_train], targets[:n_train], transient=100)
chialvo_step = rollout(chialvo, series[: n_train + 1], len(truth), drive=truth)
print(f"Chialvo reservoir, one step: NRMSE {nrmse(chialvo_step, truth):.3f}")

# %% [markdown]
# ## A reservoir of Rulkov neurons
# Rulkov 2002 units (Phys. Rev. E 65, 041922) in the silent regime (alpha = 3, mu = 0.05,
# sigma = -0.5) forget their past and echo the input; in the chaotic bursting regime of the
# 2001 map (alpha > 4) it does worse than predicting the mean (NRMSE above 1).

# %%
for model, regime in (("rulkov2002", {"alpha": 3.0, "mu": 0.05, "sigma": -0.5}),
                      ("rulkov2001", {"alpha": 4.3, "mu": 0.001, "sigma": -1.0})):
    rulkov = MapReservoir(model, units=100, spectral_radius=0.2, input_scaling=0.3,
                          parameters=regime, observed=("x", "y"), seed=0)
    rulkov.fit(inputs[:n_train], targets[:n_train], transient=100)
    step = rollout(rulkov, series[: n_train + 1], len(truth), drive=truth)
    print(f"{model} {regime}: one-step NRMSE {nrmse(step, truth):.3f}")

# %% [markdown]
# ## A small sweep (what the workflow's reservoir rule computes)

# %%
sweep = reservoir_sweep([0.6, 0.9, 1.25], [0.3, 1.0], [50], n_train=800, n_test=200)
sweep.nrmse.squeeze().to_pandas()
