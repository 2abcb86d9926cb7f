"""Continuation results: branches of cycles or of bifurcation points, and their special points.

A :class:`Branch` holds the accepted points of one continuation run in order, with the located
special points inserted where they lie on the curve. :meth:`Branch.to_dataset` turns it into an
:class:`xarray.Dataset` (store it with :func:`neurodyn.store.write_dataset`).

Labels (Kuznetsov & Meijer, *Numerical Bifurcation Analysis of Maps*, CUP 2019):
codimension 1 on branches of cycles: ``LP`` fold (limit point, a multiplier +1), ``PD`` flip
(period doubling, a multiplier -1), ``NS`` Neimark-Sacker (a complex pair on the unit circle),
``BP`` branch point, ``EP`` end point (domain boundary). Codimension 2 on curves of LP, PD or NS
points: ``CP`` cusp, ``GPD`` generalised flip, ``CH`` Chenciner, ``R1``-``R4`` strong resonances
1:1-1:4, ``LPPD`` fold-flip, ``LPNS`` fold-Neimark-Sacker, ``PDNS`` flip-Neimark-Sacker,
``NSNS`` double Neimark-Sacker.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from ...models import Model
from ...provenance import provenance
from .normal_forms import __doc__ as _NORMAL_FORM_DOC

__all__ = ["Branch", "SpecialPoint"]

CODIM1 = ("LP", "PD", "NS", "BP", "EP")
CODIM2 = ("CP", "GPD", "CH", "R1", "R2", "R3", "R4", "LPPD", "LPNS", "PDNS", "NSNS")
COEFFICIENTS = ("a", "c", "d", "theta", "kappa")


@dataclass
class SpecialPoint:
    """A located special point.

    ``label`` (see the module docstring); ``index`` its position in the branch; ``parameters``
    the free parameters' values; ``orbit`` (period, n_state) the cycle; ``multipliers``
    (decreasing modulus); ``coefficients``: normal-form coefficients ``a`` (LP), ``c`` (PD),
    ``d`` (NS, first Lyapunov coefficient) and ``theta`` (NS, argument of the critical multiplier
    in radians), ``kappa`` (NS curves: cos theta), as applicable; ``u`` and ``tangent`` the
    continuation unknowns and tangent there (for branch switching).
    """

    label: str
    index: int
    parameters: dict[str, float]
    orbit: np.ndarray
    multipliers: np.ndarray
    coefficients: dict[str, float] = field(default_factory=dict)
    u: np.ndarray | None = None
    tangent: np.ndarray | None = None
    note: str = ""

    def __repr__(self) -> str:
        values = ", ".join(f"{k}={v:.10g}" for k, v in self.parameters.items())
        coeffs = ", ".join(f"{k}={v:.6g}" for k, v in self.coefficients.items())
        return f"SpecialPoint({self.label} at {values}{'; ' + coeffs if coeffs else ''})"


@dataclass
class Branch:
    """Points of one continuation run (module docstring).

    ``kind``: ``"cycle"`` (one free parameter) or ``"LP"``, ``"PD"``, ``"NS"`` (a curve of
    bifurcation points in two free parameters). ``orbits`` (point, period, n_state);
    ``values`` (point, n_free) the free parameters; ``multipliers`` (point, n_state);
    ``tests`` test-function values per point; ``coefficients`` normal-form coefficient along
    the curve (``a``, ``c`` or ``d``) where computed; ``fixed`` all parameter values at the start.
    """

    model: Model
    kind: str
    period: int
    free: tuple[str, ...]
    fixed: dict[str, float]
    orbits: np.ndarray
    values: np.ndarray
    multipliers: np.ndarray
    tests: dict[str, np.ndarray]
    special: list[SpecialPoint]
    stop_reason: str
    u: np.ndarray
    tangents: np.ndarray
    coefficients: dict[str, np.ndarray] = field(default_factory=dict)

    def parameter(self, name: str) -> np.ndarray:
        """Values of free parameter ``name`` along the branch."""
        return self.values[:, self.free.index(name)]

    def points(self, label: str) -> list[SpecialPoint]:
        """The special points labelled ``label``, in order along the branch."""
        return [p for p in self.special if p.label == label]

    @property
    def stable(self) -> np.ndarray:
        """True where every multiplier has modulus below 1."""
        return np.all(np.abs(self.multipliers) < 1.0, axis=1)

    def __repr__(self) -> str:
        labels = ", ".join(p.label for p in self.special)
        return (
            f"Branch({self.kind}, period {self.period}, free {self.free}, {len(self.values)} "
            f"points, special [{labels}], stop: {self.stop_reason})"
        )

    def to_dataset(self) -> xr.Dataset:
        """The branch as a Dataset: dims ``point``, ``phase``, ``state``, ``multiplier``,
        ``special``. Variables: one per free parameter, ``orbit``, ``multipliers``,
        ``n_unstable``, ``test_<name>``, ``coefficient_<name>``; special points as
        ``special_label``, ``special_index``, ``special_<parameter>``, ``special_orbit``,
        ``special_multipliers`` and ``special_<coefficient>`` (NaN where not applicable)."""
        n = self.model.n_state
        data: dict[str, tuple] = {}
        for j, name in enumerate(self.free):
            p = self.model.parameter(name)
            data[name] = (("point",), self.values[:, j], {"units": p.unit, "long_name": name})
        data["orbit"] = (("point", "phase", "state"), self.orbits)
        data["multipliers"] = (
            ("point", "multiplier"),
            self.multipliers,
            {"long_name": "eigenvalues of the monodromy matrix, decreasing modulus"},
        )
        data["n_unstable"] = (("point",), (np.abs(self.multipliers) > 1).sum(axis=1))
        for name, values in self.tests.items():
            data[f"test_{name}"] = (("point",), values)
        for name, values in self.coefficients.items():
            data[f"coefficient_{name}"] = (("point",), values)
        sp = self.special
        data["special_label"] = (("special",), np.array([p.label for p in sp], dtype="<U8"))
        data["special_index"] = (("special",), np.array([p.index for p in sp], dtype=np.int64))
        for name in self.free:
            data[f"special_{name}"] = (
                ("special",),
                np.array([p.parameters[name] for p in sp], dtype=np.float64),
            )
        data["special_orbit"] = (
            ("special", "phase", "state"),
            np.array([p.orbit for p in sp]).reshape(len(sp), self.period, n),
        )
        data["special_multipliers"] = (
            ("special", "multiplier"),
            np.array([p.multipliers for p in sp], dtype=np.complex128).reshape(len(sp), n),
        )
        for name in COEFFICIENTS:
            data[f"special_{name}"] = (
                ("special",),
                np.array([p.coefficients.get(name, np.nan) for p in sp], dtype=np.float64),
            )
        attrs = {
            "model": self.model.name,
            "kind": self.kind,
            "period": self.period,
            "free_parameters": list(self.free),
            "fixed_parameters": {k: v for k, v in self.fixed.items() if k not in self.free},
            "stop_reason": self.stop_reason,
            "time_unit": "iteration",
            "labels": __doc__.split("Labels", 1)[1].strip(),
            "normal_forms": _NORMAL_FORM_DOC.strip(),
            **provenance(),
        }
        coords = {
            "point": np.arange(len(self.values)),
            "phase": np.arange(self.period),
            "state": list(self.model.state_names),
            "multiplier": np.arange(n),
            "special": np.arange(len(sp)),
        }
        return xr.Dataset(data, coords=coords, attrs=attrs)
