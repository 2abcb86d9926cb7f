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
# # A Wilson–Cowan metapopulation that classifies digits
#
# Marino, Buffoni, Chicchi, Di Patti, Febbe, Giambagli & Fanelli, *Learning in the
# Wilson–Cowan model for metapopulation*, Neural Computation 37 (2025), arXiv:2406.16453.
#
# Each of the N = 64 nodes is a bistable Wilson–Cowan pair (`wilson_cowan_marino` in the
# catalogue). The class memories are stable fixed points of the network planted in the kernel of
# the coupling matrix `A = Phi diag(lambda) Phi^-1`; the other eigenvectors and eigenvalues (and
# the time-scale ratio gamma) are trained so that an image, set as the initial excitatory
# activity, flows to its class's attractor. Data: scikit-learn's bundled 8x8 digits.
#
# Set `MARINO_EPOCHS` (default 40) to train shorter or longer.

# %%
import os

import numpy as np
import torch
from sklearn.datasets import load_digits

from neurodyn.neuralmass import steady_states
from neurodyn.neuralmass.differentiable import AttractorClassifier, attractor_patterns

EPOCHS = int(os.environ.get("MARINO_EPOCHS", 40))
STEPS = 25  # Euler steps of dt = 0.1 during training, as in the authors' code
SEED = 0

# %% [markdown]
# The node is bistable: its two stable fixed points give the two values the attractor patterns
# take (the authors' code hard-codes x = 0.2135903412... and 0.3732689846...).

# %%
stable = [s for s in steady_states("wilson_cowan_marino") if s.stable]
low, high = stable[0].state[0], stable[-1].state[0]
print(f"stable node states: x = {low:.15f} and x = {high:.15f}")

# %%
digits = load_digits()
images = digits.data / 16.0
labels = digits.target
order = np.random.default_rng(SEED).permutation(len(labels))
train, test = order[:1400], order[1400:]
n_nodes, n_classes = images.shape[1], 10
patterns = attractor_patterns(n_nodes, n_classes, low, high, block=n_nodes // n_classes)

torch.manual_seed(SEED)
model = AttractorClassifier(patterns, seed=SEED)
optimiser = torch.optim.Adam(model.parameters(), lr=0.01)
inputs = torch.tensor(images, dtype=torch.float32)
targets = torch.tensor(patterns.T[labels], dtype=torch.float32)


def accuracy(index: np.ndarray, steps: int) -> float:
    with torch.no_grad():
        predicted = model.classify(model(inputs[index], steps)).numpy()
    return float(np.mean(predicted == labels[index]))


# %%
rng = np.random.default_rng(SEED)
for epoch in range(EPOCHS):
    for batch in np.array_split(rng.permutation(train), len(train) // 20):
        optimiser.zero_grad()
        loss = torch.mean((model(inputs[batch], STEPS) - targets[batch]) ** 2)
        loss.backward()
        optimiser.step()
    if (epoch + 1) % 10 == 0 or epoch + 1 == EPOCHS:
        score = accuracy(test, STEPS)
        print(f"epoch {epoch + 1}: loss {loss.item():.2e}, test accuracy {score:.3f}")

# %% [markdown]
# After training, the dynamics is run longer (the authors test with 400 steps): the trained
# attractors hold the states.

# %%
test_accuracy = accuracy(test, 400)
print(f"test accuracy after 400 steps: {test_accuracy:.3f} (chance 0.1); gamma = "
      f"{model.gamma.item():.3f}")
