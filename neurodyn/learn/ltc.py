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


class _FusedUnfolds(torch.autograd.Function):
    """All fused solver steps of a sequence as one graph node with an analytic backward pass.

    Inputs: ``base_num = gleak vleak + sum ws ss Es`` and ``base_den = cm_t + gleak + sum ws ss
    + epsilon`` ``(batch, T, n)``, ``cm_t = cm ode_unfolds / dt`` (broadcastable to them), the
    initial state ``(batch, n)``, ``sigma`` and ``offset`` ``(n_dest, n_src)`` and ``weights =
    [w E, w]`` ``(n_dest, 2, n_src)``; output: the states after each step ``(batch, T, n)``.
    One unfold is ``v <- (base_num + cm_t v + r_0) / (base_den + r_1)`` with ``r_k[i] = sum_j
    weights[i, k, j] s[i, j]``, ``s[i, j] = sigmoid(sigma[i, j] v[j] + offset[i, j])``; the
    gates are laid out ``(n_dest, batch, n_src)`` so that both sums are one batched matrix
    product. The backward pass recomputes the gates of a step (for all its unfolds at once) from
    the saved states and defers the reductions of the synapse gradients to the end.
    """

    @staticmethod
    def forward(
        ctx,
        base_num: torch.Tensor,
        base_den: torch.Tensor,
        cm_t: torch.Tensor,
        h0: torch.Tensor,
        sigma: torch.Tensor,
        offset: torch.Tensor,
        weights: torch.Tensor,
        unfolds: int,
    ) -> torch.Tensor:
        batch, length, n = base_num.shape
        cm = cm_t.expand(batch, length, n)
        # sums[t, u] = [base_num + r_0, base_den + r_1] as (n, 2, batch) before unfold u
        base = torch.stack([base_num, base_den], dim=2).permute(1, 3, 2, 0)
        sums = torch.empty(length, unfolds, n, 2, batch, dtype=h0.dtype, device=h0.device)
        # v[k] is the state before unfold k (k = t unfolds + u); v[-1] the final state
        v = torch.empty(length * unfolds + 1, batch, n, dtype=h0.dtype, device=h0.device)
        v[0] = h0
        gate = torch.empty(n, batch, n, dtype=h0.dtype, device=h0.device)
        sigma_b, offset_b = sigma.unsqueeze(1), offset.unsqueeze(1)
        # views made once: per unfold k its sums slot and their (batch, n) transposes
        slots = sums.view(length * unfolds, n, 2, batch)
        numerators = slots[:, :, 0].transpose(1, 2).unbind(0)
        denominators = slots[:, :, 1].transpose(1, 2).unbind(0)
        states, slots, bases, cms = v.unbind(0), slots.unbind(0), base.unbind(0), cm.unbind(1)
        for t in range(length):
            for u in range(unfolds):
                k = t * unfolds + u
                torch.addcmul(offset_b, states[k], sigma_b, out=gate)
                gate.sigmoid_()
                torch.baddbmm(bases[t], weights, gate.transpose(1, 2), out=slots[k])
                numerator = torch.addcmul(numerators[k], cms[t], states[k])
                torch.div(numerator, denominators[k], out=states[k + 1])
        ctx.save_for_backward(cm_t, sigma, offset, weights, v, sums)
        ctx.unfolds = unfolds
        return v[unfolds::unfolds].transpose(0, 1).contiguous()

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        cm_t, sigma, offset, weights, v, sums = ctx.saved_tensors
        unfolds = ctx.unfolds
        length, _, n, _, batch = sums.shape
        cm = cm_t.expand(batch, length, n)
        like = {"dtype": v.dtype, "device": v.device}
        # per unfold of a step: [g_num, g_num v_out] (n, batch, 2), the denominator's gradient
        # being minus the second entry, and the gradients of the gates, then of their
        # pre-activations (n, batch, n)
        g_sums = torch.empty(unfolds, n, batch, 2, **like)
        g_pre = torch.empty(unfolds, n, batch, n, **like)
        g_base = torch.empty(length, n, batch, 2, **like)
        g_cm = torch.empty(length, batch, n, **like)
        g_weights = torch.zeros(n, 2, n, **like)
        g_sigma = torch.zeros(unfolds, n, batch, n, **like)
        g_offset = torch.zeros(unfolds, n, batch, n, **like)
        signed = weights * torch.tensor([1.0, -1.0], **like).view(1, 2, 1)
        sigma_s, offset_s = sigma.view(1, n, 1, n), offset.view(1, n, 1, n)
        g_v = torch.zeros(batch, n, **like)
        # views made once (see forward)
        states = v.unbind(0)
        denominators = sums[:, :, :, 1].reshape(-1, n, batch).transpose(1, 2).unbind(0)
        g_nums = g_sums[..., 0].transpose(1, 2).unbind(0)
        g_nvs = g_sums[..., 1].transpose(1, 2).unbind(0)
        g_sums_u, g_pre_u, grads, cms = (
            g_sums.unbind(0),
            g_pre.unbind(0),
            grad.unbind(1),
            cm.unbind(1),
        )
        for t in reversed(range(length)):
            g_v = g_v + grads[t]
            v_in = v[t * unfolds : (t + 1) * unfolds]
            gates = torch.addcmul(offset_s, v_in.unsqueeze(1), sigma_s).sigmoid_()
            slopes = torch.addcmul(gates, gates, gates, value=-1.0)
            sigma_slopes = (slopes * sigma_s).unbind(0)
            gates_u = gates.unbind(0)
            for u in reversed(range(unfolds)):
                k = t * unfolds + u
                g_num = torch.div(g_v, denominators[k], out=g_nums[u])
                torch.mul(g_num, states[k + 1], out=g_nvs[u])
                g_gate = torch.bmm(g_sums_u[u], signed, out=g_pre_u[u])
                g_v = torch.addcmul((g_gate * sigma_slopes[u]).sum(0), g_num, cms[t])
                g_weights.baddbmm_(g_sums_u[u].transpose(1, 2), gates_u[u])
            g_pre.mul_(slopes)
            g_sigma.addcmul_(g_pre, v_in.unsqueeze(1))
            g_offset.add_(g_pre)
            torch.sum(g_sums, 0, out=g_base[t])
            torch.sum(g_sums[..., 0].transpose(1, 2) * v_in, 0, out=g_cm[t])
        g_base[..., 1].neg_()
        g_weights[:, 1].neg_()
        g_base_num, g_base_den = g_base.permute(2, 0, 1, 3).unbind(-1)
        g_cm_t = g_cm.transpose(0, 1).sum_to_size(cm_t.shape)
        return (
            g_base_num,
            g_base_den,
            g_cm_t,
            g_v,
            g_sigma.sum((0, 2)),
            g_offset.sum((0, 2)),
            g_weights,
            None,
        )


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
        """Constrained and masked synapse tensors, computed once per sequence: ``sigma`` and
        ``offset = -sigma mu`` as ``[dest, src]``, the stacked weights ``[w E, w]`` as
        ``[dest, 2, src]``, the leak numerator ``gleak vleak``, ``gleak + epsilon`` and ``cm``."""
        w = softplus(self.w) * self.mask
        gleak = softplus(self.gleak)
        weights = torch.stack([w * self.erev, w]).permute(2, 0, 1).contiguous()
        return (
            self.sigma.T.contiguous(),
            -(self.sigma * self.mu).T.contiguous(),
            weights,
            gleak * self.vleak,
            gleak + self.epsilon,
            softplus(self.cm),
        )

    def _run(
        self,
        p: torch.Tensor,
        h: torch.Tensor,
        dt: torch.Tensor | float,
        prepared: tuple[torch.Tensor, ...],
    ) -> torch.Tensor:
        """States ``(batch, T, units)`` after each of the ``T`` steps driven by the projected
        inputs ``p`` ``(batch, T, 2 units)`` from ``h``; ``dt`` a number, a ``(batch, T)``
        tensor or a 0-d tensor."""
        sigma, offset, weights, leak_num, leak_den, cm = prepared
        if isinstance(dt, torch.Tensor) and dt.ndim == 2:
            cm_t = cm * (self.ode_unfolds / dt).unsqueeze(-1)
        else:
            cm_t = cm * (self.ode_unfolds / dt)
        base_num = leak_num + p[..., : self.units]
        base_den = (leak_den + p[..., self.units :]) + cm_t
        return _FusedUnfolds.apply(
            base_num, base_den, cm_t, h, sigma, offset, weights, self.ode_unfolds
        )

    def step(
        self, p: torch.Tensor, h: torch.Tensor, dt: torch.Tensor | float = 1.0, prepared: Any = None
    ) -> torch.Tensor:
        return self._run(p.unsqueeze(1), h, dt, prepared or self.prepare())[:, 0]

    def forward(
        self,
        inputs: torch.Tensor,
        dt: torch.Tensor | float = 1.0,
        h0: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Fully forced run as :meth:`SequenceModel.forward`, all steps in one graph node."""
        h = self.initial_state(inputs.shape[0]) if h0 is None else h0
        states = self._run(self.project_input(inputs), h, dt, self.prepare())
        return self.observe(states), states[:, -1]

    def observe(self, h: torch.Tensor) -> torch.Tensor:
        return h[..., : self.output_dim] * self.output_w + self.output_b
