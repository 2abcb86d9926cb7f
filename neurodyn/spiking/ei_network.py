"""An excitatory–inhibitory network of leaky integrate-and-fire neurons (brian2) and the
Wilson–Cowan node matched to it: the microscopic counterpart of the neural mass.

Network (Brunel, J. Comput. Neurosci. 8, 183-208 (2000), model A with two populations):
``tau_x dV/dt = -V`` between spikes (mV, ms), spike at ``V >= theta``, reset to ``V_r``,
refractory ``tau_ref``; delta synapses: a spike of an E (I) neuron moves V of its targets by
``J`` (``-g J``) after a delay; every neuron has exactly ``K_E = p N_E`` excitatory and
``K_I = p N_I`` inhibitory inputs (fixed in-degree) and ``K_ext`` independent Poisson inputs of
rate ``nu_ext`` and weight ``J``.

Mean field (diffusion approximation; Amit & Brunel 1997; Brunel 2000): the input of population
x has mean ``mu_x = tau_x (J K_E r_E - g J K_I r_I + J K_ext nu_ext)`` and variance ``sigma_x**2 =
tau_x (J**2 K_E r_E + g**2 J**2 K_I r_I + J**2 K_ext nu_ext)`` (rates in 1/ms), and fires at the
Siegert rate ``phi(mu, sigma) = 1 / (tau_ref + tau_x sqrt(pi) int_{(V_r-mu)/sigma}^{(theta-mu)
/sigma} exp(u**2) (1 + erf u) du)``.

Matched Wilson–Cowan node (catalogue ``wilson_cowan``, shift = 0, k = 1, r = 0): activities
are rates over ``r_max = 1 / tau_ref``, the sigmoid input is ``mu`` in mV, so ``w_ee = tau_E J K_E
r_max``, ``w_ei = tau_E g J K_I r_max`` (I -> E), ``w_ie = tau_I J K_E r_max``, ``w_ii = tau_I g J
K_I r_max``, ``P = tau_E J K_ext nu_ext``, ``Q = tau_I J K_ext nu_ext``, and each population's
logistic (gain ``a``, threshold ``theta``) is the least-squares fit of ``phi(mu, sigma*) /
r_max`` over ``mu* +- fit_range`` at the self-consistent ``sigma*``; time constants ``tau_e =
tau_E``, ``tau_i = tau_I``. Its fixed point reproduces the mean-field rates up to the fit
error; the network's measured rates differ from both by the diffusion approximation's error
and finite size (compared in the tests).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import xarray as xr
from scipy import integrate, optimize, special

from ..models import get_model
from ..provenance import provenance
from ..run_lengths import time_window

__all__ = ["EINetwork", "matched_wilson_cowan", "mean_field_rates", "siegert", "simulate_ei"]

#: transient of :func:`simulate_ei` (ms), not recorded in its mean rates
DEFAULT_TRANSIENT_MS = 200.0


@dataclass(frozen=True)
class EINetwork:
    """Parameters of the E–I LIF network (times in ms, potentials in mV, rates in Hz)."""

    n_e: int = 800
    n_i: int = 200
    p: float = 0.1
    tau_e: float = 20.0
    tau_i: float = 20.0
    theta: float = 20.0
    v_reset: float = 10.0
    tau_ref: float = 2.0
    J: float = 0.2
    g: float = 5.0
    k_ext: int = 800
    nu_ext: float = 7.0
    delay: float = 1.5

    @property
    def k_e(self) -> int:
        return int(round(self.p * self.n_e))

    @property
    def k_i(self) -> int:
        return int(round(self.p * self.n_i))

    def moments(self, rate_e: float, rate_i: float, tau: float) -> tuple[float, float]:
        """Mean and standard deviation (mV) of the input of a neuron with time constant ``tau``
        when the populations fire at ``rate_e``, ``rate_i`` (Hz)."""
        r_e, r_i, ext = rate_e / 1000, rate_i / 1000, self.nu_ext / 1000
        mu = tau * self.J * (self.k_e * r_e - self.g * self.k_i * r_i + self.k_ext * ext)
        var = tau * self.J**2 * (self.k_e * r_e + self.g**2 * self.k_i * r_i + self.k_ext * ext)
        return mu, math.sqrt(var)


def siegert(mu: float, sigma: float, tau: float, theta: float, v_reset: float, tau_ref: float):
    """Stationary rate (Hz) of a LIF neuron with white-noise input of mean ``mu`` and standard
    deviation ``sigma`` (mV): the Siegert formula with ``exp(u**2)(1 + erf u) = erfcx(-u)``."""
    upper = (theta - mu) / sigma
    lower = (v_reset - mu) / sigma
    value, _ = integrate.quad(lambda u: special.erfcx(-u), lower, upper, limit=200)
    return 1000.0 / (tau_ref + tau * math.sqrt(math.pi) * value)


def mean_field_rates(net: EINetwork, guess: tuple[float, float] = (5.0, 5.0)) -> np.ndarray:
    """Self-consistent rates (Hz) ``r_x = phi_x(mu_x(r), sigma_x(r))`` of E and I."""

    def residual(rates):
        r_e, r_i = np.abs(rates)
        out = []
        for tau, r in ((net.tau_e, r_e), (net.tau_i, r_i)):
            mu, sigma = net.moments(r_e, r_i, tau)
            out.append(siegert(mu, sigma, tau, net.theta, net.v_reset, net.tau_ref) - r)
        return out

    solution = optimize.root(residual, guess, method="hybr", tol=1e-12)
    if not solution.success:
        raise RuntimeError(f"mean-field rates did not converge: {solution.message}")
    return np.abs(solution.x)


def matched_wilson_cowan(net: EINetwork, *, fit_range: float = 10.0) -> dict[str, float]:
    """Parameters of the ``wilson_cowan`` node matched to ``net`` (see the module docstring)."""
    rates = mean_field_rates(net)
    r_max = 1000.0 / net.tau_ref
    values = {"k_e": 1.0, "k_i": 1.0, "r_e": 0.0, "r_i": 0.0, "shift": 0.0}
    scale = r_max / 1000.0  # activities per ms
    for x, tau, (excitatory, inhibitory, external) in (
        ("e", net.tau_e, ("w_ee", "w_ei", "P")),
        ("i", net.tau_i, ("w_ie", "w_ii", "Q")),
    ):
        values[f"tau_{x}"] = tau
        values[excitatory] = tau * net.J * net.k_e * scale
        values[inhibitory] = tau * net.g * net.J * net.k_i * scale
        values[external] = tau * net.J * net.k_ext * net.nu_ext / 1000.0
        mu, sigma = net.moments(*rates, tau)
        grid = np.linspace(mu - fit_range, mu + fit_range, 81)
        target = np.array(
            [siegert(m, sigma, tau, net.theta, net.v_reset, net.tau_ref) for m in grid]
        )
        (gain, threshold), _ = optimize.curve_fit(  # logistic fit of the LIF transfer
            lambda u, a, t: 1 / (1 + np.exp(-a * (u - t))),
            grid,
            target / r_max,
            p0=(0.2, net.theta + 5.0),
            maxfev=20000,
        )
        values[f"a_{x}"] = float(gain)
        values[f"theta_{x}"] = float(threshold)
    return values


def simulate_ei(
    net: EINetwork | None = None,
    *,
    duration: float = 800.0,
    transient: float | None = None,
    transient_time: float | None = None,
    dt: float = 0.1,
    bin_ms: float = 1.0,
    seed: int = 0,
) -> xr.Dataset:
    """Simulate the LIF network with brian2 (numpy target) and the matched Wilson–Cowan node
    for ``transient_time`` (default :data:`DEFAULT_TRANSIENT_MS`) then ``duration`` ms
    (:mod:`neurodyn.run_lengths`).

    Returns a notebook-ready Dataset over ``time`` (ms, bins of ``bin_ms``) and ``population``
    (E, I): ``rate_network`` and ``rate_wilson_cowan`` (Hz); ``mean_rate_network`` (after
    the transient), ``rate_mean_field`` (Siegert) and ``rate_wilson_cowan_fixed_point`` per
    population; attrs hold the network parameters, the matched node parameters and the seed.
    """
    if transient_time is None:  # the default only where the old transient= is not given
        transient_time = DEFAULT_TRANSIENT_MS if transient is None else 0.0
    transient, duration = time_window(
        duration, transient, transient_time, where="simulate_ei()"
    )
    import brian2 as b2

    from ..flows.trajectory import trajectory
    from ..neuralmass.wilson_cowan import steady_states

    net = net or EINetwork()
    b2.prefs.codegen.target = "numpy"
    b2.start_scope()
    b2.seed(seed)
    rng = np.random.default_rng(seed)
    b2.defaultclock.dt = dt * b2.ms
    n = net.n_e + net.n_i
    tau = np.r_[np.full(net.n_e, net.tau_e), np.full(net.n_i, net.tau_i)]
    neurons = b2.NeuronGroup(
        n,
        "dv/dt = -v / tau_m : volt (unless refractory)\ntau_m : second",
        threshold="v >= theta",
        reset="v = v_reset",
        refractory=net.tau_ref * b2.ms,
        method="exact",
        namespace={"theta": net.theta * b2.mV, "v_reset": net.v_reset * b2.mV},
    )
    neurons.tau_m = tau * b2.ms
    neurons.v = rng.uniform(0.0, net.theta, n) * b2.mV
    exc, inh = neurons[: net.n_e], neurons[net.n_e :]
    synapses = []
    for source, size, weight in ((exc, net.n_e, net.J), (inh, net.n_i, -net.g * net.J)):
        k = int(round(net.p * size))  # fixed in-degree: k distinct sources per neuron
        pre = np.concatenate([rng.choice(size, k, replace=False) for _ in range(n)])
        post = np.repeat(np.arange(n), k)
        syn = b2.Synapses(
            source, neurons, on_pre=f"v_post += {weight} * mV", delay=net.delay * b2.ms
        )
        syn.connect(i=pre, j=post)
        synapses.append(syn)
    drive = b2.PoissonInput(
        neurons, "v", N=net.k_ext, rate=net.nu_ext * b2.Hz, weight=net.J * b2.mV
    )
    spikes = b2.SpikeMonitor(neurons)
    b2.Network(neurons, *synapses, drive, spikes).run(duration * b2.ms)
    times = np.asarray(spikes.t / b2.ms)
    index = np.asarray(spikes.i)
    edges = np.arange(0.0, duration + bin_ms / 2, bin_ms)
    counts_e = np.histogram(times[index < net.n_e], edges)[0]
    counts_i = np.histogram(times[index >= net.n_e], edges)[0]
    rate_network = np.stack(
        [counts_e / (net.n_e * bin_ms / 1000), counts_i / (net.n_i * bin_ms / 1000)], axis=1
    )
    settled = edges[1:] > transient
    mean_network = rate_network[settled].mean(axis=0)

    values = matched_wilson_cowan(net)
    node = get_model("wilson_cowan")
    r_max = 1000.0 / net.tau_ref
    wc = trajectory(
        node,
        duration=duration,
        parameters={**values, "dt": dt},
        initial=np.zeros(2),
        every=int(round(bin_ms / dt)),
    )
    rate_wc = np.stack([wc.E.values, wc.I.values], axis=1) * r_max
    fixed = [s for s in steady_states(node, {**values, "dt": dt}) if s.stable]
    fixed_rates = fixed[0].state * r_max if fixed else np.full(2, np.nan)
    mean_field = mean_field_rates(net)
    population = ["E", "I"]
    data = {
        "rate_network": (
            ("time", "population"),
            rate_network,
            {"units": "Hz", "long_name": f"population rate in {bin_ms} ms bins"},
        ),
        "rate_wilson_cowan": (
            ("time", "population"),
            rate_wc[: rate_network.shape[0]],
            {"units": "Hz", "long_name": "matched Wilson-Cowan node"},
        ),
        "mean_rate_network": (("population",), mean_network, {"units": "Hz"}),
        "rate_mean_field": (("population",), mean_field, {"units": "Hz"}),
        "rate_wilson_cowan_fixed_point": (("population",), fixed_rates, {"units": "Hz"}),
    }
    attrs = {
        "network": {**asdict(net), "k_e": net.k_e, "k_i": net.k_i},
        "wilson_cowan_parameters": values,
        "wilson_cowan_model": node.name,
        "activity_scale": f"E = rate / {r_max} Hz (1 / tau_ref)",
        "dt": dt,
        "transient": transient,
        "seed": seed,
        "backend": f"brian2 {b2.__version__} (numpy target)",
        **provenance(),
    }
    coords = {"time": ("time", edges[1:], {"units": "ms"}), "population": population}
    return xr.Dataset(data, coords=coords, attrs=attrs)
