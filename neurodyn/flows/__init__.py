"""Continuous-time systems beyond the fixed-step sweep: trajectories as Datasets (with seeded
noise), delay equations, the Kuramoto–Sivashinsky PDE and large Kuramoto populations."""

from .delay import DelayedFlow, delay_trajectory, mackey_glass
from .ks import KuramotoSivashinsky, ks_trajectory
from .kuramoto import lorentzian_frequencies, order_parameter, simulate_kuramoto
from .trajectory import parameter_batch, trajectory

__all__ = [
    "DelayedFlow",
    "KuramotoSivashinsky",
    "delay_trajectory",
    "ks_trajectory",
    "lorentzian_frequencies",
    "mackey_glass",
    "order_parameter",
    "parameter_batch",
    "simulate_kuramoto",
    "trajectory",
]
