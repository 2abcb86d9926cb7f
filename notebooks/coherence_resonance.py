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
# # Coherence resonance in noisy Rulkov neurons
#
# An excitable neuron driven by noise fires most regularly at an intermediate noise amplitude:
# the coefficient of variation (CV) of its inter-spike intervals has a minimum against the noise
# (Pikovsky & Kurths, Phys. Rev. Lett. 78, 775 (1997)). This notebook shows it for the
# non-chaotic Rulkov (2002) map below its spiking threshold, alone and in a ring of electrically
# (diffusively) coupled neurons:
#
# 1. one neuron, a batch of noise amplitudes D in one call (the noise amplitude is a per-point
#    value, like a parameter), its spike trains, and the CV of ISI against D;
# 2. the same sweep declared in a study config (`workflows/config/coherence_resonance.yaml`):
#    the noise amplitude is a `sweep:` axis (`noise_x`), the `spikes` measure gives the CV;
# 3. a ring of 10 neurons with independent noise on every membrane variable: the CV (mean over
#    neurons) and the spike-time tiling coefficient between neighbours against D.
#
# The noise is additive on x, `x' = f(x, y) + D ξ`, with counter-based normals keyed by
# (seed, iteration, point), so every run here is reproducible on any number of threads.
# Everything is simulated in the notebook (under a minute on 2 cores).

# %%
import os

import matplotlib.pyplot as plt
import numpy as np

from neurodyn.analysis.spikes import (
    SPIKE_STATISTICS,
    spike_indices,
    spike_statistics,
    spike_time_tiling_coefficient,
)
from neurodyn.flows import trajectory
from neurodyn.networks import DiffusiveCoupling, network_model, ring
from neurodyn.workflow import compute_chunk, load_study, workflow_root

STEPS = int(os.environ.get("COHERENCE_STEPS", "100000"))  # iterations per run
ALPHA, SIGMA, MU = 1.95, 0.58, 0.001
print(f"spiking threshold sigma_th = 2 - sqrt(alpha) = {2 - np.sqrt(ALPHA):.4f}; sigma = {SIGMA}")

# %% [markdown]
# ## One neuron
#
# The fixed point of the map is `x* = sigma - 1`, `y* = x* - alpha / (1 - x*)`; it is stable for
# `sigma < 2 - sqrt(alpha)`. Each point of the batch starts there with its own noise amplitude.

# %%
noise = np.geomspace(0.003, 0.3, 16)
x0 = SIGMA - 1
rest = np.array([x0, x0 - ALPHA / (1 - x0), x0])
single = trajectory(
    "rulkov2002",
    steps=STEPS,
    initial=np.tile(rest, (noise.size, 1)),
    seed=1,
    parameters={"alpha": ALPHA, "sigma": SIGMA, "mu": MU},
    noise={"x": noise},
)
stats = spike_statistics(single["x"].values, threshold=0.0)
cv = stats[:, SPIKE_STATISTICS.index("isi_cv")]
rate = stats[:, SPIKE_STATISTICS.index("rate")]
best = int(np.nanargmin(cv))
print(
    f"CV of ISI is smallest, {cv[best]:.3f}, at D = {noise[best]:.4f} "
    f"({rate[best] * 1000:.1f} spikes per 1000 iterations)"
)

# %%
fig, axes = plt.subplots(3, 1, figsize=(9, 6), sharex=True)
for ax, k in zip(axes, (1, best, noise.size - 1), strict=True):
    ax.plot(single["time"].values[:6000], single["x"].values[k, :6000], lw=0.6)
    ax.set_ylabel("x")
    ax.set_title(f"D = {noise[k]:.4f}: CV of ISI {cv[k]:.2f}", fontsize=9)
axes[-1].set_xlabel("iteration")
fig.tight_layout()

# %%
fig, ax = plt.subplots(figsize=(6, 3.6))
ax.semilogx(noise, cv, "o-", label="one neuron")
ax.axvline(noise[best], color="0.6", ls="--", lw=0.8)
ax.set_xlabel("noise amplitude D")
ax.set_ylabel("CV of inter-spike intervals")
ax.set_title(f"Rulkov (2002), alpha = {ALPHA}, sigma = {SIGMA}, mu = {MU}", fontsize=9)
ax.legend()
fig.tight_layout()

# %% [markdown]
# ## The same sweep from a study config
#
# `workflows/config/coherence_resonance.yaml` declares the model, the fixed parameters, the
# noise amplitude as a sweep axis `noise_x` and two initial states per amplitude (each with its
# own noise stream, keyed by the global grid point and initial state, so the workflow's jobs
# give the same numbers however the grid is cut). `snakemake --cores 2 --configfile
# workflows/config/coherence_resonance.yaml` runs it as a study with its report; here the whole
# grid is computed in one call (the same function a workflow job runs on its block).

# %%
study = load_study(workflow_root() / "workflows/config/coherence_resonance.yaml")
study["simulation"].update(steps=STEPS, keep=STEPS)
study["chunk_size"] = 10**6  # the whole grid in one block
swept = compute_chunk(study, 0, threads=None)
config_cv = swept["spike_isi_cv"].mean("ic")
print(swept.attrs["noise_convention"])
for d, c in zip(swept["noise_x"].values, config_cv.values, strict=True):
    print(f"D = {d:.3f}: CV of ISI {c:.3f} (mean of {swept.sizes['ic']} initial states)")

# %%
fig, ax = plt.subplots(figsize=(6, 3.6))
ax.semilogx(noise, cv, "o-", label="trajectory batch")
ax.semilogx(swept["noise_x"].values, config_cv.values, "s--", label="study config (spikes)")
ax.set_xlabel("noise amplitude D")
ax.set_ylabel("CV of inter-spike intervals")
ax.legend()
fig.tight_layout()

# %% [markdown]
# ## A ring of 10 coupled neurons
#
# Diffusive (electrical) coupling `g_el * sum_j A_ij (x_j - x_i)` on a ring; every neuron gets
# its own noise (one noise channel per state variable). The neighbours' spike trains are
# compared by the spike-time tiling coefficient (STTC, window ±5 iterations).

# %%
n = 10
model = network_model(
    ["rulkov2002"] * n,
    [DiffusiveCoupling(ring(n), strength="g_el", default=0.02)],
    shared=True,
    name="rulkov2002_ring",
)
ring_noise = noise[4::2]  # from D = 0.01: every neuron spikes
initial = np.tile(np.tile(rest, n), (ring_noise.size, 1))
amplitudes = {f"x_{i}": ring_noise for i in range(n)}
net = trajectory(
    model,
    steps=STEPS,
    initial=initial,
    seed=2,
    noise=amplitudes,
    parameters={"alpha": ALPHA, "sigma": SIGMA, "mu": MU},
)
X = np.stack([net[f"x_{i}"].values for i in range(n)], axis=1)  # (point, node, time)
ring_cv = np.nanmean(spike_statistics(X, 0.0)[..., SPIKE_STATISTICS.index("isi_cv")], axis=1)
sttc = []
for p in range(ring_noise.size):
    trains = [spike_indices(X[p, i], 0.0).astype(float) for i in range(n)]
    pairs = [
        spike_time_tiling_coefficient(trains[i], trains[(i + 1) % n], 5.0, 0.0, STEPS)
        for i in range(n)
    ]
    sttc.append(np.nanmean(pairs))

# %%
fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.6))
a.semilogx(noise, cv, "o-", label="one neuron")
a.semilogx(ring_noise, ring_cv, "s-", label=f"ring of {n} (mean over neurons)")
a.set_xlabel("noise amplitude D")
a.set_ylabel("CV of inter-spike intervals")
a.legend()
b.semilogx(ring_noise, sttc, "s-", color="tab:green")
b.set_xlabel("noise amplitude D")
b.set_ylabel("STTC of neighbours (±5 iterations)")
fig.suptitle(f"Rulkov (2002) ring, g_el = 0.02, alpha = {ALPHA}, sigma = {SIGMA}", fontsize=9)
fig.tight_layout()

# %%
for d, c, s in zip(ring_noise, ring_cv, sttc, strict=True):
    print(f"D = {d:.4f}: CV {c:.3f}, STTC {s:.3f}")
