"""Liquid time-constant network (Hasani, Lechner, Amini, Rus, Grosu, AAAI 2021).

Each neuron ``i`` is a leaky membrane with conductance-based synapses,

    cm_i dv_i/dt = gleak_i (vleak_i - v_i) + sum_j w_ji s_ji(v_j) (E_ji - v_i)
                   + sum_k ws_ki ss_ki(u_k) (Es_ki - v_i),

``s_ji(v) = sigmoid(sigma_ji (v - mu_ji))``, over recurrent synapses ``j -> i`` and input
synapses ``k -> i`` of the wiring (:mod:`neurodyn.learn.wiring`); ``u = input_w * x + input_b``.
One step of elapsed time ``dt`` is ``ode_unfolds`` steps of the fused semi-implicit Euler solver
(the paper's eq. 3, explicit in the synaptic activations, implicit in ``v``), with
``Delta = dt / ode_unfolds``:

    v <- (cm/Delta v + gleak vleak + sum w s E + sum ws ss Es)
         / (cm/Delta + gleak + sum w s + sum ws ss + epsilon).

``gleak``, ``cm``, ``w`` and ``ws`` are kept positive by a softplus (ncps' "implicit parameter
constraints"); ``E`` starts at the wiring's polarities. The prediction is
``output_w * v[:output_dim] + output_b`` (the wiring's first neurons are its outputs). ``dt`` is
a number or, for irregular sampling, a ``(batch, 1)`` tensor. Parameter names, initial ranges
and the step follow ncps' ``LTCCell`` (Lechner & Hasani), so weights transfer one to one.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn.functional import softplus

from .base import SequenceModel
from .wiring import Wiring, full_wiring

__all__ = ["LTC"]

_INIT_RANGES = {
    "gleak": (0.001, 1.0),
    "vleak": (-0.2, 0.2),
    "cm": (0.4, 0.6),
    "w": (0.001, 1.0),
    "sigma": (3.0, 8.0),
    "mu": (0.3, 0.8),
    "sensory_w": (0.001, 1.0),
    "sensory_sigma": (3.0, 8.0),
    "sensory_mu": (0.3, 0.8),
}


class LTC(SequenceModel):
    """Liquid time-constant network with the fused solver (see the module docstring).

    ``wiring``: a :meth:`Wiring.config` dict (its ``input_dim`` and ``output_dim`` must equal
    ``obs_dim``); default fully connected with ``units`` neurons.
    """

    kind = "ltc"
    source = "R. Hasani et al., Liquid time-constant networks, AAAI 35, 7657-7666 (2021)"

    def __init__(
        self,
        obs_dim: int,
        units: int = 32,
        wiring: dict[str, Any] | None = None,
        ode_unfolds: int = 6,
        epsilon: float = 1e-8,
    ):
        if wiring is None:
            wiring = full_wiring(units, obs_dim, output_dim=obs_dim).config()
        super().__init__(
            obs_dim, {"wiring": wiring, "ode_unfolds": int(ode_unfolds), "epsilon": epsilon}
        )
        if int(ode_unfolds) < 1:
            raise ValueError(f"ode_unfolds must be a positive integer, got {ode_unfolds}")
        self.wiring = Wiring.from_config(wiring)
        if self.wiring.input_dim != self.obs_dim or self.wiring.output_dim > self.wiring.units:
            raise ValueError(
                f"the wiring needs input_dim = obs_dim = {self.obs_dim}, "
                f"got {self.wiring.input_dim}"
            )
        self.units = self.wiring.units
        self.output_dim = self.wiring.output_dim
        self.state_dim = self.units
        self.ode_unfolds = int(ode_unfolds)
        self.epsilon = float(epsilon)
        n, m = self.units, self.obs_dim

        def uniform(name: str, *shape: int) -> nn.Parameter:
            lo, hi = _INIT_RANGES[name]
            return nn.Parameter(torch.rand(*shape) * (hi - lo) + lo)

        self.gleak = uniform("gleak", n)
        self.vleak = uniform("vleak", n)
        self.cm = uniform("cm", n)
        self.sigma = uniform("sigma", n, n)
        self.mu = uniform("mu", n, n)
        self.w = uniform("w", n, n)
        self.erev = nn.Parameter(torch.tensor(self.wiring.adjacency, dtype=torch.float32))
        self.sensory_sigma = uniform("sensory_sigma", m, n)
        self.sensory_mu = uniform("sensory_mu", m, n)
        self.sensory_w = uniform("sensory_w", m, n)
        self.sensory_erev = nn.Parameter(
            torch.tensor(self.wiring.sensory_adjacency, dtype=torch.float32)
        )
        self.register_buffer("mask", torch.tensor(self.wiring.mask, dtype=torch.float32))
        self.register_buffer(
            "sensory_mask", torch.tensor(self.wiring.sensory_mask, dtype=torch.float32)
        )
        self.input_w = nn.Parameter(torch.ones(m))
        self.input_b = nn.Parameter(torch.zeros(m))
        self.output_w = nn.Parameter(torch.ones(self.output_dim))
        self.output_b = nn.Parameter(torch.zeros(self.output_dim))

    def project_input(self, x: torch.Tensor) -> torch.Tensor:
        """Input-synapse numerator and denominator ``[sum ws ss Es, sum ws ss]``
        (``(..., 2 units)``), which do not change during the unfolds."""
        u = x * self.input_w + self.input_b
        gate = torch.sigmoid(self.sensory_sigma * (u.unsqueeze(-1) - self.sensory_mu))
        active = softplus(self.sensory_w) * self.sensory_mask * gate
        return torch.cat([(active * self.sensory_erev).sum(-2), active.sum(-2)], dim=-1)

    def prepare(self) -> tuple[torch.Tensor, ...]:
        """Constrained and masked synapse tensors ``[src, dest]``, computed once per sequence."""
        w = softplus(self.w) * self.mask
        gleak = softplus(self.gleak)
        offset = -(self.sigma * self.mu)
        return self.sigma, offset, w * self.erev, w, gleak * self.vleak, gleak, softplus(self.cm)

    def step(
        self, p: torch.Tensor, h: torch.Tensor, dt: torch.Tensor | float = 1.0, prepared: Any = None
    ) -> torch.Tensor:
        sigma, offset, w_erev, w, leak_num, gleak, cm = prepared or self.prepare()
        cm_t = cm * (self.ode_unfolds / dt)
        sensory_num, sensory_den = p[:, : self.units], p[:, self.units :]
        base_num = leak_num + sensory_num
        base_den = cm_t + gleak + sensory_den + self.epsilon
        v = h
        for _ in range(self.ode_unfolds):
            gate = torch.sigmoid(torch.addcmul(offset, v.unsqueeze(-1), sigma))
            numerator = torch.addcmul(base_num, cm_t, v) + (gate * w_erev).sum(1)
            v = numerator / (base_den + (gate * w).sum(1))
        return v

    def observe(self, h: torch.Tensor) -> torch.Tensor:
        return h[..., : self.output_dim] * self.output_w + self.output_b
