"""The trained Lam et al. RNN through torch: :func:`claimcheck.models.lam2023.train` on any
torch device (issue 24, item 2).

Why: on a CPU the trained network costs N T steps of O(N) work per path (N^2 per path at
T = 1), ~1100 CPU s for lazy-parameters' full grid even compiled; on a GPU every step is a
handful of element-wise kernels over all (path, unit) pairs at once, so one launch
serves 512 paths x 16 384 units. The recursion is ``lam2023.train_step`` line by line,
vectorised over paths (rows) and units (columns); the numpy code stays the reference, and
``tests/test_torch_backend.py`` holds this path equal to it to round-off on torch's CPU
device (float64), so CI needs no GPU.

``claimcheck run --device cuda`` (or ``torch-cpu``) routes ``lam2023.train`` here
(:mod:`.device`); rows are stored per device. ``benchmarks/gpu_backend.py`` times it on a
lent GPU.

torch is optional (``pip install -e '.[gpu]'``): imported on first use only.
"""
from __future__ import annotations

import numpy as np


def _torch():
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError("the torch backend needs PyTorch: pip install -e '.[gpu]'") from exc
    return torch


def _psi(torch, u):
    """lam2023.psi: identity on [-1, 1], sign(u)(1 + tanh(|u| - 1)) outside."""
    au = u.abs()
    return torch.where(au <= 1.0, u, torch.sign(u) * (1.0 + torch.tanh(au - 1.0)))


def train_paths(X: np.ndarray, Y: np.ndarray, W: np.ndarray, B: np.ndarray, C: np.ndarray, cfg, steps: int,
                track_moves: bool = True, track_path: bool = False, device: str = "cpu",
                dtype: str = "float64") -> dict:
    """``lam2023.train``'s recursion on a torch ``device`` for inputs X and targets Y (P, >= steps):
    the :class:`lam2023.TrainRun` fields but B and steps, as numpy arrays (``lam2023.train(...,
    backend="torch")`` wraps them; this module does not import ``lam2023``, so the two do not
    import each other). W and C are copied; B is updated in place only by the control
    ``b_lr_exponent``, as in the reference. ``dtype`` "float32" only where an accuracy test has
    shown the claim's statistic unchanged (issue 24, item 3): shown for lazy-parameters' max_move
    (``benchmarks/lam_float32_accuracy.py``: 1e-4 of a path's value at N = 16 384), for no other
    claim; no claim asks for it yet."""
    torch = _torch()
    dt = getattr(torch, dtype)
    P, n = W.shape
    steps = int(steps)

    def t(a):
        return torch.tensor(np.asarray(a, dtype=np.float64), dtype=dt, device=device)   # a copy

    X = t(X[:, : max(steps, 1)])
    Y = t(Y[:, : max(steps, 1)])
    Wt, Bt, Ct = t(W), t(B), t(C)
    W0, C0 = Wt.clone(), Ct.clone()
    scale, th, lr = cfg.out_scale(n), cfg.threshold(n), cfg.lr(n)
    b_rate = None if cfg.b_lr_exponent is None else cfg.alpha * float(n) ** cfg.b_lr_exponent

    S = torch.sigmoid(Wt * X[:, :1])
    clip_any = torch.zeros(P, dtype=torch.bool, device=device)
    clip_n = torch.zeros(P, dtype=dt, device=device)
    move = torch.zeros(P, dtype=dt, device=device)
    m_path = torch.empty((P, steps), dtype=dt, device=device) if track_path else None
    y_path = torch.empty((P, steps), dtype=dt, device=device) if track_path else None
    y0 = m = None
    for k in range(steps):
        x = X[:, k : k + 1]
        m = (Bt * S).sum(dim=1) / n
        s = torch.sigmoid(Wt * x + m[:, None])
        y = scale * (Ct * s).sum(dim=1)
        active = y.abs() > th
        e = cfg.error_sign * (Y[:, k] - th * _psi(torch, y / th))
        g = (lr * scale * e)[:, None]
        if cfg.train_w:
            Wt += g * Ct * (s * (1.0 - s)) * x
        if b_rate is not None:
            Bt += (b_rate * scale * e)[:, None] * s
        Ct += g * s
        S = s
        if track_path:
            m_path[:, k] = m
            y_path[:, k] = y
        if k == 0:
            y0 = y.clone()
        clip_any |= active
        clip_n += active.to(dt)
        if track_moves:
            dc = (Ct - C0).abs().amax(dim=1)
            dw = (Wt - W0).abs().amax(dim=1)
            move = torch.maximum(move, torch.maximum(dc, dw))

    def back(a):
        return None if a is None else a.detach().to("cpu", torch.float64).numpy()

    if b_rate is not None:
        B[...] = back(Bt)
    return {"C0": back(C0), "W0": back(W0), "C": back(Ct), "W": back(Wt), "y0": back(y0),
            "clip_any": back(clip_any).astype(bool), "clip_frac": back(clip_n) / max(steps, 1),
            "max_move": back(move), "final_m": back(m), "m_path": back(m_path), "y_path": back(y_path)}
