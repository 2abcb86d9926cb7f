"""Reservoirs whose units are map neurons from neurodyn's catalogue (Chialvo, Rulkov, ...).

Each unit iterates the catalogued map with the step generated from its equations
(:func:`neurodyn.models.compile_model`, the ``rhs`` function: no second hand-written kernel).
The units are coupled through their first state variable (``x``, the membrane variable), and
the input enters as an additive current on it::

    x_i[t] = f_x(x_i[t-1], y_i[t-1]) + sum_j W_ij x_j[t-1] + Win_i . u[t] + b_i
    y_i[t] = f_y(x_i[t-1], y_i[t-1])

For the Chialvo map the current adds to ``k`` (Chialvo 1995: ``k`` is the additive
perturbation); for the Rulkov maps it is the ``beta_n`` input current of Rulkov 2002 (Phys.
Rev. E 65, 041922). ``W`` and ``Win`` follow :mod:`.weights` (``W`` scaled to
``spectral_radius``). The readout reads the state variables in ``observed``.

Regimes: the units must forget their past for the reservoir to echo its input. Chialvo units
near their default parameters and Rulkov units in the silent regime (for example ``alpha =
3``, ``mu = 0.05``, ``sigma = -0.5``, with ``spectral_radius = 0.2`` and ``input_scaling =
0.3``: one-step Mackey-Glass NRMSE about 0.005 with 100 units, as the tests check) do; in the
chaotic bursting regime of the 2001 map (``alpha > 4``) the one-step NRMSE is above 1 (worse
than predicting the mean).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from ..models import Model, compile_model, get_model
from ..models.jit import stable_jit
from .base import ReservoirForecaster
from .kernels import csr_arrays, row_dot
from .weights import bernoulli_matrix, normal_matrix, scale_spectral_radius

__all__ = ["MapReservoir"]


class _Coupling(NamedTuple):
    w_ptr: np.ndarray
    w_idx: np.ndarray
    w_val: np.ndarray
    w_in: np.ndarray
    bias: np.ndarray
    row: int
    observed: np.ndarray


_KERNELS: dict = {}


def _kernel(rhs):
    if rhs not in _KERNELS:

        @stable_jit(rhs)
        def harvest(X, P, net, U, out):
            n = X.shape[1]
            new = np.empty_like(X)
            coupled = X[net.row]  # a view: X is overwritten in place each step
            for t in range(U.shape[0]):
                rhs(X, P, new, 0, n)
                for i in range(n):
                    a = net.bias[i] + row_dot(net.w_ptr, net.w_idx, net.w_val, coupled, i)
                    for m in range(U.shape[1]):
                        a += net.w_in[i, m] * U[t, m]
                    new[net.row, i] += a
                X[:, :] = new
                for r in range(net.observed.shape[0]):
                    out[t, r * n : (r + 1) * n] = X[net.observed[r]]

        _KERNELS[rhs] = harvest
    return _KERNELS[rhs]


class MapReservoir(ReservoirForecaster):
    """A reservoir of ``units`` map neurons of catalogue ``model`` (name or
    :class:`~neurodyn.models.Model`) with ``parameters`` overriding its defaults (see the module
    docstring). All units start from the model's initial state."""

    def __init__(
        self,
        model: str | Model = "chialvo",
        *,
        units: int = 100,
        spectral_radius: float = 0.5,
        connectivity: float = 0.1,
        input_scaling: float = 0.1,
        input_connectivity: float = 1.0,
        bias_scaling: float = 0.0,
        parameters: dict[str, float] | None = None,
        observed: tuple[str, ...] = ("x",),
        ridge: float = 1e-6,
        seed: int = 0,
    ):
        self.model = get_model(model) if isinstance(model, str) else model
        if self.model.kind != "map":
            raise ValueError(f"{self.model.name} is a {self.model.kind}; a map reservoir needs "
                             "a map model")
        if int(units) != units or units < 1:
            raise ValueError(f"units must be a positive integer, got {units}")
        for name in observed:
            if name not in self.model.state_names:
                raise ValueError(f"observed variable {name!r} is not one of "
                                 f"{self.model.state_names}")
        self.units, self.ridge, self.seed = int(units), float(ridge), int(seed)
        self.spectral_radius, self.connectivity = spectral_radius, connectivity
        self.input_scaling, self.input_connectivity = input_scaling, input_connectivity
        self.bias_scaling = bias_scaling
        resolved = self.model.resolve_parameters(dict(parameters or {}))
        self._P = np.array([[float(resolved[p])] * self.units for p in self.model.parameter_names])
        self._observed = np.array([self.model.state_names.index(v) for v in observed])
        self._compiled = compile_model(self.model)
        self.net: _Coupling | None = None
        #: the matrices once drawn (scipy CSR arrays): ``recurrent`` (units x units) and
        #: ``input`` (units x inputs, scaled)
        self.weights: dict[str, sp.csr_array] = {}
        if not spectral_radius > 0:
            raise ValueError(f"spectral_radius must be > 0, got {spectral_radius}")

    def _prepare(self, n_inputs: int, n_outputs: int) -> None:
        if self.net is not None and (n_inputs, n_outputs) == (self.n_inputs, self.n_outputs):
            return
        self.n_inputs, self.n_outputs = n_inputs, n_outputs
        rng = np.random.default_rng(self.seed)
        n = self.units
        w = scale_spectral_radius(normal_matrix(n, n, self.connectivity, rng),
                                  self.spectral_radius)
        w_in = bernoulli_matrix(n, n_inputs, self.input_connectivity, rng) * self.input_scaling
        bias = self.bias_scaling * rng.choice(np.array([1.0, -1.0]), size=n)
        self.weights = {"recurrent": w, "input": sp.csr_array(w_in)}
        self.net = _Coupling(*csr_arrays(w), w_in.toarray(), bias, 0, self._observed)

    def _initial_state(self) -> np.ndarray:
        return np.repeat(self.model.initial_state()[:, None], self.units, axis=1)

    def _harvest(self, z: np.ndarray, U: np.ndarray, Y: np.ndarray) -> np.ndarray:
        out = np.empty((len(U), self.units * len(self._observed)))
        _kernel(self._compiled.rhs)(z, self._P, self.net, np.ascontiguousarray(U), out)
        if not np.all(np.isfinite(out)):
            raise ValueError(
                f"the {self.model.name} reservoir diverged (non-finite states): lower "
                "spectral_radius or input_scaling"
            )
        return out

    def _feature_matrix(self, states: np.ndarray, inputs: np.ndarray) -> np.ndarray:
        return states

    def _closed_loop(self, z: np.ndarray, u: np.ndarray, steps: int) -> np.ndarray:
        out = np.empty((steps, self.n_outputs))
        features = np.concatenate([z[r] for r in self._observed])[None, :]
        for t in range(steps):
            out[t] = self._readout(features, u[None, :])[0]
            features = self._harvest(z, out[t : t + 1], np.zeros((1, 0)))
        return out
