"""Timing helpers shared by the benchmark scripts (imported as a sibling module)."""
import time


def matmul_gflops(dtype=None, n=4096, reps=3):
    """Rate (GFLOP/s) of ``reps`` n x n torch matmuls after one warm-up, on all threads."""
    import torch
    a = torch.randn(n, n, dtype=dtype or torch.float32)
    a @ a
    t = time.perf_counter()
    for _ in range(reps):
        a @ a
    return 2 * n**3 * reps / (time.perf_counter() - t) / 1e9


def best_of(f, x, n=3):
    """The shortest of ``n`` timed calls ``f(x)`` (seconds), after one warm-up call."""
    f(x)
    times = []
    for _ in range(n):
        t = time.perf_counter()
        f(x)
        times.append(time.perf_counter() - t)
    return min(times)
