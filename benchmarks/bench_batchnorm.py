"""Time bnref's batch normalization, forward and backward, against one ``x.copy()``.

Run as ``python benchmarks/bench_batchnorm.py [--json PATH]``. This is a benchmark, not a
test: it asserts nothing and prints a table. Each case is timed with ``timeit``: samples of
about 50 ms (``number`` calls each), taken in rounds that time every case of a shape once in
turn, so that a change of load on a shared machine hits the copy and the cases alike. The
table gives the median and the minimum time per call, and each as a ratio to the same
statistic of one ``x.copy()`` of the same array: the memory-traffic floor (read the batch once,
write it once). The ratio says roughly how many passes over the data a call costs.

Two public pairs are timed. "forward + exact vjp" is the one a training step uses:
``bnref.batch_norm_forward``, which returns ``y`` and the record ``saved`` (``x - μ`` and
``s``), then ``bnref.batch_norm_backward`` on that record. The rows "batch_norm",
"batch_norm_vjp" and "batch_norm + batch_norm_vjp" time the older pair, whose VJP takes ``x``
and recomputes the mean, ``x - μ`` and the variance; "forward" and "exact backward" time the
halves of the new pair alone (the backward on a record saved once, outside the timing).

For batches of at least ``bnref._compiled.MIN_VALUES`` values bnref runs its passes over the
batch as compiled loops when numba is installed (``bnref[fast]``; the ``bench`` session installs
it): the same arithmetic in fewer passes, bit for bit the numpy code's results. The line
"compiled" of the environment says whether they take the benchmark's batches; the row
"  numpy code" times the pair with them switched off, as bnref runs without numba. Each case is
called once before it is timed, which compiles the loops for the arguments it passes them.

Issue 2's target: forward + exact VJP (validation included) within 10x of one copy at
``(m, d) = (4096, 512)``.

Every timed call, like the copy, frees its results before the next one allocates, so glibc's
malloc hands back the same pages. "the same, y held" keeps the forward's output alive during
the backward pass, as a training step does. Two (m, d) arrays freed together (the old pair's
"y held", or the new pair's record and ``dx``) can make malloc return its free pages to the
system after each call and fault them in again in the next, which is the allocator's cost, not
bnref's (``MALLOC_MMAP_THRESHOLD_=1000000000 MALLOC_TRIM_THRESHOLD_=1000000000`` in the
environment removes it).

PyTorch, when it is importable, adds the case "torch fwd + bwd": the same data through
``torch.ops.aten.native_batch_norm`` (training mode) and ``native_batch_norm_backward``, the
CPU kernels behind ``torch.nn.functional.batch_norm`` and its autograd backward, in float64 on
one thread (``torch.set_num_threads(1)``); "torch autograd" times the same through
``torch.nn.functional.batch_norm(training=True)`` and ``torch.autograd.grad``. The line
"bnref / torch" compares "forward + exact vjp" with "torch fwd + bwd", and "old pair / torch"
the older pair (issue 11's target: bnref within 1.6x). The ``bench`` session does not install
torch; to get these lines, run this file from an environment that has bnref's dependencies and
torch, e.g.::

    uv venv /tmp/torchenv && uv pip install --python /tmp/torchenv torch numpy threadpoolctl numba
    PYTHONPATH=. /tmp/torchenv/bin/python benchmarks/bench_batchnorm.py

(plain PyPI ``torch``; its CUDA libraries are downloaded but not used). numpy's BLAS is held to
one thread too when ``threadpoolctl`` is importable; the timed bnref code calls no BLAS routine.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import sys
import timeit
from collections.abc import Callable
from typing import Any

import numpy as np

import bnref
from bnref import _compiled

try:  # optional: the "torch fwd + bwd" column
    import torch
except ImportError:  # pragma: no cover - depends on the environment
    torch = None

SHAPES = [(256, 1024), (4096, 512)]
PAIR = "forward + exact vjp"  # batch_norm_forward + batch_norm_backward: a training step's pair
OLD_PAIR = "batch_norm + batch_norm_vjp"
TARGET = ((4096, 512), PAIR, 10.0)
TORCH_TARGET = 1.6  # issue 11: bnref's forward + backward within 1.6x of PyTorch's kernels
TORCH_CASE = "torch fwd + bwd"
TORCH_AUTOGRAD = "  torch autograd"
WIDTH = len(OLD_PAIR)  # of the case column


def one_thread() -> object:
    """Hold numpy's BLAS (threadpoolctl, if installed) and torch to one thread each."""
    if torch is not None:
        torch.set_num_threads(1)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    return threadpool_limits(limits=1)


def torch_case(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, dy: np.ndarray) -> Any:
    """PyTorch's CPU forward + backward (training mode, float64) on the same arrays."""
    assert torch is not None
    tx, tdy = torch.from_numpy(x), torch.from_numpy(dy)
    tgamma, tbeta = torch.from_numpy(gamma), torch.from_numpy(beta)
    aten = torch.ops.aten
    mask = [True, True, True]

    def forward_backward() -> object:
        y, mean, invstd = aten.native_batch_norm(tx, tgamma, tbeta, None, None, True, 0.1, 1e-5)
        del y  # freed before the backward allocates, like bnref's case
        return aten.native_batch_norm_backward(
            tdy, tx, tgamma, None, None, mean, invstd, True, 1e-5, mask
        )

    return forward_backward


def torch_autograd_case(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, dy: np.ndarray) -> Any:
    """The same through the public API: ``F.batch_norm(training=True)`` and ``autograd.grad``."""
    assert torch is not None
    leaves = [torch.from_numpy(a).requires_grad_() for a in (x, gamma, beta)]
    tdy = torch.from_numpy(dy)

    def forward_backward() -> object:
        tx, tgamma, tbeta = leaves
        y = torch.nn.functional.batch_norm(tx, None, None, tgamma, tbeta, training=True)
        return torch.autograd.grad(y, leaves, tdy)

    return forward_backward


def environment() -> dict[str, Any]:
    """What a reader needs to reproduce the figures: versions, BLAS, threads and load."""
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    threads = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    return {
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "bnref": bnref.__version__,
        # The timed code calls no BLAS routine; recorded in case that changes.
        "blas": f"{blas.get('name')} {blas.get('version')}",
        "machine": f"{platform.system()} {platform.machine()} {platform.processor()}".strip(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "thread_env": {name: os.environ.get(name) for name in threads},
        "load_avg": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "openblas_env": {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS_")},
        "torch": None
        if torch is None
        else f"{torch.__version__}, {torch.get_num_threads()} thread",
        "compiled": compiled(),
    }


def compiled() -> str:
    """Whether bnref's compiled loops take batches of the benchmark's shapes, and why not."""
    if importlib.util.find_spec("numba") is None:
        return "no (numba is not installed): bnref runs its numpy code"
    if any(_compiled.loops(np.ones(shape)) is None for shape in SHAPES):
        return "no (numba cannot run them here; see the warning above): the numpy code"
    import numba

    return f"yes, numba {numba.__version__}, for batches of {_compiled.MIN_VALUES:,} values or more"


def numpy_code(func: Callable[[], object]) -> Callable[[], object]:
    """``func`` with bnref's compiled loops switched off: bnref as it runs without numba."""

    def run() -> object:
        enabled, _compiled.ENABLED = _compiled.ENABLED, False
        try:
            return func()
        finally:
            _compiled.ENABLED = enabled

    return run


def cases(m: int, d: int) -> dict[str, Callable[[], object]]:
    """The timed calls at one shape: float64, standard normal data, default ``eps``."""
    rng = np.random.default_rng(0)
    x, dy = rng.standard_normal((2, m, d))
    gamma, beta = rng.standard_normal((2, d))

    def forward_then_backward() -> object:
        y, saved = bnref.batch_norm_forward(x, gamma, beta)
        del y  # freed here, so the backward pass reuses its pages
        return bnref.batch_norm_backward(dy, gamma, saved)

    def forward_and_backward_held() -> object:
        y, saved = bnref.batch_norm_forward(x, gamma, beta)
        return y, bnref.batch_norm_backward(dy, gamma, saved)

    def forward_then_vjp() -> object:
        bnref.batch_norm(x, gamma, beta)  # y is freed here, so the VJP reuses its pages
        return bnref.batch_norm_vjp(x, gamma, beta, dy)

    def forward_and_vjp_held() -> object:
        return bnref.batch_norm(x, gamma, beta), bnref.batch_norm_vjp(x, gamma, beta, dy)

    _, saved = bnref.batch_norm_forward(x, gamma, beta)  # for the backward pass timed alone
    timed: dict[str, Callable[[], object]] = {
        "x.copy()": x.copy,
        "forward": lambda: bnref.batch_norm_forward(x, gamma, beta),
        "exact backward": lambda: bnref.batch_norm_backward(dy, gamma, saved),
        "naive backward": lambda: bnref.batch_norm_backward(dy, gamma, saved, through_stats=False),
        PAIR: forward_then_backward,
        "  the same, y held": forward_and_backward_held,
        "  numpy code": numpy_code(forward_then_backward),
        "batch_norm": lambda: bnref.batch_norm(x, gamma, beta),
        "batch_norm_vjp": lambda: bnref.batch_norm_vjp(x, gamma, beta, dy),
        "  naive": lambda: bnref.batch_norm_vjp(x, gamma, beta, dy, through_stats=False),
        OLD_PAIR: forward_then_vjp,
        "  old pair, y held": forward_and_vjp_held,
    }
    if torch is not None:
        timed[TORCH_AUTOGRAD] = torch_autograd_case(x, gamma, beta, dy)
        timed[TORCH_CASE] = torch_case(x, gamma, beta, dy)
    return timed


def measure(funcs: dict[str, Callable[[], object]], rounds: int) -> dict[str, np.ndarray]:
    """Seconds per call of each function: one sample of about 50 ms per function per round."""
    timers = {name: timeit.Timer(func) for name, func in funcs.items()}
    numbers = {}
    for name, timer in timers.items():
        funcs[name]()  # compiles numba's loops for each kind of argument the case passes them
        number, elapsed = timer.autorange()  # also warms up caches and the allocator
        numbers[name] = max(1, round(number * 0.05 / elapsed))
    samples: dict[str, list[float]] = {name: [] for name in funcs}
    for _ in range(rounds):
        for name, timer in timers.items():
            samples[name].append(timer.timeit(numbers[name]) / numbers[name])
    return {name: np.array(times) for name, times in samples.items()}


def torch_ratios(times: dict[str, np.ndarray], m: int, d: int) -> list[dict[str, Any]]:
    """Print and return the lines "bnref / torch" (the new pair) and "old pair / torch"."""
    theirs = times[TORCH_CASE]
    out = []
    for label, ours in (("bnref / torch", times[PAIR]), ("old pair / torch", times[OLD_PAIR])):
        ratio = np.median(ours) / np.median(theirs), ours.min() / theirs.min()
        out.append({"case": label, "m": m, "d": d, "ratio_median": ratio[0], "ratio_min": ratio[1]})
        print(
            f"{label:{WIDTH}s} {f'({m}, {d})':>12s} {'':19s} {ratio[0]:11.2f}x"
            f" {ratio[1]:7.2f}x   (target {TORCH_TARGET:g}x)"
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--rounds", type=int, default=31, help="samples per case (default 31)")
    args = parser.parse_args(argv)

    limits = one_thread()  # noqa: F841 - held for the whole run
    env = environment()
    for key, value in env.items():
        print(f"{key:12s} {value}")
    print()
    header = f"{'case':{WIDTH}s} {'(m, d)':>12s} {'median ms':>10s} {'min ms':>8s}"
    print(f"{header} {'x copy (median, min)':>21s}")
    rows = []
    for m, d in SHAPES:
        times = measure(cases(m, d), args.rounds)
        copy = times["x.copy()"]
        for name, t in times.items():
            row = {
                "case": name,
                "m": m,
                "d": d,
                "median_ms": float(np.median(t)) * 1e3,
                "min_ms": float(t.min()) * 1e3,
                "ratio_median": float(np.median(t) / np.median(copy)),
                "ratio_min": float(t.min() / copy.min()),
            }
            rows.append(row)
            print(
                f"{name:{WIDTH}s} {f'({m}, {d})':>12s} {row['median_ms']:10.3f}"
                f" {row['min_ms']:8.3f} {row['ratio_median']:11.1f}x {row['ratio_min']:7.1f}x"
            )
        if torch is not None:
            rows += torch_ratios(times, m, d)
        print()

    shape, name, limit = TARGET
    row = next(r for r in rows if (r["m"], r["d"]) == shape and r["case"] == name)
    print(
        f"target: {name} at {shape} within {limit:g}x of one copy; "
        f"measured {row['ratio_median']:.1f}x (median), {row['ratio_min']:.1f}x (min)"
    )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"environment": env, "results": rows}, f, indent=2)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
