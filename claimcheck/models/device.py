"""Where the simulators' heavy loops run: ``cpu`` (numpy and the numba kernels: the default)
or a torch device (``cuda``, ``cuda:1``, ..., or ``torch-cpu``: the torch code on the CPU,
which tests that path where there is no GPU).

Why an environment variable: ``claimcheck run --device`` sets ``CLAIMCHECK_DEVICE`` before
its worker processes start, and they inherit it, so the claims need no device argument and
a claim file runs unchanged on either. The models read it per call
(``lam2023.train``, ``agazzi2023.train``); the runner keys stored rows by it, so a GPU row is
never reused as a CPU one.
"""
from __future__ import annotations

import os

ENV = "CLAIMCHECK_DEVICE"
CPU = "cpu"


def current() -> str:
    """The device of this process: ``CLAIMCHECK_DEVICE`` or ``cpu``."""
    return os.environ.get(ENV, "").strip() or CPU


def torch_name(device: str) -> str:
    """The torch device string of a claimcheck device (``torch-cpu`` -> ``cpu``)."""
    return "cpu" if device == "torch-cpu" else device


def check(device: str) -> str:
    """``device`` if this machine can run it, else ValueError in one line: an unknown name,
    torch missing, or no such GPU (asked before any measurement, not in every worker)."""
    device = (device or CPU).strip()
    if device == CPU:
        return device
    if device != "torch-cpu" and not (device == "cuda" or device.startswith("cuda:")):
        raise ValueError(f"unknown device {device!r}: cpu, cuda, cuda:N or torch-cpu")
    try:
        import torch
    except ImportError:
        raise ValueError(f"--device {device} needs PyTorch: pip install -e '.[gpu]'") from None
    if device != "torch-cpu":
        index = int(device.split(":")[1]) if ":" in device else 0
        if not torch.cuda.is_available() or index >= torch.cuda.device_count():
            raise ValueError(f"--device {device}: no such CUDA device here "
                             f"({torch.cuda.device_count()} visible); --device cpu runs on the CPU")
    return device
