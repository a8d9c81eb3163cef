"""Load py_vollib_vectorized 0.1.1 on numba >= 0.57 (Python 3.11+), unchanged in what it computes.

Its `normalised_black_call` and `black` call themselves once (in-the-money -> out-of-the-money via parity), which newer
numba refuses to type ("runaway recursion"). We compile each twice from its own bytecode: the outer copy's recursive call
goes to an inner copy, whose own recursive branch is unreachable (after the flip the option is out of the money) and is
pointed at a NaN stub. Same arithmetic, same iteration counts.
"""

from __future__ import annotations

import types

import numba
import numpy as np


def load():  # -> module py_vollib_vectorized
    import py_vollib_vectorized._model_calls as mc

    @numba.njit(cache=False)
    def _unreachable2(x, s):
        return np.nan

    @numba.njit(cache=False)
    def _unreachable5(a, b, c, d, e):
        return np.nan

    import sys

    for name, stub in (("normalised_black_call", _unreachable2), ("black", _unreachable5)):
        old = getattr(mc, name)
        code = old.py_func.__code__
        inner = numba.njit(cache=False)(types.FunctionType(code, {**vars(mc), name: stub}, name))
        outer = numba.njit(cache=False)(types.FunctionType(code, {**vars(mc), name: inner}, name))
        for mod in [m for k, m in sys.modules.items() if k.startswith("py_vollib_vectorized")]:
            for attr, value in list(vars(mod).items()):
                if value is old:
                    setattr(mod, attr, outer)
    import py_vollib_vectorized

    return py_vollib_vectorized
