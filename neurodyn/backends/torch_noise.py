"""The counter-based normals of :mod:`neurodyn.models.noise` and the noisy, driven map step, in
torch (CPU or CUDA).

Philox4x64-10 is written with int64 tensor operations that give the bits of the uint64
arithmetic of the numba code: additions and products wrap modulo 2**64 in two's complement
alike, the high half of a 64 x 64-bit product is assembled from 32-bit halves as there, and
right shifts are made logical by masking. The Box–Muller transform then runs in float64 on the
same 53-bit uniforms, so the normals equal numba's up to the rounding of ``log``, ``sqrt``,
``cos`` and ``sin`` (torch's against the C library's, both within an ulp; measured in the
tests). The step is :func:`neurodyn.models.noise.drive_step`'s, in the same order of
operations.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..models.drive import Drive

__all__ = ["DriveStep", "philox4x64", "standard_normals"]

_M0 = 0xD2E7470EE14C6C93
_M1 = 0xCA5A826395121157
_W0 = 0x9E3779B97F4A7C15
_W1 = 0xBB67AE8584CAA73B
_MASK32 = 0xFFFFFFFF
_U64 = 1 << 64


def _signed(value: int) -> int:
    """The int64 with the bits of the uint64 ``value``."""
    value %= _U64
    return value - _U64 if value >= 1 << 63 else value


def _shr(x: torch.Tensor, k: int) -> torch.Tensor:
    """Logical right shift of int64 ``x`` by ``k`` bits (as for a uint64)."""
    return (x >> k) & ((1 << (64 - k)) - 1)


def _mulhilo(a: int, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """High and low 64-bit halves of the 128-bit product of the uint64 constant ``a`` and the
    uint64 bits held in ``b``."""
    a_lo, a_hi = a & _MASK32, a >> 32
    b_lo, b_hi = b & _MASK32, _shr(b, 32)
    lo_lo = a_lo * b_lo
    hi_lo = a_hi * b_lo
    lo_hi = a_lo * b_hi
    hi_hi = a_hi * b_hi
    cross = _shr(lo_lo, 32) + (hi_lo & _MASK32) + lo_hi
    hi = hi_hi + _shr(hi_lo, 32) + _shr(cross, 32)
    return hi, b * _signed(a)


def philox4x64(
    c0: torch.Tensor, c1: torch.Tensor, c2: torch.Tensor, c3: torch.Tensor, k0: int, k1: int
) -> tuple[torch.Tensor, ...]:
    """Philox4x64-10 of the counters (int64 tensors holding uint64 bits, broadcast together)
    under the key ``(k0, k1)`` (Python ints in [0, 2**64)); the four outputs as int64 bits."""
    c0, c1, c2, c3 = torch.broadcast_tensors(c0, c1, c2, c3)
    for r in range(10):
        key0, key1 = _signed(k0 + r * _W0), _signed(k1 + r * _W1)
        hi0, lo0 = _mulhilo(_M0, c0)
        hi1, lo1 = _mulhilo(_M1, c2)
        c0, c1, c2, c3 = hi1 ^ c1 ^ key0, lo1, hi0 ^ c3 ^ key1, lo0
    return c0, c1, c2, c3


def standard_normals(
    seed: int,
    stream: int,
    step: int,
    points: torch.Tensor,
    ics: torch.Tensor,
    channels: int,
) -> torch.Tensor:
    """Standard normals (channels, batch), float64: column ``i`` holds channels ``0 ..
    channels - 1`` of ``(points[i], ics[i])`` at ``step`` -- the numbers of
    :func:`neurodyn.models.noise.fill_normals`."""
    scale = 2.0**-53
    rows = []
    step_bits = torch.full_like(points, _signed(step))
    for block in range((channels + 3) // 4):
        bits = philox4x64(step_bits, points, torch.full_like(points, block), ics, seed, stream)
        for pair in (0, 2):
            u_open = (_shr(bits[pair], 11).to(torch.float64) + 1.0) * scale
            u = _shr(bits[pair + 1], 11).to(torch.float64) * scale
            rad = torch.sqrt(-2.0 * torch.log(u_open))
            angle = (2.0 * math.pi) * u
            rows += [rad * torch.cos(angle), rad * torch.sin(angle)]
    return torch.stack(rows[:channels])


class DriveStep:
    """``step(X, P, t) -> X'``: iteration ``t + 1`` (``t`` counted from 0 over transient and
    steps) of the noisy, driven map with the equations ``equations(X, P)``, as
    :func:`neurodyn.models.noise.drive_step` computes it."""

    def __init__(self, equations, drive: Drive, like: torch.Tensor) -> None:
        self.equations = equations
        options = {"dtype": like.dtype, "device": like.device}
        self.G = torch.as_tensor(drive.state_noise, **options)
        self.H = torch.as_tensor(drive.parameter_noise, **options)
        self.A = torch.as_tensor(drive.input_amplitude, **options)
        self.U = torch.as_tensor(drive.input_series, **options)
        signed = drive.points.astype(np.uint64).view(np.int64)
        self.points = torch.as_tensor(signed, device=like.device)
        self.ics = torch.as_tensor(drive.ics.astype(np.uint64).view(np.int64), device=like.device)
        self.seed, self.stream = int(drive.seed), int(drive.stream)
        self.parameter_noise = bool(np.any(drive.parameter_noise != 0.0))
        self.n_state = drive.state_noise.shape[0]
        self.channels = self.n_state + (drive.parameter_noise.shape[0] * self.parameter_noise)

    def __call__(self, X: torch.Tensor, P: torch.Tensor, t: int) -> torch.Tensor:
        n = self.n_state
        xi = standard_normals(self.seed, self.stream, t + 1, self.points, self.ics, self.channels)
        xi = xi.to(X.dtype)
        if self.parameter_noise:
            P = P + self.H * xi[n:]
        u = self.U[t if self.U.shape[0] > 1 else 0]
        return self.equations(X, P) + self.G * xi[:n] + self.A * u[:, None]
