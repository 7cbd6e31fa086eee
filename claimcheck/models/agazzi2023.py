"""Elman RNN in the mean-field regime (Agazzi, Lu, Mukherjee, ICML 2023), vectorised.

The model only: inputs from uniquely ergodic systems, the width-N network, its
population risk and gradient (BPTT written as matrix products), gradient descent with
the mean-field learning rates, and the neuronal-embedding coupling (labels shared
between widths). Claim logic lives in ``claims/agazzi2023_*.py``.

Network (width N, window L, h_0 = 0, float64)::

    z_s^i = (c_N) sum_j W^{ij} h_{s-1}^j + U^i x_s + b^i,   h_s = tanh(z_s)
    y_hat = (1/N) sum_i A^i h_L^i

with c_N = 1/N in mean-field scaling (``rec="mf"``). Gradient descent moves every weight
O(eps) per step: learning rate eps*N for A, U, b and eps*N^2 for W (``lr="mf"``), so
that step k is mean-field time t = k*eps.

Coupling (neuronal embedding): unit i carries a label row ``labels[i] = (xi_1, xi_2,
a, u, b)`` drawn i.i.d. N(0, I_5); every initial weight is a function of labels. The
width-N network takes the first N rows, so it is exactly the first N units of any
wider network on the same labels (and W[:N, :N] of its recurrent matrix). i.i.d.
recurrent weights are drawn in *square-shell order* (see :func:`nested_iid`) so that
this nesting holds for them too.

Batch dimension: the M phases of the population grid; every pass is a handful of
(M x N) @ (N x N) products, no Python loop over units. Independent nets of one width can
be trained together as a stack (:func:`stack`: a leading replicate axis on every
array), which is bit-identical to training them one at a time and saves the per-step
overhead that dominates small nets.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import numpy as np

ALPHA = (math.sqrt(5.0) - 1.0) / 2.0   # golden rotation number (badly approximable)
N_LABELS = 5                           # xi_1, xi_2, a, u, b


# -- inputs: uniquely ergodic systems, population expectations on a phase grid ---------

def phase_grid(M: int, offset: float = 0.5) -> np.ndarray:
    """Equispaced phases theta_m = (m + offset)/M: expectations over the invariant
    (Lebesgue) measure of the rotation are averages over this grid. offset=0 gives
    an interleaved grid for an out-of-grid check."""
    return (np.arange(M) + offset) / M


def rotation_inputs(M: int, L: int, alpha: float = ALPHA, offset: float = 0.5) -> np.ndarray:
    """(M, L) windows x_s = cos(2 pi (theta + s alpha)), s = 0..L-1 oldest first."""
    th = phase_grid(M, offset)[:, None] + alpha * np.arange(L)[None, :]
    return np.cos(2.0 * np.pi * th)


def sturmian_inputs(M: int, L: int, alpha: float = ALPHA, offset: float = 0.5) -> np.ndarray:
    """(M, L) windows of the Sturmian sequence s_n = floor((n+1)a + th) - floor(n a + th),
    mapped to +-1 (a uniquely ergodic subshift with the same rotation number)."""
    th = phase_grid(M, offset)[:, None]
    n = np.arange(L)[None, :]
    s = np.floor((n + 1) * alpha + th) - np.floor(n * alpha + th)
    return 2.0 * s - 1.0


INPUTS: dict[str, Callable[..., np.ndarray]] = {"rotation": rotation_inputs, "sturmian": sturmian_inputs}


def target(X: np.ndarray, name: str = "prod02") -> np.ndarray:
    """Targets with finite memory that *need* memory (not functions of x_t alone).

    prod02: y = x_t x_{t-2};  tanh3: y = tanh(x_t + 2 x_{t-1} - x_{t-2})."""
    if name == "prod02":
        return X[:, -1] * X[:, -3]
    if name == "tanh3":
        return np.tanh(X[:, -1] + 2.0 * X[:, -2] - X[:, -3])
    raise ValueError(f"unknown target {name!r}")


# -- configuration (correct model and the deliberate bugs the mutants use) ---------------

@dataclass(frozen=True)
class Config:
    """How the network is scaled and trained.

    rec: 'mf' (1/N recurrent sum) or 'sqrt' (1/sqrt(N), a bug for this regime).
    lr:  'mf' (eps*N for A, U, b; eps*N^2 for W), 'global' (eps*N for every layer), or
         'w_fixed' (W's rate hard-coded to 0.5*N^2 whatever eps: a unit bug).
    bound: if set, projected GD keeps |W| <= bound (A6); bound_sqrt scales it by 1/sqrt(N).
           A tuple gives one bound per net of a stack (see :func:`stack`).
    batch: if set, each step uses a random minibatch of that many phases (SGD, a bug
    where full-batch GD is claimed).
    """

    rec: str = "mf"
    lr: str = "mf"
    bound: float | tuple[float, ...] | None = None
    bound_sqrt: bool = False
    batch: int | None = None

    def rec_scale(self, N: int) -> float:
        return 1.0 / N if self.rec == "mf" else 1.0 / math.sqrt(N)

    def rates(self, eps: float, N: int) -> tuple[float, float]:
        """(learning rate of A, U, b; learning rate of W)."""
        if self.lr == "mf":
            return eps * N, eps * N * N
        if self.lr == "global":
            return eps * N, eps * N
        if self.lr == "w_fixed":
            return eps * N, 0.5 * N * N
        raise ValueError(self.lr)

    def w_bound(self, N: int):
        """The bound on |W| (None: unconstrained); per stacked net, shape (R, 1, 1), if a tuple."""
        if self.bound is None:
            return None
        bound = np.asarray(self.bound, float)[:, None, None] if isinstance(self.bound, tuple) else self.bound
        return bound / math.sqrt(N) if self.bound_sqrt else bound


# -- parameters and the neuronal embedding -----------------------------------------------

@dataclass
class Net:
    """Weights of one width-N network (arrays owned by the net)."""

    A: np.ndarray
    U: np.ndarray
    b: np.ndarray
    W: np.ndarray

    @property
    def N(self) -> int:
        return self.A.shape[-1]

    def copy(self) -> "Net":
        return Net(self.A.copy(), self.U.copy(), self.b.copy(), self.W.copy())

    def first(self, n: int) -> "Net":
        """The first n units (what the width-n net on the same labels starts from)."""
        return self.block(0, n)

    def block(self, start: int, n: int) -> "Net":
        """Units start..start+n-1 (their weights among themselves): by exchangeability of
        the labels, the width-n net on these labels is coupled to this net like the first n."""
        sl = slice(start, start + n)
        return Net(self.A[sl].copy(), self.U[sl].copy(), self.b[sl].copy(), self.W[sl, sl].copy())


def stack(nets: "list[Net]") -> Net:
    """R nets of the same width as one net with a leading replicate axis (trained
    together by :func:`train`; :func:`unstack` undoes it)."""
    return Net(*(np.stack([getattr(n, k) for n in nets]) for k in "AUbW"))


def unstack(net: Net) -> "list[Net]":
    return [Net(net.A[r], net.U[r], net.b[r], net.W[r]) for r in range(net.A.shape[0])]


def draw_labels(rng: np.random.Generator, N: int) -> np.ndarray:
    """(N, 5) i.i.d. N(0,1) labels, one row per unit. Rows are drawn in order, so the
    first n rows do not depend on N: width-n and width-N nets share them."""
    return rng.standard_normal((N, N_LABELS))


@lru_cache(maxsize=4)
def shell_index(n: int) -> np.ndarray:
    """(n, n) position of W[i, j] in a stream filled shell by shell (shell m = max(i, j)):
    row m columns 0..m, then column m rows 0..m-1. The first n^2 entries of the stream
    fill W[:n, :n] whatever the final size."""
    i, j = np.indices((n, n))
    m = np.maximum(i, j)
    idx = m * m + np.where(i == m, j, m + 1 + i)
    idx.setflags(write=False)  # cached: shared between calls
    return idx


def nested_iid(rng: np.random.Generator, n: int, mean: float = 0.0, sd: float = 1.0) -> np.ndarray:
    """(n, n) i.i.d. N(mean, sd^2) matrix whose top-left k x k block is the same for every
    n >= k (given the same rng state)."""
    z = rng.standard_normal(n * n)
    return mean + sd * z[shell_index(n)]


def diverse_W(labels: np.ndarray, B: float, block: int = 1024, coupled: bool = False) -> np.ndarray:
    """W_0(c, c') = B tanh(xi_1(c) xi_2(c')): a different recurrent profile per unit.

    ``coupled``: xi_2(c') = U_0(c') (label column 3), so the recurrent weight into unit c
    depends on the sending unit's input weight, hence on its state h(c'): the recurrent
    field survives the mean-field limit (with an independent xi_2 it averages to 0).
    Filled block of rows by block in place, so the peak memory is one N x N array (a
    reference of width 32768 is 8.6 GB; three temporaries of that size would not fit)."""
    xi1, xi2 = labels[:, 0], labels[:, 3 if coupled else 1]
    W = np.empty((xi1.size, xi2.size))
    for i0 in range(0, xi1.size, block):
        rows = W[i0:i0 + block]
        np.multiply.outer(xi1[i0:i0 + block], xi2, out=rows)
        np.tanh(rows, out=rows)
        rows *= B
    return W


def init_net(labels: np.ndarray, init: str = "diverse", B: float = 0.9,
             w_rng: np.random.Generator | None = None, w_mean: float = 0.0) -> Net:
    """Initial weights as functions of the labels (width = number of label rows).

    diverse:    W = B tanh(xi_1 xi_2^T); A, U, b = (a, u, b) i.i.d. N(0,1).
    coupled:    W = B tanh(xi_1 u^T) (xi_2 = U_0: the recurrent part survives the limit).
    iid:        W^{ij} i.i.d. N(w_mean, 1) (nested, from ``w_rng``); A, U, b as above.
    degenerate: every unit equal to unit 0 (W^{ij} = B tanh(xi_1(0) xi_2(0))), so the
                network is one neuron copied N times, and stays so under GD.
    A_0 ~ N(0, 1) independent of the rest: the output at t = 0 is a mean-zero
    average (1/N) sum A^i h^i, O(N^-1/2), and the limit output at t = 0 is 0.
    """
    N = labels.shape[0]
    a, u, b = labels[:, 2].copy(), labels[:, 3].copy(), labels[:, 4].copy()
    if init == "diverse":
        W = diverse_W(labels, B)
    elif init == "coupled":
        W = diverse_W(labels, B, coupled=True)
    elif init == "iid":
        if w_rng is None:
            raise ValueError("iid init needs w_rng")
        W = nested_iid(w_rng, N, mean=w_mean)
    elif init == "degenerate":
        r = labels[0]
        a, u, b = np.full(N, r[2]), np.full(N, r[3]), np.full(N, r[4])
        W = np.full((N, N), B * math.tanh(r[0] * r[1]))
    else:
        raise ValueError(f"unknown init {init!r}")
    return Net(a, u, b, W)


# -- forward, risk, gradient ----------------------------------------------------------------

def _rowvec(v: np.ndarray) -> np.ndarray:
    """A per-unit vector (N,) or stack (R, N) as a row to broadcast against (.., M, N)."""
    return v if v.ndim == 1 else v[:, None, :]


def _matvec(Hm: np.ndarray, v: np.ndarray) -> np.ndarray:
    """(M, N) @ (N,) -> (M,), or per replicate (R, M, N) @ (R, N) -> (R, M)."""
    return Hm @ v if v.ndim == 1 else np.matmul(Hm, v[:, :, None])[:, :, 0]


def _vecmat(r: np.ndarray, Hm: np.ndarray) -> np.ndarray:
    """r^T Hm: (M,) x (M, N) -> (N,), or per replicate (R, M) x (R, M, N) -> (R, N)."""
    return Hm.T @ r if Hm.ndim == 2 else np.matmul(r[:, None, :], Hm)[:, 0, :]


def _T(W: np.ndarray) -> np.ndarray:
    return np.swapaxes(W, -1, -2)


def forward(net: Net, X: np.ndarray, cfg: Config = Config()) -> tuple[np.ndarray, list[np.ndarray]]:
    """Output (M,) and hidden states [h_0 = 0, h_1, ..., h_L], each (M, N).

    A net whose arrays carry a leading replicate axis (A of shape (R, N), W of shape
    (R, N, N); see :func:`stack`) gives outputs (R, M) and states (R, M, N): R
    independent nets in one pass, so small nets are not dominated by per-call overhead."""
    M, L = X.shape
    c = cfg.rec_scale(net.N)
    WT = _T(net.W)
    H = [np.zeros(net.A.shape[:-1] + (M, net.N))]
    for s in range(L):
        Z = X[:, s:s + 1] * _rowvec(net.U) + _rowvec(net.b)
        if s > 0:  # h_0 = 0: the first recurrent field is zero
            Z += c * (H[-1] @ WT)
        H.append(np.tanh(Z))
    return _matvec(H[-1], net.A) / net.N, H


def forward_diverse_blocked(labels: np.ndarray, X: np.ndarray, B: float, cfg: Config = Config(),
                            block: int = 512) -> tuple[np.ndarray, list[np.ndarray]]:
    """:func:`forward` of the diverse initial net without storing its N x N matrix: W is
    rebuilt from the labels block of rows by block (memory O(block N)), so a reference of
    width 16 x 2048 fits in memory. Same numbers as forward(init_net(labels)) up to
    summation order."""
    N = labels.shape[0]
    M, L = X.shape
    c = cfg.rec_scale(N)
    xi1, xi2, A, U, b = (labels[:, k] for k in range(N_LABELS))
    H = [np.zeros((M, N))]
    for s in range(L):
        Z = X[:, s:s + 1] * U + b
        if s > 0:
            for i0 in range(0, N, block):
                Wb = B * np.tanh(np.outer(xi1[i0:i0 + block], xi2))
                Z[:, i0:i0 + block] += c * (H[-1] @ Wb.T)
        H.append(np.tanh(Z))
    return H[-1] @ A / N, H


def recurrent_fields(net: Net, H: list[np.ndarray], cfg: Config = Config()) -> list[np.ndarray]:
    """The recurrent fields c_N sum_j W^{ij} h_{s-1}^j for s = 2..L, each (M, N)."""
    c = cfg.rec_scale(net.N)
    return [c * (h @ net.W.T) for h in H[1:-1]]


def risk(f: np.ndarray, y: np.ndarray, idx: np.ndarray | None = None):
    """Population risk R = 1/2 E[(y_hat - y)^2] over the phase grid (or a minibatch);
    one value per replicate for stacked outputs (R, M)."""
    d = f - y if idx is None else f[..., idx] - y[idx]
    if d.ndim == 1:
        return 0.5 * float(np.mean(d * d))
    return 0.5 * np.mean(d * d, axis=-1)


@dataclass
class Grad:
    """Gradient of R with the W part in factored form gW = scale * Gs^T Hs (Gs, Hs of
    shape (M (L-1), N)): the update of W is then one rank-M(L-1) product added in place."""

    A: np.ndarray
    U: np.ndarray
    b: np.ndarray
    Gs: np.ndarray
    Hs: np.ndarray
    scale: float

    def dense_W(self) -> np.ndarray:
        return self.scale * (_T(self.Gs) @ self.Hs)


def backward(net: Net, X: np.ndarray, y: np.ndarray, cfg: Config = Config(),
             idx: np.ndarray | None = None) -> tuple[Grad, float, np.ndarray]:
    """(gradient of R, R, outputs) by backpropagation through time.

    The backward pass carries the same c_N average with W transposed; the W gradient of
    all time steps is kept as the stacked deltas and the stacked h_{s-1}."""
    if idx is not None:
        X, y = X[idx], y[idx]
    M, L = X.shape
    N = net.N
    c = cfg.rec_scale(N)
    f, H = forward(net, X, cfg)
    r = (f - y) / M                                   # dR/df
    gA = _vecmat(r, H[-1]) / N
    G = r[..., :, None] * (net.A / N)[..., None, :] * (1.0 - H[-1] ** 2)   # dR/dz_L
    gU = np.zeros(net.A.shape)
    gb = np.zeros(net.A.shape)
    Gs, Hs = [], []
    for s in range(L, 0, -1):                         # z_s uses x[:, s-1] and h_{s-1}
        gU += X[:, s - 1] @ G
        gb += G.sum(axis=-2)
        if s > 1:
            Gs.append(G)
            Hs.append(H[s - 1])
            G = c * (G @ net.W) * (1.0 - H[s - 1] ** 2)
    if not Gs:
        Gs = Hs = [np.zeros(net.A.shape[:-1] + (1, N))]
    return Grad(gA, gU, gb, np.concatenate(Gs, axis=-2), np.concatenate(Hs, axis=-2), c), risk(f, y), f


def gradients(net: Net, X: np.ndarray, y: np.ndarray, cfg: Config = Config(),
              idx: np.ndarray | None = None) -> tuple[Net, float, np.ndarray]:
    """(gradient of R as a dense Net, R, outputs): :func:`backward` with gW formed."""
    g, R, f = backward(net, X, y, cfg, idx)
    return Net(g.A, g.U, g.b, g.dense_W()), R, f


def gd_step(net: Net, g: "Grad | Net", eps: float, cfg: Config = Config()) -> None:
    """One (projected) gradient-descent step in place with the configured rates.

    With a factored gradient the W update is a single BLAS product accumulated into W
    (no N x N temporaries)."""
    lr, lrW = cfg.rates(eps, net.N)
    net.A -= lr * g.A
    net.U -= lr * g.U
    net.b -= lr * g.b
    if isinstance(g, Grad):
        _add_outer(net.W, -lrW * g.scale, g.Gs, g.Hs)
    else:
        net.W -= lrW * g.W
    bound = cfg.w_bound(net.N)
    if bound is not None:
        np.clip(net.W, -bound, bound, out=net.W)


def _add_outer(W: np.ndarray, alpha: float, G: np.ndarray, H: np.ndarray) -> None:
    """W += alpha G^T H in place (dgemm with beta = 1 on the F-ordered view W^T)."""
    if W.ndim == 2 and W.flags.c_contiguous and W.dtype == np.float64:
        from scipy.linalg.blas import dgemm

        out = dgemm(alpha, H, G, beta=1.0, c=W.T, trans_a=True, overwrite_c=True)
        if not np.shares_memory(out, W):  # BLAS wrapper made a copy: write it back
            W[...] = out.T
    else:
        W += alpha * (_T(G) @ H)


@dataclass
class Trajectory:
    """What a training run records: loss and outputs at every step; snapshots of the
    weights (by default the first ``keep`` units) at the record steps."""

    steps: np.ndarray            # record steps k (time t = k * eps) of the snapshots
    loss: np.ndarray             # (K+1,) full-batch risk at every step k = 0..K ((K+1, R) stacked)
    outputs: np.ndarray          # (K+1, M) network outputs on the phase grid at every step
    params: list                 # snapshots at the record steps (empty if none asked)
    final: Net


def train(net: Net, X: np.ndarray, y: np.ndarray, eps: float, K: int, cfg: Config = Config(),
          record: np.ndarray | None = None, keep: int = 0,
          rng: np.random.Generator | None = None,
          snapshot: Callable[[Net], object] | None = None, copy: bool = True,
          compiled: bool | None = None, torch_device: str | None = None) -> Trajectory:
    """K steps of GD from ``net`` (copied unless copy=False: a large reference is then
    trained in place, with one N x N array in memory). At the ``record`` steps
    (default: every step) ``snapshot(net)`` is stored (default: the first ``keep``
    units, nothing if keep=0). ``rng`` draws the minibatches when cfg.batch is set
    (SGD); full-batch GD uses no randomness.

    ``compiled``: None (default) runs full-batch GD of width N <= COMPILED_MAX_N in the
    numba kernels of :mod:`agazzi2023_kernels` (per-step numpy overhead dominates small
    nets; same numbers to round-off), False forces the numpy reference below, True the
    kernels at any width (not for SGD). ``torch_device`` runs ``agazzi2023_torch`` there (full
    batch, no snapshots; same numbers to round-off); by default full-batch runs without
    snapshots follow the process's device (:mod:`.device`, ``claimcheck run --device``)."""
    M = X.shape[0]
    rec = np.arange(K + 1) if record is None else np.asarray(record, int)
    rec_set = set(int(k) for k in rec)
    if snapshot is None and keep:
        snapshot = lambda n: n.first(keep)  # noqa: E731
    if torch_device is None and compiled is None and snapshot is None and cfg.batch is None:
        from . import device

        if device.current() != device.CPU:
            torch_device = device.torch_name(device.current())
    if torch_device is not None:
        if snapshot is not None:
            raise ValueError("the torch path keeps no snapshots (snapshot and keep must be unset)")
        return _train_torch(net, X, y, eps, K, cfg, rec, copy, torch_device)
    if copy:
        net = net.copy()
    loss = np.empty((K + 1,) + net.A.shape[:-1])   # (K+1,) or (K+1, R) for stacked nets
    outs = np.empty((K + 1,) + net.A.shape[:-1] + (M,))
    params: list = []
    if compiled is None:
        compiled = cfg.batch is None and net.N <= COMPILED_MAX_N
    if compiled:
        if cfg.batch is not None:
            raise ValueError("the compiled path is full-batch GD only (cfg.batch must be None)")
        _train_compiled(net, X, y, eps, K, cfg, loss, outs, sorted(rec_set) if snapshot is not None else [],
                        snapshot, params)
        return Trajectory(rec, loss, outs, params, net)
    for k in range(K + 1):
        if k < K and cfg.batch is not None:
            idx = np.sort(rng.choice(M, size=cfg.batch, replace=False))
            g, _, _ = backward(net, X, y, cfg, idx)
            f, _ = forward(net, X, cfg)
            loss[k] = risk(f, y)
        elif k < K:
            g, loss[k], f = backward(net, X, y, cfg)
        else:
            f, _ = forward(net, X, cfg)
            loss[k] = risk(f, y)
        outs[k] = f
        if snapshot is not None and k in rec_set:
            params.append(snapshot(net))
        if k < K:
            gd_step(net, g, eps, cfg)
    return Trajectory(rec, loss, outs, params, net)


def _train_torch(net: Net, X: np.ndarray, y: np.ndarray, eps: float, K: int, cfg: Config, rec: np.ndarray,
                 copy: bool, torch_device: str) -> Trajectory:
    """:func:`train` through ``agazzi2023_torch`` (a stack, or one net as a stack of one)."""
    from .agazzi2023_torch import train_stack

    single = net.A.ndim == 1
    st = stack([net]) if single else net
    out = train_stack(st.A, st.U, st.b, st.W, X, y, eps, K, cfg, device=torch_device)
    final = Net(out["A"], out["U"], out["b"], out["W"])
    loss, outs = out["loss"], out["outputs"]
    if single:
        final, loss, outs = unstack(final)[0], loss[:, 0], outs[:, 0]
    if not copy:                          # trained in place, as the CPU paths do
        for k in ("A", "U", "b", "W"):
            getattr(net, k)[...] = getattr(final, k)
        final = net
    return Trajectory(rec, loss, outs, [], final)


COMPILED_MAX_N = 256
"""Widest net :func:`train` runs in the compiled kernels by default: single net, CPU us per
step numpy -> compiled 129 -> 56 at N = 64, 276 -> 182 at 128, 885 -> 751 at 256, a tie at
512 and slower beyond (benchmarks/README.md, issue 24)."""


def _train_compiled(net: Net, X: np.ndarray, y: np.ndarray, eps: float, K: int, cfg: Config,
                    loss: np.ndarray, outs: np.ndarray, snap_steps: list, snapshot, params: list) -> None:
    """:func:`train`'s loop in the numba kernels, in place on ``net``, in stretches between
    the snapshot steps (``snapshot(net)`` runs in Python at each of them)."""
    from . import agazzi2023_kernels as kern

    N = net.N
    R = int(np.prod(net.A.shape[:-1], dtype=int))
    views = [np.ascontiguousarray(getattr(net, k), dtype=np.float64).reshape((R, N) if k != "W" else (R, N, N))
             for k in "AUbW"]
    lr, lrW = cfg.rates(eps, N)
    bound = cfg.w_bound(N)
    bounds = np.full(R, -1.0) if bound is None else np.broadcast_to(np.asarray(bound, float).reshape(-1), (R,)).copy()
    XT = np.ascontiguousarray(X.T, dtype=np.float64)
    yc = np.ascontiguousarray(y, dtype=np.float64)
    loss2, outs3 = loss.reshape(K + 1, R), outs.reshape(K + 1, R, X.shape[0])

    def write_back():  # views that are copies (non-contiguous or non-float64 weights)
        for k, v in zip("AUbW", views):
            arr = getattr(net, k)
            if not np.shares_memory(arr, v):
                arr[...] = v.reshape(arr.shape)

    k0 = 0
    for ks in [k for k in snap_steps if 0 <= k <= K]:
        kern.train_steps(*views, XT, yc, float(cfg.rec_scale(N)), float(lr), float(lrW), bounds, k0, ks, K,
                         loss2, outs3)
        write_back()
        params.append(snapshot(net))
        k0 = ks
    kern.train_steps(*views, XT, yc, float(cfg.rec_scale(N)), float(lr), float(lrW), bounds, k0, K + 1, K,
                     loss2, outs3)
    write_back()


# -- coupling errors between a width-N net and a reference on the same labels ---------------

def param_rms(a: Net, b: Net) -> float:
    """RMS difference of per-unit parameters (A, U, b) and recurrent weights of two nets
    of the same width: sqrt(mean over units of |dA|^2+|dU|^2+|db|^2 + mean over pairs |dW|^2)."""
    unit = np.mean((a.A - b.A) ** 2 + (a.U - b.U) ** 2 + (a.b - b.b) ** 2)
    return float(np.sqrt(unit + np.mean((a.W - b.W) ** 2)))


def nested_correction(N: int, N_ref: int) -> float:
    """Factor turning |f_N - f_ref| into an estimate of |f_N - f_inf|.

    With nested labels the leading fluctuation is a linear functional of the empirical
    measure of labels, and for nested sample means Var(f_N - f_ref) = s^2 (1/N - 1/N_ref):
    divide by sqrt(1 - N/N_ref) (1 at N << N_ref, 1.033 at N = N_ref/16)."""
    return 1.0 / math.sqrt(1.0 - N / N_ref)


__all__ = ["ALPHA", "Config", "Net", "Grad", "Trajectory", "INPUTS", "rotation_inputs", "sturmian_inputs",
           "target", "phase_grid", "stack", "unstack", "draw_labels", "shell_index", "nested_iid", "diverse_W", "init_net", "forward",
           "forward_diverse_blocked", "recurrent_fields", "risk", "backward", "gradients", "gd_step", "train",
           "param_rms", "nested_correction", "COMPILED_MAX_N"]
