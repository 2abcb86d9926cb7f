"""Sparse wirings of recurrent cells: fully connected, random and neural circuit policies (NCP).

A wiring says which synapses exist and their polarity: ``adjacency[src, dest]`` and
``sensory_adjacency[input, dest]`` hold -1 (inhibitory), 0 (absent) or +1 (excitatory). Neuron
numbering follows ncps (Lechner et al., Nat. Mach. Intell. 2020): in an NCP the motor neurons come
first (ids ``0 .. motor - 1``, the outputs), then command, then inter neurons. A cell's outputs
are its first ``output_dim`` neurons.

A wiring is built from its configuration: :meth:`Wiring.config` returns a JSON-ready dict and
:meth:`Wiring.from_config` rebuilds identical masks from it (the random draws are seeded by a
``numpy.random.Generator``). An ``explicit`` wiring stores its matrices in the config.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Wiring", "explicit_wiring", "full_wiring", "ncp_wiring", "random_wiring"]

_KINDS = ("full", "random", "ncp", "explicit")


@dataclass(frozen=True, eq=False)
class Wiring:
    """Synapse masks and polarities of a cell with ``units`` neurons and ``input_dim`` inputs.

    ``layers`` lists the neuron ids of each layer in processing order (one layer for unlayered
    wirings). ``parameters`` are the arguments that rebuild it (see :meth:`config`).
    """

    kind: str
    units: int
    input_dim: int
    output_dim: int
    adjacency: np.ndarray
    sensory_adjacency: np.ndarray
    layers: tuple[tuple[int, ...], ...]
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def mask(self) -> np.ndarray:
        """``(units, units)`` 0/1 mask of recurrent synapses, ``[src, dest]``."""
        return (self.adjacency != 0).astype(np.float64)

    @property
    def sensory_mask(self) -> np.ndarray:
        """``(input_dim, units)`` 0/1 mask of input synapses, ``[input, dest]``."""
        return (self.sensory_adjacency != 0).astype(np.float64)

    @property
    def synapse_count(self) -> int:
        return int(np.count_nonzero(self.adjacency))

    def config(self) -> dict[str, Any]:
        """JSON-ready configuration; :meth:`from_config` rebuilds the same wiring from it."""
        return {"kind": self.kind, "input_dim": self.input_dim, **self.parameters}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Wiring:
        """Rebuild a wiring from :meth:`config`."""
        options = dict(config)
        kind = options.pop("kind", None)
        builders = {
            "full": full_wiring,
            "random": random_wiring,
            "ncp": ncp_wiring,
            "explicit": explicit_wiring,
        }
        if kind not in builders:
            raise ValueError(f"wiring kind must be one of {_KINDS}, got {kind!r}")
        return builders[kind](**options)


def _polarities(rng: np.random.Generator, size: int | tuple[int, ...]) -> np.ndarray:
    """-1 with probability 1/3, +1 with 2/3 (the ncps convention)."""
    return rng.choice(np.array([-1, 1, 1]), size=size)


def _check_positive(**values: int) -> None:
    for name, value in values.items():
        if int(value) < 1:
            raise ValueError(f"{name} must be a positive integer, got {value}")


def full_wiring(units: int, input_dim: int, output_dim: int | None = None, seed: int = 0) -> Wiring:
    """Every neuron connected to every neuron and every input; polarities drawn with ``seed``."""
    output_dim = units if output_dim is None else int(output_dim)
    _check_positive(units=units, input_dim=input_dim, output_dim=output_dim)
    rng = np.random.default_rng(seed)
    return Wiring(
        kind="full",
        units=int(units),
        input_dim=int(input_dim),
        output_dim=output_dim,
        adjacency=_polarities(rng, (units, units)),
        sensory_adjacency=_polarities(rng, (input_dim, units)),
        layers=(tuple(range(units)),),
        parameters={"units": int(units), "output_dim": output_dim, "seed": int(seed)},
    )


def random_wiring(
    units: int,
    input_dim: int,
    output_dim: int | None = None,
    sparsity: float = 0.5,
    seed: int = 0,
) -> Wiring:
    """A fraction ``1 - sparsity`` of all recurrent and of all input synapses, drawn uniformly
    without replacement (``sparsity`` in [0, 1)), each with a random polarity."""
    output_dim = units if output_dim is None else int(output_dim)
    _check_positive(units=units, input_dim=input_dim, output_dim=output_dim)
    if not 0.0 <= sparsity < 1.0:
        raise ValueError(f"sparsity must be in [0, 1), got {sparsity}")
    rng = np.random.default_rng(seed)

    def draw(n_src: int) -> np.ndarray:
        matrix = np.zeros(n_src * units, dtype=np.int64)
        count = int(round(n_src * units * (1.0 - sparsity)))
        chosen = rng.choice(n_src * units, size=count, replace=False)
        matrix[chosen] = _polarities(rng, count)
        return matrix.reshape(n_src, units)

    adjacency = draw(units)
    return Wiring(
        kind="random",
        units=int(units),
        input_dim=int(input_dim),
        output_dim=output_dim,
        adjacency=adjacency,
        sensory_adjacency=draw(input_dim),
        layers=(tuple(range(units)),),
        parameters={
            "units": int(units),
            "output_dim": output_dim,
            "sparsity": float(sparsity),
            "seed": int(seed),
        },
    )


def ncp_wiring(
    input_dim: int,
    inter: int,
    command: int,
    motor: int,
    sensory_fanout: int,
    inter_fanout: int,
    recurrent_command: int,
    motor_fanin: int,
    seed: int = 0,
) -> Wiring:
    """Neural circuit policy (Lechner et al., Nat. Mach. Intell. 2, 642 (2020)): sensory ->
    inter -> command (with ``recurrent_command`` recurrent synapses) -> motor, four layers with
    the given fan-outs/fan-in; neurons left unreached get ``max(1, mean fan-in)`` synapses.
    Polarities are ±1 with equal probability. The construction follows ncps' ``NCP`` wiring
    with a seeded ``numpy.random.Generator``."""
    _check_positive(input_dim=input_dim, inter=inter, command=command, motor=motor)
    for name, value, limit in (
        ("sensory_fanout", sensory_fanout, inter),
        ("inter_fanout", inter_fanout, command),
        ("motor_fanin", motor_fanin, command),
    ):
        if not 1 <= value <= limit:
            raise ValueError(f"{name} must be between 1 and {limit}, got {value}")
    if recurrent_command < 0:
        raise ValueError(f"recurrent_command must be >= 0, got {recurrent_command}")
    rng = np.random.default_rng(seed)
    units = inter + command + motor
    motors = np.arange(motor)
    commands = np.arange(motor, motor + command)
    inters = np.arange(motor + command, units)
    sensory = np.zeros((input_dim, units), dtype=np.int64)
    adjacency = np.zeros((units, units), dtype=np.int64)

    def fan(matrix, sources, targets, fanout):
        """Each source to ``fanout`` random targets; unreached targets from ``fanin_fill``."""
        reached = set()
        for src in sources:
            for dest in rng.choice(targets, size=fanout, replace=False):
                matrix[src, dest] = rng.choice([-1, 1])
                reached.add(int(dest))
        fill = int(np.clip(len(sources) * fanout // len(targets), 1, len(sources)))
        for dest in (t for t in targets if int(t) not in reached):
            for src in rng.choice(sources, size=fill, replace=False):
                matrix[src, dest] = rng.choice([-1, 1])

    fan(sensory, np.arange(input_dim), inters, sensory_fanout)
    fan(adjacency, inters, commands, inter_fanout)
    for _ in range(recurrent_command):
        src, dest = rng.choice(commands), rng.choice(commands)
        adjacency[src, dest] = rng.choice([-1, 1])
    reached = set()
    for dest in motors:
        for src in rng.choice(commands, size=motor_fanin, replace=False):
            adjacency[src, dest] = rng.choice([-1, 1])
            reached.add(int(src))
    fanout = int(np.clip(motor * motor_fanin // command, 1, motor))
    for src in (c for c in commands if int(c) not in reached):
        for dest in rng.choice(motors, size=fanout, replace=False):
            adjacency[src, dest] = rng.choice([-1, 1])
    return Wiring(
        kind="ncp",
        units=units,
        input_dim=int(input_dim),
        output_dim=int(motor),
        adjacency=adjacency,
        sensory_adjacency=sensory,
        layers=(tuple(inters.tolist()), tuple(commands.tolist()), tuple(motors.tolist())),
        parameters={
            "inter": int(inter),
            "command": int(command),
            "motor": int(motor),
            "sensory_fanout": int(sensory_fanout),
            "inter_fanout": int(inter_fanout),
            "recurrent_command": int(recurrent_command),
            "motor_fanin": int(motor_fanin),
            "seed": int(seed),
        },
    )


def explicit_wiring(
    adjacency: Any, sensory_adjacency: Any, output_dim: int, input_dim: int | None = None
) -> Wiring:
    """A wiring from given polarity matrices (``[src, dest]``, entries -1, 0, +1), for instance
    the ``adjacency_matrix`` and ``sensory_adjacency_matrix`` of an ncps wiring."""
    adjacency = np.asarray(adjacency, dtype=np.int64)
    sensory = np.asarray(sensory_adjacency, dtype=np.int64)
    units = adjacency.shape[0]
    if adjacency.shape != (units, units) or sensory.ndim != 2 or sensory.shape[1] != units:
        raise ValueError(
            f"adjacency must be (units, units) and sensory_adjacency (inputs, units), got "
            f"{adjacency.shape} and {sensory.shape}"
        )
    if input_dim is not None and int(input_dim) != sensory.shape[0]:
        raise ValueError(f"input_dim {input_dim} does not match sensory_adjacency {sensory.shape}")
    if not np.isin(adjacency, (-1, 0, 1)).all() or not np.isin(sensory, (-1, 0, 1)).all():
        raise ValueError("polarity matrices may hold only -1, 0 and +1")
    return Wiring(
        kind="explicit",
        units=units,
        input_dim=sensory.shape[0],
        output_dim=int(output_dim),
        adjacency=adjacency,
        sensory_adjacency=sensory,
        layers=(tuple(range(units)),),
        parameters={
            "adjacency": adjacency.tolist(),
            "sensory_adjacency": sensory.tolist(),
            "output_dim": int(output_dim),
        },
    )
