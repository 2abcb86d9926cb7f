"""Large populations of Kuramoto phase oscillators (all-to-all by the mean field, or on a
network by two matrix products per stage), batched over coupling strengths.

    dtheta_i/dt = omega_i + K c_i sum_j A_ij sin(theta_j - theta_i)

With ``A`` all-to-all (self-term included; it is zero) and ``c_i = 1/N`` this is Kuramoto's model
and equals ``omega_i + K r sin(psi - theta_i)`` with the order parameter ``r e^{i psi} =
(1/N) sum_j e^{i theta_j}``, which costs O(N) per evaluation. On a network,
``sum_j A_ij sin(theta_j - theta_i) = cos(theta_i) (A sin theta)_i - sin(theta_i) (A cos
theta)_i``. The same equations, written out term by term for small N, are
:func:`neurodyn.models.families.kuramoto` (tested equal).

Integration is classical RK4 with step ``dt`` (time unit of the frequencies). For natural
frequencies drawn from a Lorentzian of half-width ``gamma`` and N -> infinity, the incoherent
state loses stability at ``K_c = 2 gamma`` and ``r = sqrt(1 - K_c / K)`` above it (Kuramoto
1975; Strogatz, Physica D 143 (2000), eq. 5.9); see :func:`lorentzian_frequencies`.
"""

from __future__ import annotations

import math

import numpy as np
import xarray as xr
from numba import njit, prange

from ..models.families import kuramoto_scale
from ..provenance import provenance
from ..run_lengths import time_window

__all__ = ["lorentzian_frequencies", "order_parameter", "simulate_kuramoto"]


def lorentzian_frequencies(
    n: int, gamma: float = 1.0, centre: float = 0.0, seed: int | None = None
) -> np.ndarray:
    """``n`` natural frequencies from the Lorentzian (Cauchy) density
    ``gamma / (pi ((omega - centre)**2 + gamma**2))``: drawn with
    ``numpy.random.default_rng(seed)`` when ``seed`` is given, otherwise placed at the quantiles
    ``centre + gamma tan(pi (k + 1/2) / n - pi/2)`` (no sampling noise)."""
    if seed is None:
        k = np.arange(n)
        return centre + gamma * np.tan(np.pi * (k + 0.5) / n - np.pi / 2)
    return centre + gamma * np.random.default_rng(seed).standard_cauchy(n)


def order_parameter(theta: np.ndarray, axis: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """Kuramoto order parameter ``(r, psi)`` of phases along ``axis``: ``r e^{i psi} = mean(e^{i
    theta})``."""
    z = np.mean(np.exp(1j * np.asarray(theta)), axis=axis)
    return np.abs(z), np.angle(z)


@njit(inline="always", cache=True)
def _derivative(theta, omega, K, A, scale, mean_field, out, s, c, As, Ac):
    n = theta.shape[0]
    for i in range(n):
        s[i] = math.sin(theta[i])
        c[i] = math.cos(theta[i])
    if mean_field:
        S = 0.0
        C = 0.0
        for i in range(n):
            S += s[i]
            C += c[i]
        S /= n
        C /= n
        for i in range(n):
            out[i] = omega[i] + K * (S * c[i] - C * s[i])
    else:
        for i in range(n):
            As[i] = 0.0
            Ac[i] = 0.0
        for j in range(n):
            sj = s[j]
            cj = c[j]
            for i in range(n):
                As[i] += A[j, i] * sj
                Ac[i] += A[j, i] * cj
        for i in range(n):
            out[i] = omega[i] + K * scale[i] * (c[i] * As[i] - s[i] * Ac[i])


@njit(parallel=True, cache=True)
def _kernel(
    theta0,
    omega,
    Ks,
    AT,
    scale,
    mean_field,
    dt,
    steps,
    every,
    skip,
    r_out,
    psi_out,
    phases,
    keep_phases,
):
    n = theta0.shape[0]
    for b in prange(Ks.shape[0]):
        K = Ks[b]
        theta = theta0.copy()
        k1 = np.empty(n)
        k2 = np.empty(n)
        k3 = np.empty(n)
        k4 = np.empty(n)
        u = np.empty(n)
        s = np.empty(n)
        c = np.empty(n)
        As = np.empty(n)
        Ac = np.empty(n)
        slot = 0
        for t in range(steps):
            _derivative(theta, omega, K, AT, scale, mean_field, k1, s, c, As, Ac)
            for i in range(n):
                u[i] = theta[i] + 0.5 * dt * k1[i]
            _derivative(u, omega, K, AT, scale, mean_field, k2, s, c, As, Ac)
            for i in range(n):
                u[i] = theta[i] + 0.5 * dt * k2[i]
            _derivative(u, omega, K, AT, scale, mean_field, k3, s, c, As, Ac)
            for i in range(n):
                u[i] = theta[i] + dt * k3[i]
            _derivative(u, omega, K, AT, scale, mean_field, k4, s, c, As, Ac)
            for i in range(n):
                theta[i] += dt / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i])
            done = t + 1
            if done > skip and (done - skip) % every == 0:
                re = 0.0
                im = 0.0
                for i in range(n):
                    re += math.cos(theta[i])
                    im += math.sin(theta[i])
                re /= n
                im /= n
                r_out[b, slot] = math.sqrt(re * re + im * im)
                psi_out[b, slot] = math.atan2(im, re)
                if keep_phases:
                    phases[b, slot, :] = theta
                slot += 1


def simulate_kuramoto(
    frequencies: np.ndarray,
    coupling: float | np.ndarray,
    *,
    duration: float,
    dt: float = 0.05,
    adjacency: np.ndarray | None = None,
    normalise: str = "n",
    initial: np.ndarray | None = None,
    seed: int = 0,
    transient: float | None = None,
    transient_time: float = 0.0,
    every: int = 1,
    keep_phases: bool = False,
    threads: int | None = None,
) -> xr.Dataset:
    """Integrate ``N = len(frequencies)`` oscillators for each coupling ``K`` in ``coupling``,
    ``duration`` time units after ``transient_time`` (:mod:`neurodyn.run_lengths`).

    ``adjacency`` (``A[i, j]``: edge from j to i) defaults to all-to-all (mean field).
    ``normalise``: ``c_i = 1/N`` (``"n"``), ``1`` (``"none"``) or ``1/sum_j A_ij``
    (``"in_degree"``). Initial phases: ``initial``, or uniform on [-pi, pi) from
    ``numpy.random.default_rng(seed)`` (the same for every K).

    Returns a Dataset with ``r`` and ``psi`` (dims ``K``, ``time``), ``theta`` (``K``, ``time``,
    ``node``) when ``keep_phases``, and attrs dt, integrator, transient, seed.
    """
    transient, duration = time_window(
        duration, transient, transient_time, where="simulate_kuramoto()"
    )
    from ..sim import thread_count

    omega = np.ascontiguousarray(frequencies, dtype=np.float64)
    n = omega.shape[0]
    Ks = np.atleast_1d(np.asarray(coupling, dtype=np.float64))
    mean_field = adjacency is None and normalise == "n"
    A = np.ones((n, n)) if adjacency is None else np.array(adjacency, dtype=np.float64)
    if A.shape != (n, n):
        raise ValueError(f"adjacency must have shape ({n}, {n})")
    scale = kuramoto_scale(A, normalise)
    if initial is None:
        theta0 = np.random.default_rng(seed).uniform(-np.pi, np.pi, n)
    else:
        theta0 = np.array(initial, dtype=np.float64)
        if theta0.shape != (n,):
            raise ValueError(f"initial must hold {n} phases")
    steps = int(round(duration / dt))
    skip = int(round(transient / dt))
    if steps < 1 or not 0 <= skip < steps or every < 1:
        raise ValueError("need duration >= dt, 0 <= transient < duration and every >= 1")
    n_out = (steps - skip) // every
    r = np.full((Ks.size, n_out), np.nan)
    psi = np.full((Ks.size, n_out), np.nan)
    phases = np.full((Ks.size, n_out, n) if keep_phases else (1, 1, 1), np.nan)
    AT = np.ascontiguousarray(A.T) if not mean_field else np.zeros((1, 1))
    with thread_count(threads):
        _kernel(
            theta0,
            omega,
            Ks,
            AT,
            scale,
            mean_field,
            dt,
            skip + n_out * every,
            every,
            skip,
            r,
            psi,
            phases,
            keep_phases,
        )
    time = (skip + every * np.arange(1, n_out + 1)) * dt
    data = {
        "r": (("K", "time"), r, {"long_name": "Kuramoto order parameter |mean exp(i theta)|"}),
        "psi": (("K", "time"), psi, {"long_name": "mean phase", "units": "rad"}),
    }
    if keep_phases:
        data["theta"] = (("K", "time", "node"), phases, {"units": "rad"})
    attrs = {
        "model": "kuramoto",
        "equations": "dtheta_i/dt = omega_i + K c_i sum_j A_ij sin(theta_j - theta_i)",
        "n_oscillators": n,
        "normalise": normalise,
        "all_to_all": adjacency is None,
        "dt": dt,
        "integrator": "rk4",
        "transient": skip * dt,
        "every": every,
        "seed": seed,
        "frequencies": {"mean": float(np.mean(omega)), "median": float(np.median(omega))},
        **provenance(),
    }
    coords = {"K": ("K", Ks), "time": ("time", time)}
    return xr.Dataset(data, coords=coords, attrs=attrs)
