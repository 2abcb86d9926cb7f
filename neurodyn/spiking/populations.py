"""brian2 objects of a spiking network record (:mod:`.definition`), its code printed by
:func:`.brian2gen.brian2_neuron_code`.

One ``NeuronGroup`` holds every neuron, the populations in the record's order (neuron indices
``0 .. N_0 - 1`` the first population, and so on); each synapse entry is a ``Synapses`` object
from its source population onto every neuron, and the drive a ``PoissonInput``. Random numbers,
in this order, from ``numpy.random.default_rng(seed)``: the initial state of every neuron
(state variables in the record's order), then the sources of each neuron for each synapse entry
in the record's order (``in_degree`` distinct ones, ``rng.choice(size, k, replace=False)`` per
neuron in index order); brian2's own generator (``brian2.seed(seed)``) draws the Poisson drive.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .brian2gen import brian2_neuron_code
from .definition import SpikingNetwork
from .maps import _brian2

__all__ = ["brian2_spiking_network"]


def brian2_spiking_network(
    network: SpikingNetwork, values: Mapping[str, float], *, dt: float, seed: int
) -> tuple[Any, Any, dict[str, int]]:
    """Build ``network`` at the parameter ``values`` with brian2 (numpy target), time step
    ``dt`` ms, seeded by ``seed`` (see the module docstring).

    Returns the ``brian2.Network`` (not run), its ``SpikeMonitor`` of every neuron and the size
    of each population.
    """
    b2 = _brian2()
    scale = {"1": 1.0, "ms": b2.ms, "mV": b2.mV, "Hz": b2.Hz}

    def quantity(text: object, units: str) -> Any:
        return network.value(text, values) * scale[units]

    def count(text: object) -> int:
        return int(round(network.value(text, values)))

    b2.start_scope()
    b2.seed(seed)
    rng = np.random.default_rng(seed)
    b2.defaultclock.dt = dt * b2.ms
    neuron = network.neuron
    code = brian2_neuron_code(network)
    sizes = {name: count(spec["size"]) for name, spec in network.populations.items()}
    n = sum(sizes.values())
    namespace = {p: quantity(p, network.units(p)) for p in network.parameters}
    neurons = b2.NeuronGroup(
        n,
        code["equations"],
        threshold=code["threshold"],
        reset=code["reset"],
        refractory=quantity(neuron["refractory"], network.units(neuron["refractory"])),
        method=neuron["method"],
        namespace=namespace,
    )
    for p in network.per_neuron:
        per_population = [
            np.full(size, network.value(network.populations[name][p], values))
            for name, size in sizes.items()
        ]
        setattr(neurons, p, np.concatenate(per_population) * scale[network.units(p)])
    for v, spec in neuron["state"].items():
        low, high = (network.value(b, values) for b in spec["initial"]["uniform"])
        setattr(neurons, v, rng.uniform(low, high, n) * scale[network.units(v)])
    starts = np.cumsum([0, *sizes.values()])
    groups = {name: neurons[starts[k] : starts[k + 1]] for k, name in enumerate(sizes)}
    synapses = []
    for source, spec in network.synapses.items():
        if spec["model"] != "delta":
            raise ValueError(f"{network.name}: synapse model {spec['model']!r} is not 'delta'")
        k = count(spec["in_degree"])
        pre = np.concatenate([rng.choice(sizes[source], k, replace=False) for _ in range(n)])
        post = np.repeat(np.arange(n), k)
        target = spec["target"]
        syn = b2.Synapses(
            groups[source],
            neurons,
            on_pre=f"{target}_post += w",
            delay=quantity(spec["delay"], network.units(spec["delay"])),
            namespace={"w": quantity(spec["weight"], network.units(target))},
        )
        syn.connect(i=pre, j=post)
        synapses.append(syn)
    drive = network.drive
    if drive["kind"] != "poisson":
        raise ValueError(f"{network.name}: drive {drive['kind']!r} is not 'poisson'")
    poisson = b2.PoissonInput(
        neurons,
        drive["target"],
        N=count(drive["inputs"]),
        rate=quantity(drive["rate"], network.units(drive["rate"])),
        weight=quantity(drive["weight"], network.units(drive["target"])),
    )
    spikes = b2.SpikeMonitor(neurons)
    return b2.Network(neurons, *synapses, poisson, spikes), spikes, sizes
