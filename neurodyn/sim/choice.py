"""The backend choice: which code runs a batch (numba kernels or generated torch), where, in what
precision. Re-exported by :mod:`neurodyn.backends`, whose docstring describes the backends; it
lives here, below both, so that the simulation package needs nothing from the backends package.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BACKENDS",
    "DEVICES",
    "DTYPES",
    "Backend",
    "BackendError",
    "default_chunk_size",
    "resolve_backend",
]

BACKENDS = ("numba", "torch")
DEVICES = ("auto", "cpu", "cuda")
DTYPES = ("float64", "float32")


class BackendError(ValueError):
    """An unknown backend, device or dtype, or a device that is not available."""


@dataclass(frozen=True)
class Backend:
    """A resolved backend choice: ``backend`` (numba, torch), ``device`` (``cpu`` or
    ``cuda:<index>``), ``dtype`` (float64, float32)."""

    backend: str
    device: str
    dtype: str

    def attrs(self) -> dict[str, str]:
        """Attributes for a result computed with this backend."""
        attrs = {"backend": self.backend, "device": self.device, "dtype": self.dtype}
        if self.dtype != "float64":
            attrs["precision"] = (
                f"computed in {self.dtype} (stored as float64): values carry {self.dtype} "
                "rounding errors, amplified along chaotic trajectories"
            )
        return attrs


def resolve_backend(
    backend: str = "numba", device: str = "auto", dtype: str = "float64"
) -> Backend:
    """Check ``backend``, ``device`` and ``dtype`` and resolve ``device="auto"``.

    Raises :class:`BackendError` naming the accepted values, or saying why a device cannot be
    used (CUDA requested where torch sees no GPU, numba asked for a GPU or for float32).
    """
    if backend not in BACKENDS:
        raise BackendError(f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    if dtype not in DTYPES:
        raise BackendError(f"dtype must be one of {', '.join(DTYPES)}, not {dtype!r}")
    device = str(device)
    if device.split(":")[0] not in DEVICES:
        raise BackendError(f"device must be auto, cpu, cuda or cuda:<index>, not {device!r}")
    if backend == "numba":
        if device not in ("auto", "cpu"):
            raise BackendError(f"the numba backend runs on the CPU only, not on {device!r}")
        if dtype != "float64":
            raise BackendError(
                f"the numba backend computes in float64 only, not {dtype}; use backend='torch'"
            )
        return Backend("numba", "cpu", "float64")
    return Backend("torch", _torch_device(device), dtype)


def _torch_device(device: str) -> str:
    try:
        import torch
    except ImportError:
        raise BackendError(
            "the torch backend needs torch: pip install 'neurodyn[learn]' (CPU: torch==2.13.0)"
        ) from None
    available = torch.cuda.is_available()
    if device == "auto":
        return "cuda:0" if available else "cpu"
    if device == "cpu":
        return "cpu"
    if not available:
        raise BackendError(
            f"device {device!r} requested, but torch {torch.__version__} sees no CUDA device "
            f"(built with CUDA {torch.version.cuda or 'none'}); use device='cpu' or 'auto'"
        )
    index = device.partition(":")[2] or "0"
    if not index.isdigit() or int(index) >= torch.cuda.device_count():
        raise BackendError(
            f"device {device!r}: torch sees {torch.cuda.device_count()} CUDA device(s), "
            f"cuda:0 to cuda:{torch.cuda.device_count() - 1}"
        )
    return f"cuda:{int(index)}"


def default_chunk_size(device: str) -> int:
    """Points advanced together by default on ``device`` (a resolved device, ``cpu`` or
    ``cuda:<index>``), for every backend: on the CPU 65536 (a float64 state row of 512 KiB
    stays in cache; 128 numba blocks to share among threads), on a GPU 2**21 (enough to fill
    it; a few hundred MiB for small models). Results do not depend on it."""
    return 65536 if device == "cpu" else 1 << 21
