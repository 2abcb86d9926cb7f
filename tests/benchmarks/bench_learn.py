"""Benchmark: one training step (forward, backward, Adam step) of neurodyn's LTC (6 unfolds) and
CfC against ncps with the same shapes, in the same run: 32 units, batch 32, 100 time steps,
3 input features, 3 outputs, float32, on the CPU (and on CUDA where there is one).

Run: ``python tests/benchmarks/bench_learn.py [--threads N] [--repeats R]``. Prints the median
time per step of each and the ratio ncps / neurodyn (above 1: neurodyn is faster). The two take
turns step by step, so that a shared machine's changing load falls on both alike.
"""

from __future__ import annotations

import argparse
import time

import torch
from ncps.torch import LTC as NcpsLTC
from ncps.torch import CfC as NcpsCfC
from ncps.wirings import FullyConnected

from neurodyn.learn import build_model

UNITS, BATCH, STEPS, FEATURES = 32, 32, 100, 3


def _step_times(
    models: tuple[torch.nn.Module, torch.nn.Module], x: torch.Tensor, y: torch.Tensor, repeats: int
) -> list[float]:
    """Median seconds of one forward + backward + optimizer step of each model; the models take
    turns step by step, so that both see the same load on a shared machine."""
    optimizers = [torch.optim.Adam(model.parameters(), lr=1e-3) for model in models]
    times: list[list[float]] = [[] for _ in models]
    for i in range(repeats + 2):
        for model, optimizer, record in zip(models, optimizers, times, strict=True):
            start = time.perf_counter()
            optimizer.zero_grad()
            prediction = model(x)[0]
            loss = torch.mean((prediction - y) ** 2)
            loss.backward()
            optimizer.step()
            if x.is_cuda:
                torch.cuda.synchronize()
            if i >= 2:
                record.append(time.perf_counter() - start)
    return [sorted(record)[len(record) // 2] for record in times]


def _pairs(device: torch.device) -> dict[str, tuple[torch.nn.Module, torch.nn.Module]]:
    torch.manual_seed(0)
    return {
        "LTC (6 unfolds)": (
            build_model({"kind": "ltc", "obs_dim": FEATURES, "units": UNITS, "ode_unfolds": 6}),
            NcpsLTC(FEATURES, FullyConnected(UNITS, output_dim=FEATURES), ode_unfolds=6),
        ),
        "CfC (default)": (
            build_model({"kind": "cfc", "obs_dim": FEATURES, "units": UNITS}),
            NcpsCfC(FEATURES, UNITS, proj_size=FEATURES),
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="torch threads for both")
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    print(
        f"torch {torch.__version__}, {args.threads} threads; units {UNITS}, batch {BATCH}, "
        f"steps {STEPS}, features {FEATURES}"
    )
    for device in devices:
        generator = torch.Generator().manual_seed(1)
        x = torch.randn(BATCH, STEPS, FEATURES, generator=generator).to(device)
        y = torch.randn(BATCH, STEPS, FEATURES, generator=generator).to(device)
        for name, (ours, peer) in _pairs(device).items():
            ours, peer = ours.to(device), peer.to(device)
            t_ours, t_peer = _step_times((ours, peer), x, y, args.repeats)
            print(
                f"[{device.type}] {name:16s} neurodyn {t_ours * 1e3:8.1f} ms   "
                f"ncps {t_peer * 1e3:8.1f} ms   ncps/neurodyn {t_peer / t_ours:5.2f}x"
            )


if __name__ == "__main__":
    main()
