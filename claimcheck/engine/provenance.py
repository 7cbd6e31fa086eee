"""What produced a result: versions, commit, machine, seeds, times."""
from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata

PACKAGES = ("claimcheck", "numpy", "scipy", "pot", "statsmodels", "distributed", "matplotlib", "jinja2")


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def git_state(cwd: str | None = None) -> dict:
    def run(*args):
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=5)
    try:
        head = run("rev-parse", "HEAD")
        if head.returncode != 0:
            return {"commit": None}
        dirty = run("status", "--porcelain", "--untracked-files=no").stdout.strip() != ""
        return {"commit": head.stdout.strip(), "dirty": dirty}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None}


def blas() -> dict:
    """numpy's BLAS (name, version, build configuration) and the environment that picks
    its kernel and threads: results agree across BLAS code paths only to round-off
    (README, "Reproducibility"), so the path belongs to a result's provenance."""
    info: dict = {}
    try:
        import numpy as np

        cfg = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        info = {k: cfg.get(k) for k in ("name", "version", "openblas configuration") if cfg.get(k)}
    except Exception:  # noqa: BLE001 - older numpy without mode="dicts"
        pass
    env = {v: os.environ[v] for v in ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                      "MKL_NUM_THREADS", "MKL_CBWR") if v in os.environ}
    return {**info, "env": env}


def collect(**extra) -> dict:
    return {
        "python": sys.version.split()[0],
        "packages": {p: _version(p) for p in PACKAGES if _version(p)},
        "blas": blas(),
        "git": git_state(),
        "machine": {"node": platform.node(), "system": platform.system(), "machine": platform.machine(),
                    "processor": platform.processor(), "cpus": os.cpu_count()},
        **extra,
    }
