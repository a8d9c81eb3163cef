"""Broadcast mixed scalar/array inputs into flat contiguous float64 arrays for the kernels, and back."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

Float = npt.NDArray[np.float64]
ArrayLike = npt.ArrayLike


def flat_inputs(*args: ArrayLike, flags: ArrayLike) -> tuple[tuple[int, ...], list[Float], npt.NDArray[np.bool_]]:
    """Broadcast numeric args and the bool flags (is_call) together; returns the shape and 1-d contiguous copies."""
    nums: list[Float] = [np.asarray(a, dtype=np.float64) for a in args]
    flag: npt.NDArray[np.bool_] = np.asarray(flags, dtype=np.bool_)
    first: tuple[int, ...] = nums[0].shape
    if len(first) == 1 and all(a.shape == first and a.flags.c_contiguous and a.flags.writeable for a in nums):
        # already flat, contiguous and writeable (the screener's columns): the arrays the steps below would return,
        # without their per-call cost (~6 us of the ~12 us a `bs_price` of 30 contracts took); one flag for all
        # (`prob_touch`) is the copy the steps below make of its broadcast
        if flag.shape == first and flag.flags.c_contiguous and flag.flags.writeable:
            return first, nums, flag
        if flag.ndim == 0:
            return first, nums, np.full(first, bool(flag))
    given = [*nums, flag]
    shape = np.broadcast_shapes(*(a.shape for a in given))
    # np.broadcast_to, not np.broadcast_arrays: the latter's views warn (FutureWarning) when their flags are read
    arrays = [a if a.shape == shape else np.broadcast_to(a, shape) for a in given]
    flat = [_own(np.ascontiguousarray(a, dtype=np.float64).reshape(-1)) for a in arrays[:-1]]
    return shape, flat, _own(np.ascontiguousarray(arrays[-1], dtype=np.bool_).reshape(-1))


def _own(a: Any) -> Any:
    """Broadcast views are read-only; numba warns on them. Copy those (they are the small inputs)."""
    return a if a.flags.writeable else a.copy()


def shaped(values: Any, shape: tuple[int, ...]) -> Float:
    out: Float = np.asarray(values, dtype=np.float64).reshape(shape)
    return out


# Below this many contracts the parallel kernels cost more in thread wake-up (~0.1-2 ms, worse on a busy machine)
# than they save: scalar and small calls (the manager, the quote command) take the serial twin.
PARALLEL_MIN = 4096


def pick(parallel: Any, serial: Any, n: int) -> Any:
    """`n` is the work in contract-evaluations (a tree or an American IV counts as many)."""
    return parallel if n >= PARALLEL_MIN else serial


def floor_zero(prices: Float) -> Float:
    """In place: a price is never below zero. The kernels floor too; this is the last word on what callers see.

    Far out of the money, N(-d2) K - N(-d1) S of two denormals can round to -3e-323, and a kernel that lost its floor
    (a stale numba cache, see `_kernels.cache_depends_on`) returned it. NaN (invalid input) passes through, -0.0 and
    negative denormals become +0.0. ~0.3 ms on 1e6 contracts, under 1 % of the kernel.
    """
    return np.maximum(prices, 0.0, out=prices)


def per_contract(parallel: Any, serial: Any, *args: ArrayLike, flags: ArrayLike, price: bool = False) -> Float:
    """Run a one-value-per-contract kernel `(inputs..., flags, out)` over broadcast inputs; the shared wrapper body.

    `price=True` floors the output at zero (option prices; not probabilities or vols)."""
    shape, flat, flag = flat_inputs(*args, flags=flags)
    out = np.empty(flat[0].size)
    pick(parallel, serial, out.size)(*flat, flag, out)
    if price:
        floor_zero(out)
    return shaped(out, shape)
