"""claimcheck.models.inplace: the in-place rank-k update and the buffered distance equal the
plain numpy expressions to round-off, and the update really writes into W (no copy)."""
import numpy as np

from claimcheck.models.inplace import add_outer, squared_distances


def test_add_outer_updates_w_in_place_as_the_numpy_expression():
    g = np.random.default_rng(0)
    W = g.standard_normal((37, 23))
    G, H = g.standard_normal((5, 37)), g.standard_normal((5, 23))
    want = W + (-0.3) * (G.T @ H)
    add_outer(W, -0.3, G, H)
    np.testing.assert_allclose(W, want, rtol=1e-13, atol=1e-13)


def test_add_outer_allocates_no_matrix_of_ws_size():
    """The point of the helper: the numpy expression allocates an n x n product (and a copy
    written back would too); numpy reports its allocations to tracemalloc."""
    import tracemalloc

    g = np.random.default_rng(3)
    W = g.standard_normal((512, 512))              # 2 MB
    G, H = g.standard_normal((8, 512)), g.standard_normal((8, 512))
    tracemalloc.start()
    try:
        W -= 0.1 * (G.T @ H)                       # the old form: the check can see a temporary
        _, peak_numpy = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        add_outer(W, -0.1, G, H)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak_numpy >= W.nbytes
    assert peak < W.nbytes / 4


def test_add_outer_on_views_of_a_stack_and_non_contiguous_matrices():
    g = np.random.default_rng(1)
    stack = g.standard_normal((3, 16, 16))
    G, H = g.standard_normal((4, 16)), g.standard_normal((4, 16))
    want = stack.copy()
    want[1] += 2.0 * (G.T @ H)
    add_outer(stack[1], 2.0, G, H)                  # a C-contiguous view: dgemm writes into the stack
    np.testing.assert_allclose(stack, want, rtol=1e-13, atol=1e-13)
    Wt = g.standard_normal((16, 16)).T              # F-ordered: the numpy fallback
    want = Wt + (G.T @ H)
    add_outer(Wt, 1.0, G, H)
    np.testing.assert_allclose(Wt, want, rtol=1e-13, atol=1e-13)
    W32 = g.standard_normal((16, 16)).astype(np.float32)
    want = W32 + (G.T @ H).astype(np.float32)
    add_outer(W32, 1.0, G.astype(np.float32), H.astype(np.float32))
    assert W32.dtype == np.float32
    np.testing.assert_allclose(W32, want, rtol=1e-5, atol=1e-5)


def test_squared_distances_per_replicate_with_and_without_a_buffer():
    g = np.random.default_rng(2)
    a, b = g.standard_normal((4, 9, 7)), g.standard_normal((4, 9, 7))
    want = ((a - b) ** 2).reshape(4, -1).sum(axis=1)
    np.testing.assert_allclose(squared_distances(a, b), want, rtol=1e-13)
    buf = np.empty_like(a)
    np.testing.assert_allclose(squared_distances(a, b, buf), want, rtol=1e-13)
    np.testing.assert_allclose(buf, a - b)
