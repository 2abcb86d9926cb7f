"""Echo state networks: sparse random reservoirs of tanh (or linear) units with leak, input
scaling, bias and optional output feedback; deep (stacked) and residual variants.

Update of unit ``i`` (see :mod:`.kernels`)::

    z_i[t] = alpha z_{perm(i)}[t-1]
             + beta f(sum_j W_ij z_j[t-1] + Win_i . v[t] + Wfb_i . y[t-1] + b_i)

* leaky ESN (Jaeger, Lukosevicius, Popovici & Siewert, Neural Networks 20, 335-352, 2007):
  ``alpha = 1 - leak_rate``, ``beta = leak_rate``, ``perm`` the identity; this is
  reservoirpy's ``Reservoir`` update, and the weights follow its conventions (:mod:`.weights`);
* residual ESN (Ceni & Gallicchio, "Residual echo state networks", Neurocomputing 2024):
  ``residual="identity"`` or ``"cycle"`` (a cyclic-shift orthogonal branch, ``perm(i) = i - 1``
  within the layer) with ``alpha = residual_alpha`` and ``beta = residual_beta``;
* deep ESN (Gallicchio, Micheli & Pedrelli, Neurocomputing 268, 87-99, 2017): ``layers``
  reservoirs of ``units`` each; layer 1 takes the input, layer ``l`` the state of layer
  ``l - 1`` at the same step through a sparse ``+-inter_scaling`` matrix; the readout reads
  all layers.

Output feedback (``feedback_scaling > 0``) enters layer 1 through a sparse ``+-feedback_scaling``
matrix. The readout's features are the states (units of even index squared with
``squared_units``, Pathak et al., Phys. Rev. Lett. 120, 024102, 2018), followed by the input
with ``readout_input``; the readout is ridge (:mod:`.readout`) or recursive least squares.
All draws come from ``numpy.random.default_rng(seed)``: the same seed gives the same numbers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import scipy.sparse as sp

from . import kernels
from .base import ReservoirForecaster
from .kernels import csr_arrays
from .weights import bernoulli_matrix, normal_matrix, scale_spectral_radius

__all__ = ["ESN", "ESNConfig"]

_ACTIVATIONS = ("tanh", "identity")
_RESIDUALS = (None, "identity", "cycle")


def _check(name: str, value: float, low: float, high: float, low_open: bool = True) -> None:
    inside = (value > low if low_open else value >= low) and value <= high
    if not (np.isfinite(value) and inside):
        bracket = "(" if low_open else "["
        raise ValueError(f"{name} must be in {bracket}{low}, {high}], got {value}")


@dataclass(frozen=True)
class ESNConfig:
    """Hyper-parameters of an :class:`ESN` (reservoirpy names in brackets): ``units`` per layer
    [units], ``spectral_radius`` > 0 of each layer's recurrent matrix [sr], ``leak_rate`` in
    (0, 1] [lr], ``input_scaling`` (a number or one per input column) [input_scaling],
    ``bias_scaling`` >= 0, ``connectivity`` of the recurrent matrix [rc_connectivity],
    ``input_connectivity`` [input_connectivity], ``feedback_scaling`` >= 0 (0: no feedback),
    ``feedback_connectivity``, ``layers``, ``inter_scaling`` (deep ESN), ``residual``,
    ``residual_alpha``, ``residual_beta``, ``activation`` ("tanh" or "identity"), ``ridge``
    [ridge], ``readout_input``, ``squared_units`` and ``seed``."""

    units: int = 100
    spectral_radius: float = 0.9
    leak_rate: float = 1.0
    input_scaling: float | tuple[float, ...] = 1.0
    bias_scaling: float = 0.0
    connectivity: float = 0.1
    input_connectivity: float = 0.1
    feedback_scaling: float = 0.0
    feedback_connectivity: float = 0.1
    layers: int = 1
    inter_scaling: float = 1.0
    residual: str | None = None
    residual_alpha: float = 1.0
    residual_beta: float = 0.1
    activation: str = "tanh"
    ridge: float = 1e-6
    readout_input: bool = False
    squared_units: bool = False
    seed: int = 0

    def __post_init__(self):
        if int(self.units) != self.units or self.units < 1:
            raise ValueError(f"units must be a positive integer, got {self.units}")
        if int(self.layers) != self.layers or self.layers < 1:
            raise ValueError(f"layers must be a positive integer, got {self.layers}")
        _check("spectral_radius", self.spectral_radius, 0.0, np.inf)
        _check("leak_rate", self.leak_rate, 0.0, 1.0)
        for name in ("connectivity", "input_connectivity", "feedback_connectivity"):
            _check(name, getattr(self, name), 0.0, 1.0)
        for name in ("bias_scaling", "feedback_scaling", "ridge", "inter_scaling"):
            _check(name, getattr(self, name), 0.0, np.inf, low_open=False)
        scaling = np.atleast_1d(np.asarray(self.input_scaling, dtype=float))
        if scaling.ndim != 1 or not np.all(np.isfinite(scaling)):
            raise ValueError(f"input_scaling must be a finite number or list, got {scaling}")
        if self.residual not in _RESIDUALS:
            raise ValueError(f"residual must be one of {_RESIDUALS}, got {self.residual!r}")
        _check("residual_alpha", self.residual_alpha, 0.0, 1.0, low_open=False)
        _check("residual_beta", self.residual_beta, 0.0, 1.0)
        if self.activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {_ACTIVATIONS}, got {self.activation!r}")


class ESN(ReservoirForecaster):
    """Echo state network (see the module docstring). Build with keyword hyper-parameters
    (:class:`ESNConfig`) or from given matrices with :meth:`from_weights`; the random matrices
    are drawn when the input dimension is first known (``fit``, ``states``)."""

    def __init__(self, config: ESNConfig | None = None, **hyper):
        self.config = ESNConfig(**hyper) if config is None else config
        if config is not None and hyper:
            raise ValueError("give either a config or keyword hyper-parameters, not both")
        self.ridge = self.config.ridge
        self.network: kernels.Network | None = None
        #: the matrices once drawn (scipy CSR arrays): ``recurrent`` (units x units, all layers
        #: block diagonal), ``input`` (units x inputs), ``inter_layer`` (units x units, layer
        #: ``l`` reads layer ``l - 1``) and ``feedback`` (units x outputs)
        self.weights: dict[str, sp.csr_array] = {}
        self._given: tuple | None = None

    @classmethod
    def from_weights(
        cls,
        recurrent: np.ndarray,
        inputs: np.ndarray,
        bias: np.ndarray | None = None,
        **hyper,
    ) -> ESN:
        """A one-layer ESN with the given recurrent ``(N, N)`` and input ``(N, d)`` matrices,
        used as they are (no spectral-radius scaling, no feedback)."""
        recurrent = np.asarray(recurrent, dtype=float)
        inputs = np.asarray(inputs, dtype=float)
        n = recurrent.shape[0]
        if recurrent.shape != (n, n) or inputs.ndim != 2 or inputs.shape[0] != n:
            raise ValueError(f"need recurrent (N, N) and inputs (N, d), got "
                             f"{recurrent.shape} and {inputs.shape}")
        bias = np.zeros(n) if bias is None else np.asarray(bias, dtype=float).reshape(n)
        esn = cls(units=n, **hyper)
        esn._given = (sp.csr_array(recurrent), sp.csr_array(inputs), bias)
        return esn

    @property
    def has_feedback(self) -> bool:
        return self.config.feedback_scaling > 0

    @property
    def n_units(self) -> int:
        """Total number of units (all layers)."""
        return self.config.units * self.config.layers

    def _prepare(self, n_inputs: int, n_outputs: int) -> None:
        if self.network is not None and (n_inputs, n_outputs) == (self.n_inputs, self.n_outputs):
            return
        self.n_inputs, self.n_outputs = n_inputs, n_outputs
        self.network = self._build(n_inputs, n_outputs)
        self.state = None

    def _build(self, d: int, d_out: int) -> kernels.Network:
        c = self.config
        n, n_total = c.units, self.n_units
        scaling = np.broadcast_to(np.asarray(c.input_scaling, dtype=float), (d,))
        rng = np.random.default_rng(c.seed)
        if self._given is not None:
            if self._given[1].shape[1] != d:
                raise ValueError(f"the input matrix has {self._given[1].shape[1]} columns, "
                                 f"the data {d}")
            blocks, w_in, bias = [self._given[0]], self._given[1], self._given[2]
            below = []
        else:
            blocks, below = [], []
            for layer, layer_rng in enumerate(rng.spawn(c.layers)):
                blocks.append(scale_spectral_radius(
                    normal_matrix(n, n, c.connectivity, layer_rng), c.spectral_radius
                ))
                if layer == 0:
                    w_in = bernoulli_matrix(n, d, c.input_connectivity, layer_rng) * scaling
                else:
                    below.append(bernoulli_matrix(n, n, c.input_connectivity, layer_rng)
                                 * c.inter_scaling)
            bias = c.bias_scaling * rng.choice(np.array([1.0, -1.0]), size=n_total)
        fb_rows = n if self.has_feedback else 0
        fb = bernoulli_matrix(fb_rows, d_out, c.feedback_connectivity, rng)
        self.weights = {
            "recurrent": sp.csr_array(blocks[0] if len(blocks) == 1 else sp.block_diag(blocks)),
            "input": sp.csr_array(sp.vstack([w_in, sp.csr_array((n_total - n, d))])),
            "inter_layer": sp.csr_array(sp.hstack([
                sp.vstack([sp.csr_array((n, n_total - n)), sp.block_diag(below)]),
                sp.csr_array((n_total, n)),
            ]) if below else sp.csr_array((n_total, n_total))),
            "feedback": sp.csr_array(
                sp.vstack([fb * c.feedback_scaling, sp.csr_array((n_total - fb_rows, d_out))])
            ),
        }
        if c.residual is None:
            alpha, beta = 1.0 - c.leak_rate, c.leak_rate
        else:
            alpha, beta = c.residual_alpha, c.residual_beta
        if c.residual == "cycle":  # unit i of a layer takes unit i - 1 (mod units) of it
            local = np.tile(np.arange(n), c.layers)
            perm = np.repeat(np.arange(c.layers) * n, n) + (local - 1) % n
        else:  # the identity, stored empty (see :mod:`.kernels`)
            perm = np.empty(0, dtype=np.int64)
        return kernels.Network(
            *csr_arrays(self.weights["recurrent"]),
            *csr_arrays(self.weights["input"].T),  # by input column
            *csr_arrays(self.weights["inter_layer"]),
            *csr_arrays(self.weights["feedback"]),
            np.ascontiguousarray(bias, dtype=float),
            np.full(n_total, alpha),
            np.full(n_total, beta),
            perm.astype(np.int64),
            np.arange(c.layers + 1, dtype=np.int64) * n,
            c.activation == "identity",
        )

    def _initial_state(self) -> np.ndarray:
        return np.zeros(self.n_units)

    def _harvest(self, z: np.ndarray, U: np.ndarray, Y: np.ndarray) -> np.ndarray:
        out = np.empty((len(U), self.n_units))
        kernels.harvest(self.network, z, np.ascontiguousarray(U), Y, out)
        return out

    def _feature_matrix(self, states: np.ndarray, inputs: np.ndarray) -> np.ndarray:
        if self.config.squared_units:
            states = states.copy()
            states[:, ::2] **= 2
        return np.hstack([states, inputs]) if self.config.readout_input else states

    def _closed_loop(self, z: np.ndarray, u: np.ndarray, steps: int) -> np.ndarray:
        out = np.empty((steps, self.n_outputs))
        c = self.config
        kernels.autonomous(
            self.network, z, u, np.ascontiguousarray(self.w_out), self.b_out,
            c.squared_units, c.readout_input, self.has_feedback, out,
        )
        return out

    def fit_rls(
        self,
        inputs: np.ndarray,
        targets: np.ndarray,
        *,
        regularisation: float = 1.0,
        force: bool = False,
    ) -> np.ndarray:
        """Train the readout online by recursive least squares from ``P = I / regularisation``
        and zero weights (the bias is a feature like the others); with ``force`` the fed-back
        output is the network's own (FORCE learning, needs ``feedback_scaling > 0``). Returns
        the a priori errors ``(T, d_out)``. With ``force=False`` the result equals ridge
        regression with penalty ``regularisation`` on the uncentred features and bias."""
        inputs = self._check_inputs(inputs)
        targets = np.ascontiguousarray(self._check_inputs_like(targets, len(inputs)))
        _check("regularisation", regularisation, 0.0, np.inf)
        if force and not self.has_feedback:
            raise ValueError("FORCE learning feeds the output back: set feedback_scaling > 0")
        self._prepare(inputs.shape[1], targets.shape[1])
        c = self.config
        n_features = self.n_units + (inputs.shape[1] if c.readout_input else 0) + 1
        P = np.eye(n_features) / regularisation
        w = np.zeros((n_features, targets.shape[1]))
        errors = np.empty_like(targets)
        kernels.rls(self.network, self._initial_state(), np.ascontiguousarray(inputs), targets,
                    P, w, c.squared_units, c.readout_input, force, errors)
        self.w_out, self.b_out = w[:-1], w[-1].copy()
        return errors

    @staticmethod
    def _check_inputs_like(targets: np.ndarray, n_rows: int) -> np.ndarray:
        targets = np.asarray(targets, dtype=float)
        targets = targets[:, None] if targets.ndim == 1 else targets
        if targets.ndim != 2 or len(targets) != n_rows or not np.all(np.isfinite(targets)):
            raise ValueError(f"targets must be finite with shape ({n_rows}, d_out)")
        return targets

    def hyperparameters(self) -> dict:
        """The configuration as a plain dict (reload with ``ESN(**d)``)."""
        return asdict(self.config)
