"""Trained RNNs as neurodyn map models, and the canonical linear form of the piecewise-linear ones.

:func:`to_model` writes the closed-loop map of a trained PLRNN, shPLRNN or AL-RNN
(:mod:`.plrnn`), or of an Elman RNN (:mod:`.rnn`), as a :class:`~neurodyn.models.Model` of kind
``map``: one state variable ``z_i`` per latent variable (hidden unit), the ReLU written
``where(u > 0, u, 0)`` in the equation grammar, and every trained weight a parameter. Sweeps,
Lyapunov spectra, orbit diagrams, period charts, the cycle search (``find_cycles``) and
continuation then run on the trained model with the same generated numba kernels as on a
catalogued map.

Conventions
-----------
* State: the model's latent state in its **normalised** coordinates; the first ``obs_dim``
  variables are the observations, raw value ``= obs_mean + obs_scale * z_i`` (the values are
  in the model's ``notes``).
* Parameters (all floats, unbounded unless said): ``a_i`` the diagonal of ``A``; ``h_i`` the
  bias; PLRNN ``w_i_j`` (``i != j``: the diagonal of ``W`` is masked); AL-RNN ``w_i_j`` for all
  ``i, j``; shPLRNN ``w1_i_k``, ``w2_k_j`` and ``b_k`` (``W1``, ``W2``, ``h2``), ``k`` a hidden
  unit. ``gain`` (default 1, range ``[0, inf)``) multiplies the recurrent weights (``W``, or
  ``W1`` of the shPLRNN): a scalar parameter on the weights to continue bifurcations in.
* Equations, with ``relu(u) = where(u > 0, u, 0)``:

  - PLRNN: ``z_i' = a_i z_i + gain * sum_{j != i} w_i_j relu(z_j) + h_i``
  - shPLRNN: ``z_i' = a_i z_i + gain * sum_k w1_i_k relu(sum_j w2_k_j z_j + b_k) + h_i``
  - AL-RNN: ``z_i' = a_i z_i + gain * sum_j w_i_j phi_j + h_i``, ``phi_j = z_j`` for the first
    ``latent - relu_units`` variables and ``relu(z_j)`` for the others.
  - Elman RNN, its prediction fed back: ``z_i' = tanh(gain * sum_j u_i_j z_j + sum_o r_i_o x_o
    + b_i)``, ``x_o = sum_j v_o_j z_j + c_o`` (``u`` = ``W_hh``, ``r`` = ``W_ih``, ``b`` the
    sum of both biases, ``v``, ``c`` the readout; ``gain`` on ``W_hh``). Its state is the
    hidden state and its observations are ``x``.

:func:`linear_form` gives the same map as ``z' = L z + W1 D(s) (W2 z + b) + h`` with ``D(s)``
the diagonal 0/1 matrix of the active ReLUs (``s = W2 z + b > 0``, the sign pattern read by
:func:`.plrnn.symbolic_code`): within the region of pattern ``d`` the map is the affine map
``z -> (L + W1 D W2) z + (W1 D b + h)``. :mod:`.pl_cycles` solves for cycles region by region.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..models import Model, Parameter, StateVariable
from .plrnn import ALRNN, PLRNN, ShallowPLRNN
from .rnn import VanillaRNN

__all__ = ["LinearForm", "linear_form", "to_model"]

_Exportable = PLRNN | ShallowPLRNN | ALRNN


def _relu(u: str) -> str:
    return f"where({u} > 0, {u}, 0)"


def _array(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().to(torch.float64).numpy()


def _check(model: object, what: str) -> None:
    if not isinstance(model, PLRNN | ShallowPLRNN | ALRNN):
        raise TypeError(f"{what} a PLRNN, shPLRNN or AL-RNN, got {type(model).__name__}")


def _weights(model: _Exportable) -> tuple[list[Parameter], list[str]]:
    """The weight parameters (besides ``a``, ``h``, ``gain``) and the recurrent term of each
    equation (multiplied by ``gain``)."""
    n = model.latent
    params: list[Parameter] = []
    terms: list[list[str]] = [[] for _ in range(n)]
    if isinstance(model, ShallowPLRNN):
        w1, w2, b = _array(model.W1), _array(model.W2), _array(model.h2)
        for k in range(model.hidden):
            u = " + ".join(f"w2_{k}_{j} * z_{j}" for j in range(n)) + f" + b_{k}"
            params += [Parameter(f"w2_{k}_{j}", float(w2[k, j])) for j in range(n)]
            params.append(Parameter(f"b_{k}", float(b[k])))
            for i in range(n):
                terms[i].append(f"w1_{i}_{k} * {_relu(u)}")
        params += [
            Parameter(f"w1_{i}_{k}", float(w1[i, k])) for i in range(n) for k in range(model.hidden)
        ]
    else:
        w = _array(model.W)
        split = n - model.relu_units if isinstance(model, ALRNN) else 0
        for i in range(n):
            for j in range(n):
                if isinstance(model, PLRNN) and i == j:
                    continue
                params.append(Parameter(f"w_{i}_{j}", float(w[i, j])))
                terms[i].append(f"w_{i}_{j} * {f'z_{j}' if j < split else _relu(f'z_{j}')}")
    return params, [" + ".join(t) if t else "0" for t in terms]


def _piecewise_linear(model: _Exportable) -> tuple[list[Parameter], list[str], str]:
    """Parameters, equations and observation note of a PLRNN, shPLRNN or AL-RNN."""
    n = model.latent
    a, h = _array(model.A), _array(model.h)
    weights, recurrent = _weights(model)
    parameters = [
        *(Parameter(f"a_{i}", float(a[i])) for i in range(n)),
        *weights,
        *(Parameter(f"h_{i}", float(h[i])) for i in range(n)),
    ]
    equations = [f"a_{i} * z_{i} + gain * ({recurrent[i]}) + h_{i}" for i in range(n)]
    return parameters, equations, f"observations: z_0..z_{model.obs_dim - 1}"


def _elman(model: VanillaRNN) -> tuple[list[Parameter], list[str], str]:
    """Parameters, equations and observation note of an Elman RNN in closed loop."""
    n, d = model.units, model.obs_dim
    w_ih, w_hh = _array(model.cell.weight_ih), _array(model.cell.weight_hh)
    bias = _array(model.cell.bias_ih) + _array(model.cell.bias_hh)
    w_out, b_out = _array(model.readout.weight), _array(model.readout.bias)
    readout = [" + ".join(f"v_{o}_{j} * z_{j}" for j in range(n)) + f" + c_{o}" for o in range(d)]
    parameters = [
        *(Parameter(f"u_{i}_{j}", float(w_hh[i, j])) for i in range(n) for j in range(n)),
        *(Parameter(f"r_{i}_{o}", float(w_ih[i, o])) for i in range(n) for o in range(d)),
        *(Parameter(f"b_{i}", float(bias[i])) for i in range(n)),
        *(Parameter(f"v_{o}_{j}", float(w_out[o, j])) for o in range(d) for j in range(n)),
        *(Parameter(f"c_{o}", float(b_out[o])) for o in range(d)),
    ]
    equations = []
    for i in range(n):
        recurrent = " + ".join(f"u_{i}_{j} * z_{j}" for j in range(n))
        fed_back = " + ".join(f"r_{i}_{o} * ({readout[o]})" for o in range(d))
        equations.append(f"tanh(gain * ({recurrent}) + {fed_back} + b_{i})")
    return parameters, equations, "observations: v z + c (the readout)"


def to_model(
    model: _Exportable | VanillaRNN,
    name: str | None = None,
    states: np.ndarray | None = None,
) -> Model:
    """The closed-loop map of a trained PLRNN, shPLRNN, AL-RNN or Elman RNN as a map
    :class:`Model` (module docstring for the variables, parameters and equations).

    ``states``: latent states ``(T, state_dim)`` on the model's attractor (e.g. from
    :func:`.plrnn.symbolic_sequence`); their range widened by 10 % on each side is the box
    random initial states are drawn from, and their last row the default initial state.
    Without them the box is ``[-3, 3]`` (three standard deviations of the normalised data) and
    the initial state zero.
    """
    if isinstance(model, VanillaRNN):
        parameters, equations, observed = _elman(model)
    else:
        _check(model, "to_model exports an Elman RNN or")
        parameters, equations, observed = _piecewise_linear(model)
    n = model.state_dim
    if states is None:
        low, high, initial = np.full(n, -3.0), np.full(n, 3.0), np.zeros(n)
    else:
        states = np.asarray(states, dtype=np.float64)
        if states.ndim != 2 or states.shape[1] != n or not np.all(np.isfinite(states)):
            raise ValueError(f"states must be finite with shape (T, {n}), got {states.shape}")
        pad = 0.1 * np.maximum(states.max(0) - states.min(0), 1e-9)
        low, high, initial = states.min(0) - pad, states.max(0) + pad, states[-1]
    gain = Parameter("gain", 1.0, 0.0, np.inf, "1", "factor on the recurrent weights")
    mean, scale = _array(model.obs_mean).tolist(), _array(model.obs_scale).tolist()
    return Model(
        name=name or f"trained_{model.kind}",
        kind="map",
        state=tuple(
            StateVariable(f"z_{i}", float(initial[i]), float(low[i]), float(high[i]))
            for i in range(n)
        ),
        parameters=(*parameters, gain),
        equations=tuple(equations),
        description=f"closed-loop map of a trained {model.kind} (normalised coordinates)",
        source=model.source,
        notes=f"{observed}, raw = obs_mean + obs_scale * observation with obs_mean = {mean}, "
        f"obs_scale = {scale}",
    )


@dataclass(frozen=True)
class LinearForm:
    """``z' = L z + W1 D(s) (W2 z + b) + h``, ``s = W2 z + b > 0`` (module docstring).

    ``L`` (n, n), ``W1`` (n, p), ``W2`` (p, n), ``b`` (p,), ``h`` (n,); ``p`` ReLUs.
    """

    L: np.ndarray
    W1: np.ndarray
    W2: np.ndarray
    b: np.ndarray
    h: np.ndarray

    @property
    def n(self) -> int:
        return self.L.shape[0]

    @property
    def n_relu(self) -> int:
        return self.W2.shape[0]

    def region(self, active: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(J, c)`` of the affine map ``z -> J z + c`` in the region where the ReLUs
        ``active`` (boolean ``(..., p)``) are on; batched over leading axes."""
        d = np.asarray(active, dtype=np.float64)
        w1d = self.W1 * d[..., None, :]
        return self.L + w1d @ self.W2, w1d @ self.b + self.h

    def active(self, z: np.ndarray) -> np.ndarray:
        """The ReLUs on at states ``z`` (``(..., n)``): ``W2 z + b > 0``."""
        return np.asarray(z) @ self.W2.T + self.b > 0

    def step(self, z: np.ndarray) -> np.ndarray:
        """One iteration of the map at states ``z`` (``(..., n)``)."""
        u = np.asarray(z) @ self.W2.T + self.b
        return z @ self.L.T + np.maximum(u, 0.0) @ self.W1.T + self.h


def linear_form(model: _Exportable, gain: float = 1.0) -> LinearForm:
    """The map of a trained PLRNN, shPLRNN or AL-RNN as a :class:`LinearForm`, with the
    recurrent weights multiplied by ``gain`` (the exported model's ``gain`` parameter)."""
    _check(model, "linear_form needs")
    n = model.latent
    L = np.diag(_array(model.A))
    h = _array(model.h)
    if isinstance(model, ShallowPLRNN):
        return LinearForm(L, gain * _array(model.W1), _array(model.W2), _array(model.h2), h)
    w = gain * _array(model.W)
    if isinstance(model, PLRNN):
        np.fill_diagonal(w, 0.0)
        return LinearForm(L, w, np.eye(n), np.zeros(n), h)
    split = n - model.relu_units
    L[:, :split] += w[:, :split]
    return LinearForm(L, w[:, split:], np.eye(n)[split:], np.zeros(model.relu_units), h)
