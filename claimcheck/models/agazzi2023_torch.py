"""Full-batch GD of the Agazzi-Lu-Mukherjee Elman RNN through torch:
:func:`claimcheck.models.agazzi2023.train` on any torch device (issue 24, item 2).

Why: at large N a step is a few (M, N) x (N, N) products per time step of the window,
which a GPU runs 30-100x faster than one CPU core (measured on an H200 by an earlier
session); at tiny N it is launch-bound, so many nets are trained as one stack (R, N, N)
with batched products, as the numpy code does. Same mathematics and order of operations
as ``agazzi2023.forward`` / ``backward`` / ``gd_step`` (BPTT written out, not autograd, so
the two stay comparable step by step); ``tests/test_torch_backend.py`` holds it equal to
the numpy reference to round-off on torch's CPU device (float64).

Full-batch GD only (no minibatch SGD, no snapshots), which is what the costly claims
(A2, A4, A6) run. ``claimcheck run --device cuda`` (or ``torch-cpu``) routes those calls
of ``agazzi2023.train`` here (:mod:`.device`); SGD and snapshots stay on the CPU.
"""
from __future__ import annotations

import numpy as np

from .lam2023_torch import _torch


def train_stack(A: np.ndarray, U: np.ndarray, b: np.ndarray, W: np.ndarray, X: np.ndarray, y: np.ndarray,
                eps: float, K: int, cfg, device: str = "cpu", dtype: str = "float64") -> dict:
    """K full-batch GD steps of a stack of nets (A, U, b (R, N), W (R, N, N)) on ``device``:
    {"loss" (K+1, R), "outputs" (K+1, R, M), "A", "U", "b", "W" (the final weights)} as numpy
    arrays. ``agazzi2023.train(..., torch_device=...)`` wraps it into a Trajectory (this module
    does not import ``agazzi2023``, so the two do not import each other). ``dtype`` "float32" is
    not for the claims: over A6's 80 000 steps it moved single nets' min R/R_0 by 1-4%, a third of
    the claim's CI (``benchmarks/agazzi_float32_accuracy.py``)."""
    if cfg.batch is not None:
        raise ValueError("the torch path is full-batch GD only (cfg.batch must be None)")
    torch = _torch()
    dt = getattr(torch, dtype)
    R, N = A.shape
    M, L = X.shape

    def t(a):
        return torch.tensor(np.asarray(a, dtype=np.float64), dtype=dt, device=device)   # a copy

    A, U, b, W = t(A), t(U), t(b), t(W)
    Xt, yt = t(X), t(y)
    c = cfg.rec_scale(N)
    lr, lrW = cfg.rates(eps, N)
    bound = cfg.w_bound(N)
    bound_t = None if bound is None else t(np.broadcast_to(np.asarray(bound, float).reshape(-1, 1, 1)
                                                          if np.ndim(bound) else np.full((1, 1, 1), bound),
                                                          (R, 1, 1)))
    loss = torch.empty((K + 1, R), dtype=dt, device=device)
    outs = torch.empty((K + 1, R, M), dtype=dt, device=device)
    Ur, br = U[:, None, :], b[:, None, :]

    for k in range(K + 1):
        # forward: H[s] (R, M, N), h_0 = 0
        H = [torch.zeros((R, M, N), dtype=dt, device=device)]
        WT = W.transpose(1, 2)
        for s in range(L):
            Z = Xt[:, s : s + 1] * Ur + br
            if s > 0:
                Z = Z + c * torch.bmm(H[-1], WT)
            H.append(torch.tanh(Z))
        f = torch.bmm(H[-1], A[:, :, None])[:, :, 0] / N
        d = f - yt
        loss[k] = 0.5 * (d * d).mean(dim=-1)
        outs[k] = f
        if k == K:
            break
        # backward (agazzi2023.backward), then the step (gd_step)
        r = d / M
        gA = torch.bmm(r[:, None, :], H[-1])[:, 0, :] / N
        G = r[:, :, None] * (A / N)[:, None, :] * (1.0 - H[-1] ** 2)
        gU = torch.zeros_like(A)
        gb = torch.zeros_like(A)
        Gs, Hs = [], []
        for s in range(L, 0, -1):
            gU = gU + torch.bmm(Xt[:, s - 1][None, None, :].expand(R, 1, M), G)[:, 0, :]
            gb = gb + G.sum(dim=-2)
            if s > 1:
                Gs.append(G)
                Hs.append(H[s - 1])
                G = c * torch.bmm(G, W) * (1.0 - H[s - 1] ** 2)
        A -= lr * gA
        U -= lr * gU
        b -= lr * gb
        if Gs:
            W += (-lrW * c) * torch.bmm(torch.cat(Gs, dim=-2).transpose(1, 2), torch.cat(Hs, dim=-2))
        if bound_t is not None:
            W = torch.maximum(torch.minimum(W, bound_t), -bound_t)

    def back(a):
        return a.detach().to("cpu", torch.float64).numpy()

    return {"loss": back(loss), "outputs": back(outs), "A": back(A), "U": back(U), "b": back(b), "W": back(W)}
