"""Simulation backends: which code runs a batch (numba kernels or generated torch), where, in
what precision.

Both backends are generated from the same model definitions (:mod:`neurodyn.models`): numba
from :mod:`neurodyn.models.codegen`, torch from :mod:`neurodyn.models.torchgen`. A network of
the network kernel brings its own step for each (:mod:`neurodyn.networks.netgen`,
:mod:`neurodyn.networks.torch_kernel`), which :func:`~.torch_model.torch_model` returns for it.

* ``numba`` (default): float64 on the CPU cores (``device`` ``auto`` or ``cpu``).
* ``torch``: float64 or float32 on ``cpu``, ``cuda`` / ``cuda:<index>``, or ``auto`` (the first
  CUDA device when torch sees one, else the CPU). Needs torch (the ``learn`` extra).

:func:`resolve_backend` (defined in :mod:`neurodyn.sim.choice`) checks a choice and resolves
``auto``; it imports torch only for the torch backend. The batch runner of each backend is
registered in :mod:`neurodyn.sim.schedule` (``numba`` by :mod:`neurodyn.sim.batch`, ``torch``
by :mod:`.torch_batch`); :func:`neurodyn.sim.iterate_batch` picks it by name.

Results of every backend carry :meth:`Backend.attrs` (``backend``, ``device``, ``dtype``);
float32 results are stored as float64 arrays and flagged by ``dtype: float32``.

Both backends' CPU thread pools are OpenMP pools that spin while idle by default: a process that
runs numba kernels and then torch on the CPU (or the reverse) runs the second up to ten times
slower. Set ``OMP_WAIT_POLICY=PASSIVE`` in the environment before starting Python when mixing
them (the Lyapunov chart benchmark does).
"""

from ..sim.choice import BACKENDS, DEVICES, DTYPES, Backend, BackendError, resolve_backend

__all__ = ["BACKENDS", "DEVICES", "DTYPES", "Backend", "BackendError", "resolve_backend"]
