"""The Kuramoto–Sivashinsky equation by exponential time differencing (ETDRK4).

    u_t = -u u_x - u_xx - u_xxxx,    x in [0, L), periodic

is stiff (the fourth derivative), and its natural discretisation is spectral: in Fourier space
``v_t = (q**2 - q**4) v - (i q / 2) F[u**2]`` with wavenumbers ``q = 2 pi k / L``. ETDRK4 (Cox &
Matthews, J. Comput. Phys. 176, 430-455 (2002)) integrates the linear part exactly and the
nonlinear part to fourth order; its coefficients are evaluated by contour integrals in the
complex plane as in Kassam & Trefethen, SIAM J. Sci. Comput. 26, 1214-1233 (2005), which
avoids the cancellation of the naive formulas. No equation grammar can say this, so this is a
hand-written integrator (numpy FFTs, batched over initial conditions).

Conventions: ``n`` grid points ``x_j = j L / n``; the mean of ``u`` is conserved exactly; the
2/3-rule is not applied (as in Kassam & Trefethen). ``L = 22`` is the common chaotic benchmark
(largest Lyapunov exponent about 0.043; Cvitanović, Davidchack & Siminos 2010); Kassam &
Trefethen use ``L = 32 pi`` with ``u0 = cos(x/16) (1 + sin(x/16))``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import xarray as xr

from ..provenance import provenance
from ..run_lengths import time_window

__all__ = ["KuramotoSivashinsky", "ks_trajectory"]

KS_SOURCE = (
    "Y. Kuramoto, T. Tsuzuki, Prog. Theor. Phys. 55, 356 (1976); G. I. Sivashinsky, Acta "
    "Astronaut. 4, 1177 (1977); ETDRK4: Cox & Matthews (2002), Kassam & Trefethen (2005)"
)


@dataclass(frozen=True)
class KuramotoSivashinsky:
    """ETDRK4 stepper for domain length ``length``, ``n`` grid points and step ``dt``."""

    length: float = 22.0
    n: int = 64
    dt: float = 0.25
    contour_points: int = 32

    def __post_init__(self):
        if self.n < 4 or self.n % 2:
            raise ValueError(f"n must be an even number >= 4, not {self.n}")
        if not (self.length > 0 and self.dt > 0):
            raise ValueError("length and dt must be positive")

    @property
    def x(self) -> np.ndarray:
        return np.arange(self.n) * self.length / self.n

    @cached_property
    def _coefficients(self) -> dict[str, np.ndarray]:
        q = 2 * np.pi * np.fft.rfftfreq(self.n, d=self.length / self.n)
        linear = q**2 - q**4
        h = self.dt
        E = np.exp(h * linear)
        E2 = np.exp(h * linear / 2)
        roots = np.exp(
            1j * np.pi * (np.arange(1, self.contour_points + 1) - 0.5) / self.contour_points
        )
        LR = h * linear[:, None] + roots[None, :]
        Q = h * np.real(np.mean((np.exp(LR / 2) - 1) / LR, axis=1))
        f1 = h * np.real(np.mean((-4 - LR + np.exp(LR) * (4 - 3 * LR + LR**2)) / LR**3, axis=1))
        f2 = h * np.real(np.mean((2 + LR + np.exp(LR) * (-2 + LR)) / LR**3, axis=1))
        f3 = h * np.real(np.mean((-4 - 3 * LR - LR**2 + np.exp(LR) * (4 - LR)) / LR**3, axis=1))
        g = -0.5j * q
        g[-1] = 0.0  # the Nyquist mode has no odd derivative
        return {"E": E, "E2": E2, "Q": Q, "f1": f1, "f2": f2, "f3": f3, "g": g}

    def _nonlinear(self, v: np.ndarray) -> np.ndarray:
        c = self._coefficients
        u = np.fft.irfft(v, n=self.n, axis=-1)
        return c["g"] * np.fft.rfft(u * u, axis=-1)

    def step(self, v: np.ndarray) -> np.ndarray:
        """One ETDRK4 step of the Fourier coefficients ``v`` (..., n//2 + 1)."""
        c = self._coefficients
        Nv = self._nonlinear(v)
        a = c["E2"] * v + c["Q"] * Nv
        Na = self._nonlinear(a)
        b = c["E2"] * v + c["Q"] * Na
        Nb = self._nonlinear(b)
        cc = c["E2"] * a + c["Q"] * (2 * Nb - Nv)
        Nc = self._nonlinear(cc)
        return c["E"] * v + Nv * c["f1"] + 2 * (Na + Nb) * c["f2"] + Nc * c["f3"]

    def run(self, u0: np.ndarray, steps: int, every: int = 1, skip: int = 0) -> np.ndarray:
        """States ``u`` (n_out, ..., n) after steps ``skip + every, skip + 2 every, ...``."""
        v = np.fft.rfft(np.asarray(u0, dtype=np.float64), axis=-1)
        out = []
        for t in range(1, steps + 1):
            v = self.step(v)
            if t > skip and (t - skip) % every == 0:
                out.append(np.fft.irfft(v, n=self.n, axis=-1))
        return np.array(out)


def ks_trajectory(
    length: float = 22.0,
    n: int = 64,
    *,
    duration: float,
    dt: float = 0.25,
    initial: np.ndarray | None = None,
    seed: int = 0,
    transient: float | None = None,
    transient_time: float = 0.0,
    every: int = 1,
) -> xr.Dataset:
    """Kuramoto–Sivashinsky trajectory ``u(time, x)`` (or ``(ic, time, x)`` for several initial
    states given as rows of ``initial``). Default initial state: a small random field
    (``0.1 * normal`` from ``numpy.random.default_rng(seed)``, mean removed). ``duration``
    time units are recorded after ``transient_time`` ones (:mod:`neurodyn.run_lengths`)."""
    transient, duration = time_window(
        duration, transient, transient_time, where="ks_trajectory()"
    )
    solver = KuramotoSivashinsky(length, n, dt)
    if initial is None:
        u0 = 0.1 * np.random.default_rng(seed).normal(size=n)
        u0 -= u0.mean()
    else:
        u0 = np.asarray(initial, dtype=np.float64)
        if u0.shape[-1] != n:
            raise ValueError(f"initial states need {n} grid values")
    steps = int(round(duration / dt))
    skip = int(round(transient / dt))
    if steps < 1 or not 0 <= skip < steps or every < 1:
        raise ValueError("need duration >= dt, 0 <= transient < duration and every >= 1")
    n_out = (steps - skip) // every
    u = solver.run(u0, skip + n_out * every, every, skip)
    time = (skip + every * np.arange(1, n_out + 1)) * dt
    if u0.ndim == 1:
        dims, values = ("time", "x"), u
    else:
        dims, values = ("ic", "time", "x"), np.moveaxis(u, 0, -2)
    attrs = {
        "model": "kuramoto_sivashinsky",
        "equations": "u_t = -u u_x - u_xx - u_xxxx, periodic on [0, L)",
        "model_source": KS_SOURCE,
        "length": length,
        "n_grid": n,
        "dt": dt,
        "integrator": "etdrk4",
        "transient": skip * dt,
        "every": every,
        "seed": seed,
        **provenance(),
    }
    return xr.Dataset({"u": (dims, values)}, coords={"time": time, "x": solver.x}, attrs=attrs)
