"""``--device`` of ``claimcheck run`` and ``calibrate``: checked once before measuring, handed
to the workers through the environment, and part of the key the rows are stored under
(:mod:`claimcheck.models.device` says where the models read it)."""
from __future__ import annotations

import contextlib
import os


def checked_device(dev: str | None, scheduler: str | None = None) -> str:
    """``dev`` if this machine can run it, else ValueError in one line (before any measurement)."""
    from ..models import device

    dev = device.check(dev or device.CPU)
    if dev != device.CPU and scheduler:
        raise ValueError(f"--device {dev} with --scheduler: the Dask workers do not inherit it; set "
                         f"{device.ENV}={dev} in the workers' environment and run with --device cpu")
    return dev


@contextlib.contextmanager
def device_env(dev: str):
    """``CLAIMCHECK_DEVICE`` for one run: the in-process executor reads it, spawned workers
    inherit it; restored afterwards."""
    from ..models import device

    before = os.environ.get(device.ENV)
    os.environ[device.ENV] = dev
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(device.ENV, None)
        else:
            os.environ[device.ENV] = before


def device_version(version: str, dev: str) -> str:
    """The key a claim's rows are stored under on ``dev``: its version on the CPU, the version
    and the device elsewhere (a GPU's round-off is not the CPU's: rows never mix)."""
    return version if dev == "cpu" else f"{version}@{dev}"
