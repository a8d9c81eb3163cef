"""Pricing speed: putwheel vs py_vollib_vectorized vs a QuantLib-Python loop, same contracts, one process.

    pip install -e '.[bench]' && python bench/pricing.py [--n 1000000]

The competitor needs py_lets_be_rational 1.0.1's numba-compiled norm_cdf. The `bench` extra pins it, and pins
py_vollib 1.0.1: py_vollib >= 1.0.11 depends on vollib -> lets_be_rational 1.1.2, whose wheel ships its own
`py_lets_be_rational/` package (norm_cdf re-exported from cody_special, plain Python) over the pinned files, and
py_vollib_vectorized then fails with numba's "Untyped global name 'norm_cdf'" — whatever py_lets_be_rational's
version says. Checked 2026-12 (numba 0.68, Python 3.11) in a new virtualenv:

    python -m venv --system-site-packages /tmp/pvv && /tmp/pvv/bin/pip install -e '.[bench]'
    /tmp/pvv/bin/python bench/pricing.py

1,000,000 random contracts (S ~ 100, K 50-150, T 1-365 days, vol 10-100 %, r 0-5 %, q 0-3 %, calls and puts). QuantLib
runs on a 20,000-contract subsample and is scaled per contract. Every timing is the best of 3 runs after a warm-up
(JIT compilation excluded for both numba libraries). Also checks that all three agree on the numbers.
"""

from __future__ import annotations

import argparse
import math
import platform
import sys
import warnings
from pathlib import Path

import numpy as np

from _timing import best_of

sys.path.insert(0, str(Path(__file__).parent))


def contracts(n: int, seed: int = 20261125) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "s": 100.0 * np.exp(rng.normal(0.0, 0.02, n)), "k": rng.uniform(50, 150, n), "t": rng.integers(1, 366, n) / 365.0,
        "v": rng.uniform(0.10, 1.00, n), "r": rng.uniform(0.0, 0.05, n), "q": rng.uniform(0.0, 0.03, n),
        "call": rng.random(n) < 0.5,
    }


def run_putwheel(c):
    from putwheel.pricing import bs_greeks, bs_price, implied_vol

    price = bs_price(c["s"], c["k"], c["t"], c["r"], c["q"], c["v"], c["call"])
    out = {"price": price}
    out["t_price"] = best_of(lambda: bs_price(c["s"], c["k"], c["t"], c["r"], c["q"], c["v"], c["call"]))
    out["t_greeks"] = best_of(lambda: bs_greeks(c["s"], c["k"], c["t"], c["r"], c["q"], c["v"], c["call"]))
    out["greeks"] = bs_greeks(c["s"], c["k"], c["t"], c["r"], c["q"], c["v"], c["call"])
    out["t_iv"] = best_of(lambda: implied_vol(price, c["s"], c["k"], c["t"], c["r"], c["q"], c["call"]))
    out["iv"] = implied_vol(price, c["s"], c["k"], c["t"], c["r"], c["q"], c["call"]).iv
    return out


def run_pvv(c, price):
    try:
        from py_lets_be_rational import normaldistribution

        if not hasattr(normaldistribution.norm_cdf, "py_func"):  # not a numba dispatcher: the vollib split overwrote it
            print("py_vollib_vectorized unavailable: py_lets_be_rational's norm_cdf is not numba-compiled (lets_be_rational"
                  " >= 1.1 overwrote it); pip install --force-reinstall 'py_vollib==1.0.1' 'py_lets_be_rational==1.0.1'")
            return None
        import _pvv_compat

        _pvv_compat.load()
        from py_vollib_vectorized import get_all_greeks, vectorized_black_scholes_merton, vectorized_implied_volatility
    except Exception as exc:  # report and carry on with the other competitors
        print(f"py_vollib_vectorized unavailable ({type(exc).__name__}: {str(exc)[:80]}); pip install -e '.[bench]'")
        return None
    flag = np.where(c["call"], "c", "p")
    args = (flag, c["s"], c["k"], c["t"], c["r"], c["v"], c["q"])
    out = {"price": vectorized_black_scholes_merton(*args, return_as="numpy")}
    out["t_price"] = best_of(lambda: vectorized_black_scholes_merton(*args, return_as="numpy"))
    greeks = lambda: get_all_greeks(flag, c["s"], c["k"], c["t"], c["r"], c["v"], c["q"],  # noqa: E731
                                    model="black_scholes_merton", return_as="dict")
    out["t_greeks"] = best_of(greeks) + out["t_price"]  # its Greeks call does not return the price
    out["t_iv"] = best_of(lambda: vectorized_implied_volatility(
        price, c["s"], c["k"], c["t"], c["r"], flag, q=c["q"], model="black_scholes_merton", return_as="numpy"))
    out["iv"] = vectorized_implied_volatility(price, c["s"], c["k"], c["t"], c["r"], flag, q=c["q"],
                                              model="black_scholes_merton", return_as="numpy")
    return out


def run_quantlib(c, price, m: int = 20_000):
    try:
        import QuantLib as ql
    except ImportError:
        print("QuantLib unavailable; pip install -e '.[bench]'")
        return None
    m = min(m, len(c["s"]))
    idx = np.arange(m)
    fwd = c["s"][idx] * np.exp((c["r"][idx] - c["q"][idx]) * c["t"][idx])
    disc = np.exp(-c["r"][idx] * c["t"][idx])
    sd = c["v"][idx] * np.sqrt(c["t"][idx])
    typ = [ql.Option.Call if x else ql.Option.Put for x in c["call"][idx]]
    k = c["k"][idx]

    def price_loop():
        return [ql.blackFormula(typ[i], k[i], fwd[i], sd[i], disc[i]) for i in range(m)]

    def greeks_loop():  # price + delta, gamma, vega, theta, rho through the analytic Black calculator
        res = []
        for i in range(m):
            bc = ql.BlackCalculator(ql.PlainVanillaPayoff(typ[i], k[i]), fwd[i], sd[i], disc[i])
            s_i, t_i = c["s"][i], c["t"][i]
            res.append((bc.value(), bc.delta(s_i), bc.gamma(s_i), bc.vega(t_i), bc.theta(s_i, t_i), bc.rho(t_i)))
        return res

    undiscounted = price[idx] / disc

    def iv_loop():
        out = np.empty(m)
        for i in range(m):
            try:
                out[i] = ql.blackFormulaImpliedStdDevLiRS(typ[i], k[i], fwd[i], undiscounted[i], 1.0) / math.sqrt(c["t"][i])
            except RuntimeError:
                out[i] = np.nan
        return out

    return {"price": np.array(price_loop()), "t_price": best_of(price_loop, 1) * len(c["s"]) / m,
            "t_greeks": best_of(greeks_loop, 1) * len(c["s"]) / m, "t_iv": best_of(iv_loop, 1) * len(c["s"]) / m,
            "iv": iv_loop(), "m": m}


def main() -> None:
    warnings.filterwarnings("ignore", module="py_vollib_vectorized")  # it warns per below-intrinsic row
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    n = ap.parse_args().n
    c = contracts(n)
    import numba

    print(f"{n:,} contracts; Python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}, "
          f"{numba.config.NUMBA_NUM_THREADS} threads")
    pw = run_putwheel(c)
    ref = pw["price"]
    rows = {"putwheel": pw, "py_vollib_vectorized": run_pvv(c, ref), "QuantLib loop": run_quantlib(c, ref)}
    try:
        import py_vollib_vectorized as pvv_mod

        print(f"py_vollib_vectorized {getattr(pvv_mod, '__version__', '0.1.1')}", end="; ")
    except ImportError:
        pass
    try:
        import QuantLib as ql

        print(f"QuantLib {ql.__version__}")
    except ImportError:
        print()
    vega = pw["greeks"].vega
    live = vega > 1e-2
    print(f"\n{'library':24s} {'price ns':>10s} {'price+greeks ns':>16s} {'IV ns':>10s}   max|IV err| (vega>0.01)")
    for name, r in rows.items():
        if r is None:
            continue
        if "m" in r:
            err = np.nanmax(np.abs(r["iv"] - c["v"][: r["m"]])[live[: r["m"]]])
        else:
            err = np.nanmax(np.abs(r["iv"] - c["v"])[live])
        greeks_t = r["t_greeks"]
        print(f"{name:24s} {r['t_price'] / n * 1e9:10.1f} {greeks_t / n * 1e9:16.1f} {r['t_iv'] / n * 1e9:10.1f}   {err:.1e}")
    print("\nspeed-up of putwheel (x):")
    for name, r in rows.items():
        if r is None or name == "putwheel":
            continue
        print(f"  vs {name:22s} price {r['t_price'] / pw['t_price']:7.1f}   price+greeks {r['t_greeks'] / pw['t_greeks']:7.1f}"
              f"   IV {r['t_iv'] / pw['t_iv']:7.1f}")
    if rows["py_vollib_vectorized"] is not None:
        d = np.nanmax(np.abs(rows["py_vollib_vectorized"]["price"] - ref))
        print(f"\nmax |price difference| putwheel vs py_vollib_vectorized: {d:.1e}")


if __name__ == "__main__":
    main()
