"""Closed-form continuous-time network, CfC (Hasani et al., Nat. Mach. Intell. 4, 992 (2022)).

With ``z = backbone([x, h])`` (``backbone_layers`` dense layers with LeCun's tanh,
``1.7159 tanh(0.666 a)``, or ``z = [x, h]`` without a backbone) and linear heads
``f = ff1(z), g = ff2(z), t_a, t_b``, one step of elapsed time ``dt`` gives:

* ``default``: ``h' = tanh(f) (1 - s) + s tanh(g)``, ``s = sigmoid(t_a dt + t_b)`` (the paper's
  eq. 10, the gated CfC);
* ``no_gate``: ``h' = tanh(f) + s tanh(g)``;
* ``pure``: ``h' = A - A f exp(-dt (|w_tau| + |f|))``, the paper's eq. 2 as ncps implements it:
  the exact solution at time ``dt`` of the linear relaxation ``dx/dt = -(|w_tau| + |f|) (x - A)``
  from ``x(0) = A (1 - f)``, with ``f`` held at its value for ``(x, h)``.

The prediction is a linear readout of the state (of the wiring's first ``output_dim`` neurons
when wired). A sparse ``wiring`` (no backbone) masks the ``ff1`` and ``ff2`` heads with its input
and recurrent synapses. The four heads are one fused matrix product, and the input part of the
first layer is computed for a whole sequence at once. Parameter layout and initialisation
(Xavier-uniform weights) follow ncps' ``CfCCell`` (Lechner & Hasani).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from .base import SequenceModel
from .wiring import Wiring

__all__ = ["CfC"]

_MODES = ("default", "no_gate", "pure")
# scale and slope of the activations ``scale tanh(slope a)`` with a fused sequence pass
_TANH_ACTIVATIONS = {"lecun_tanh": (1.7159, 0.666), "tanh": (1.0, 1.0)}


class _LeCunTanh(torch.autograd.Function):
    """``1.7159 tanh(0.666 a)`` (LeCun et al., Efficient BackProp, 1998) as one graph node."""

    @staticmethod
    def forward(ctx, a: torch.Tensor) -> torch.Tensor:
        t = torch.tanh(0.666 * a)
        ctx.save_for_backward(t)
        return 1.7159 * t

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        (t,) = ctx.saved_tensors
        return grad * (1.7159 * 0.666) * (1.0 - t * t)


class _GatedUpdate(torch.autograd.Function):
    """``h' = tanh(f) + s (tanh(g) - gated tanh(f))``, ``s = sigmoid(t_a dt + t_b)``, from the
    stacked head pre-activations ``z = [f, g, t_a, t_b]`` (``(batch, 4 units)``), as one graph
    node (``gated`` is 1 for the default mode and 0 for no_gate). ``dt`` gets no gradient."""

    @staticmethod
    def forward(ctx, z: torch.Tensor, dt: torch.Tensor | float, gated: float) -> torch.Tensor:
        f, g, t_a, t_b = z.chunk(4, dim=1)
        tf, tg = torch.tanh(f), torch.tanh(g)
        s = torch.sigmoid(t_a * dt + t_b)
        ctx.save_for_backward(tf, tg, s, torch.as_tensor(dt, dtype=z.dtype, device=z.device))
        ctx.gated = gated
        return tf + s * (tg - gated * tf)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        tf, tg, s, dt = ctx.saved_tensors
        grad_f = grad * (1.0 - ctx.gated * s) * (1.0 - tf * tf)
        grad_g = grad * s * (1.0 - tg * tg)
        grad_b = grad * (tg - ctx.gated * tf) * s * (1.0 - s)
        return torch.cat([grad_f, grad_g, grad_b * dt, grad_b], dim=1), None, None


class _GatedSequence(torch.autograd.Function):
    """A whole sequence of gated CfC steps as one graph node with an analytic backward pass.

    Inputs: the projected inputs ``(batch, T, k)`` (the input part of the first layer, bias
    included), the initial state ``(batch, n)``, the recurrent part of the first layer
    ``(n, k)``, the head weight ``(k, 4 n)`` and bias (both None without a backbone, the first
    layer then being the heads), the elapsed times ``(batch, T, 1)``, ``gated`` (1 default, 0
    no_gate) and the backbone activation ``scale tanh(slope a)``. Output: the states after each
    step ``(batch, T, n)``. The backward pass runs only the two matrix products per step that
    carry the gradient back in time; the weight gradients are one matrix product each over all
    steps, and the head derivatives are computed for all steps at once.
    """

    @staticmethod
    def forward(
        ctx,
        projected: torch.Tensor,
        h0: torch.Tensor,
        recurrent: torch.Tensor,
        head_weight: torch.Tensor | None,
        head_bias: torch.Tensor | None,
        dt: torch.Tensor,
        gated: float,
        scale: float,
        slope: float,
    ) -> torch.Tensor:
        batch, length, width = projected.shape
        n = h0.shape[1]
        like = {"dtype": h0.dtype, "device": h0.device}
        states = torch.empty(length + 1, batch, n, **like)
        states[0] = h0
        heads = torch.empty(length, batch, 3 * n, **like)  # tanh(f), tanh(g), s
        acts = None if head_weight is None else torch.empty(length, batch, width, **like)
        scaled = None if head_weight is None else head_weight * scale
        for t in range(length):
            z = torch.addmm(projected[:, t], states[t], recurrent)
            if scaled is not None:
                a = torch.tanh(z.mul_(slope), out=acts[t])
                z = torch.addmm(head_bias, a, scaled)
            torch.tanh(z[:, : 2 * n], out=heads[t, :, : 2 * n])
            s = torch.addcmul(z[:, 3 * n :], z[:, 2 * n : 3 * n], dt[:, t])
            torch.sigmoid(s, out=heads[t, :, 2 * n :])
            tf, tg, s = heads[t].chunk(3, dim=1)
            torch.addcmul(tf, s, tg - gated * tf, out=states[t + 1])
        ctx.save_for_backward(recurrent, scaled, dt, states, heads, acts)
        ctx.constants = (gated, scale, slope)
        return states[1:].transpose(0, 1).contiguous()

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        recurrent, scaled, dt, states, heads, acts = ctx.saved_tensors
        gated, scale, slope = ctx.constants
        length, batch, n = heads.shape[0], heads.shape[1], heads.shape[2] // 3
        tf, tg, s = heads.chunk(3, dim=2)
        g_b = (tg - gated * tf) * s * (1.0 - s)
        # d(state)/d[f, g, t_a, t_b], for all steps at once: (T, batch, 4, n)
        slopes = torch.stack(
            [
                (1.0 - gated * s) * (1.0 - tf * tf),
                s * (1.0 - tg * tg),
                g_b * dt.transpose(0, 1),
                g_b,
            ],
            dim=2,
        )
        g_z = torch.empty_like(slopes)
        if scaled is not None:
            act_slopes = (1.0 - acts * acts) * slope
            g_first = torch.empty_like(acts)
        else:
            g_first = g_z.view(length, batch, 4 * n)
        g_h = torch.zeros_like(states[0])
        for t in reversed(range(length)):
            g_h = g_h + grad[:, t]
            z = torch.mul(slopes[t], g_h.unsqueeze(1), out=g_z[t]).view(batch, 4 * n)
            if scaled is not None:
                torch.mm(z, scaled.T, out=g_first[t]).mul_(act_slopes[t])
            g_h = torch.mm(g_first[t], recurrent.T)
        g_first_flat = g_first.reshape(length * batch, -1)
        g_recurrent = states[:-1].reshape(length * batch, n).T @ g_first_flat
        g_head_weight = g_head_bias = None
        if scaled is not None:
            g_z_flat = g_z.view(length * batch, 4 * n)
            g_head_weight = (acts.view(length * batch, -1).T @ g_z_flat).mul_(scale)
            g_head_bias = g_z_flat.sum(0)
        return (
            g_first.transpose(0, 1),
            g_h,
            g_recurrent,
            g_head_weight,
            g_head_bias,
            None,
            None,
            None,
            None,
        )


_ACTIVATIONS = {
    "lecun_tanh": _LeCunTanh.apply,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "silu": nn.functional.silu,
    "gelu": nn.functional.gelu,
}


class CfC(SequenceModel):
    """Closed-form continuous-time network (see the module docstring)."""

    kind = "cfc"
    source = (
        "R. Hasani et al., Closed-form continuous-time neural networks, "
        "Nat. Mach. Intell. 4, 992-1003 (2022)"
    )

    def __init__(
        self,
        obs_dim: int,
        units: int = 32,
        mode: str = "default",
        backbone_units: int = 128,
        backbone_layers: int = 1,
        activation: str = "lecun_tanh",
        wiring: dict[str, Any] | None = None,
    ):
        super().__init__(
            obs_dim,
            {
                "units": int(units),
                "mode": mode,
                "backbone_units": int(backbone_units),
                "backbone_layers": int(backbone_layers),
                "activation": activation,
                "wiring": wiring,
            },
        )
        if mode not in _MODES:
            raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {tuple(_ACTIVATIONS)}, got {activation!r}")
        self.wiring = None if wiring is None else Wiring.from_config(wiring)
        if self.wiring is not None:
            if backbone_layers != 0:
                raise ValueError("a wired CfC has no backbone: set backbone_layers=0")
            if self.wiring.input_dim != self.obs_dim:
                raise ValueError(f"the wiring needs input_dim = obs_dim = {self.obs_dim}")
            units = self.wiring.units
        self.units = self.state_dim = int(units)
        self.mode = mode
        self.activation = _ACTIVATIONS[activation]
        width = self.obs_dim + self.units
        self.backbone = nn.ModuleList()
        for layer in range(int(backbone_layers)):
            self.backbone.append(nn.Linear(width if layer == 0 else backbone_units, backbone_units))
        head_in = backbone_units if backbone_layers > 0 else width
        self.n_heads = 1 if mode == "pure" else 4
        self.heads = nn.Linear(head_in, self.n_heads * self.units)
        if mode == "pure":
            self.w_tau = nn.Parameter(torch.zeros(1, self.units))
            self.A = nn.Parameter(torch.ones(1, self.units))
        for weight in [layer.weight for layer in self.backbone]:
            nn.init.xavier_uniform_(weight)
        for block in self.heads.weight.data.split(self.units):
            nn.init.xavier_uniform_(block)
        mask = torch.ones(self.n_heads * self.units, head_in)
        if self.wiring is not None:
            synapses = torch.tensor(self.wiring.sensory_mask.tolist() + self.wiring.mask.tolist())
            mask[: min(2, self.n_heads) * self.units] = synapses.T.repeat(min(2, self.n_heads), 1)
        self.register_buffer("head_mask", mask)
        self.n_out = self.units if self.wiring is None else self.wiring.output_dim
        self.readout = nn.Linear(self.n_out, self.obs_dim)

    def _first(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Weight and bias of the first layer that sees ``[x, h]``."""
        if self.backbone:
            return self.backbone[0].weight, self.backbone[0].bias
        return self.heads.weight * self.head_mask, self.heads.bias

    def project_input(self, x: torch.Tensor) -> torch.Tensor:
        weight, bias = self._first()
        return nn.functional.linear(x, weight[:, : self.obs_dim], bias)

    def prepare(self) -> tuple[torch.Tensor, torch.Tensor]:
        weight, _ = self._first()
        return weight[:, self.obs_dim :].T.contiguous(), (self.heads.weight * self.head_mask).T

    def step(
        self, p: torch.Tensor, h: torch.Tensor, dt: torch.Tensor | float = 1.0, prepared: Any = None
    ) -> torch.Tensor:
        recurrent, head_weight = prepared or self.prepare()
        z = torch.addmm(p, h, recurrent)
        if self.backbone:
            z = self.activation(z)
            for layer in self.backbone[1:]:
                z = self.activation(layer(z))
            z = torch.addmm(self.heads.bias, z, head_weight)
        if self.mode == "pure":
            return self.A - self.A * z * torch.exp(-dt * (self.w_tau.abs() + z.abs()))
        return _GatedUpdate.apply(z, dt, 0.0 if self.mode == "no_gate" else 1.0)

    def forward(
        self,
        inputs: torch.Tensor,
        dt: torch.Tensor | float = 1.0,
        h0: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Fully forced run as :meth:`SequenceModel.forward`; the gated modes with at most one
        tanh-type backbone layer run the whole sequence as one graph node."""
        activation = self._config["activation"]
        if self.mode == "pure" or len(self.backbone) > 1 or activation not in _TANH_ACTIVATIONS:
            return super().forward(inputs, dt, h0)
        batch, length, _ = inputs.shape
        h = self.initial_state(batch) if h0 is None else h0
        recurrent, head_weight = self.prepare()
        elapsed = torch.as_tensor(dt, dtype=inputs.dtype, device=inputs.device)
        elapsed = elapsed.reshape(-1, elapsed.shape[-1] if elapsed.ndim == 2 else 1, 1)
        states = _GatedSequence.apply(
            self.project_input(inputs),
            h,
            recurrent,
            head_weight if self.backbone else None,
            self.heads.bias if self.backbone else None,
            elapsed.expand(batch, length, 1),
            0.0 if self.mode == "no_gate" else 1.0,
            *_TANH_ACTIVATIONS[activation],
        )
        return self.observe(states), states[:, -1]

    def observe(self, h: torch.Tensor) -> torch.Tensor:
        return self.readout(h[..., : self.n_out])
