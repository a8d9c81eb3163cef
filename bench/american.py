"""American pricing: accuracy and speed of putwheel's engines against QuantLib-Python, same contracts, one process.

    pip install -e '.[bench]' && python bench/american.py [--n 10000] [--wide 2000] [--speed-n 300]

Reference: QuantLib's `QdFpAmericanEngine` with `highPrecisionScheme()` (Andersen-Lake-Offengeld, converged far below
a hundredth of a cent), on integer-day maturities (t = days / 365, ACT/365 in both).
Domains: "wheel" = S 10-1000, K/S 0.7-1.1, 5-90 days, vol 10-120 %, r 0-6 %, q 0-4 %; "wide" = the same strikes, 5 days
to 5 years, vol 10-300 %, r -1..10 %, q 0..10 %. Puts and calls half each. Errors in cents (price units x 100).
Speed: per contract on ONE core (numba threads = 1), best of 3 after a warm-up (compilation excluded); QuantLib's
engines are called from Python on a subsample (quotes updated in place, one engine per scheme), as a user would.
Also: the American implied-vol round trip where vega is not negligible (vega > 1e-3 per 1.00 vol).
"""

from __future__ import annotations

import argparse
import platform
import time

import numba
import numpy as np

from _timing import best_of


def contracts(n: int, wide: bool, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    s = rng.uniform(10, 1000, n)
    c = {"s": s, "k": s * rng.uniform(0.7, 1.1, n), "call": rng.random(n) < 0.5}
    if wide:
        c |= {"days": rng.integers(5, 1826, n), "v": rng.uniform(0.1, 3.0, n), "r": rng.uniform(-0.01, 0.10, n),
              "q": rng.uniform(0.0, 0.10, n)}
    else:
        c |= {"days": rng.integers(5, 91, n), "v": rng.uniform(0.1, 1.2, n), "r": rng.uniform(0.0, 0.06, n),
              "q": rng.uniform(0.0, 0.04, n)}
    c["t"] = c["days"] / 365.0
    return c


class QuantLibPricer:
    """One process, one engine per scheme; spot, rates and vol are SimpleQuotes updated in place."""

    def __init__(self) -> None:
        import QuantLib as ql

        self.ql = ql
        self.today = ql.Date(2, 1, 2024)
        ql.Settings.instance().evaluationDate = self.today
        dc = ql.Actual365Fixed()
        self.spot, self.r, self.q, self.v = (ql.SimpleQuote(x) for x in (100.0, 0.0, 0.0, 0.2))
        curve = lambda quote: ql.YieldTermStructureHandle(ql.FlatForward(self.today, ql.QuoteHandle(quote), dc))  # noqa: E731
        vol = ql.BlackVolTermStructureHandle(ql.BlackConstantVol(self.today, ql.NullCalendar(), ql.QuoteHandle(self.v), dc))
        self.process = ql.BlackScholesMertonProcess(ql.QuoteHandle(self.spot), curve(self.q), curve(self.r), vol)
        qd = ql.QdFpAmericanEngine
        self.engines = {
            "QdFp high precision": qd(self.process, qd.highPrecisionScheme()),
            "QdFp accurate (default)": qd(self.process, qd.accurateScheme()),
            "QdFp fast": qd(self.process, qd.fastScheme()),
            "QD+": ql.QdPlusAmericanEngine(self.process),
        }

    def price(self, c: dict[str, np.ndarray], engine: str, idx: np.ndarray) -> np.ndarray:
        ql, eng = self.ql, self.engines[engine]
        out = np.empty(idx.size)
        for j, i in enumerate(idx):
            self.spot.setValue(float(c["s"][i]))
            self.r.setValue(float(c["r"][i]))
            self.q.setValue(float(c["q"][i]))
            self.v.setValue(float(c["v"][i]))
            payoff = ql.PlainVanillaPayoff(ql.Option.Call if c["call"][i] else ql.Option.Put, float(c["k"][i]))
            opt = ql.VanillaOption(payoff, ql.AmericanExercise(self.today, self.today + int(c["days"][i])))
            opt.setPricingEngine(eng)
            out[j] = opt.NPV()
        return out


def ours(c: dict[str, np.ndarray]) -> dict[str, object]:
    from putwheel.pricing import american_price, baw_price, binomial_price, bjerksund_stensland_price

    args = (c["s"], c["k"], c["t"], c["r"], c["q"], c["v"], c["call"])
    return {"fixed-point (american_price)": american_price, "Bjerksund-Stensland 2002": bjerksund_stensland_price,
            "Barone-Adesi-Whaley": baw_price, "CRR tree, 500 steps": binomial_price, "args": args}


def error_table(c: dict[str, np.ndarray], ref: np.ndarray) -> list[str]:
    models = ours(c)
    args = models.pop("args")
    rows = ["| model | side | max error ¢ | mean ¢ | 99th pct ¢ | cases > 0.05 ¢ | cases > 1 ¢ |",
            "|---|---|---|---|---|---|---|"]
    for name, fn in models.items():
        err = np.abs(fn(*args) - ref) * 100  # type: ignore[operator]
        for side, m in (("puts", ~c["call"]), ("calls", c["call"]), ("all", np.ones_like(c["call"]))):
            e = err[m]
            rows.append(f"| {name} | {side} | {e.max():.4f} | {e.mean():.5f} | {np.percentile(e, 99):.4f} | "
                        f"{(e > 0.05).mean():.2%} | {(e > 1).mean():.2%} |")
    return rows


def speed_table(c: dict[str, np.ndarray], ql_pricer: QuantLibPricer, speed_n: int) -> list[str]:
    from putwheel.pricing import american_greeks, american_implied_vol, american_price, bjerksund_stensland_price

    numba.set_num_threads(1)
    args = (c["s"], c["k"], c["t"], c["r"], c["q"], c["v"], c["call"])
    n = c["s"].size
    per = {
        "putwheel american_price": best_of(lambda: american_price(*args)) / n,
        "putwheel bjerksund_stensland_price": best_of(lambda: bjerksund_stensland_price(*args)) / n,
        "putwheel american_greeks (price + 5 Greeks)": best_of(lambda: american_greeks(*args), 1) / n,
    }
    price = american_price(*args)
    per["putwheel american_implied_vol"] = best_of(
        lambda: american_implied_vol(price, *args[:5], c["call"]), 1) / n
    idx = np.arange(min(speed_n, n))
    for name in ql_pricer.engines:
        per[f"QuantLib {name} (Python loop)"] = best_of(lambda name=name: ql_pricer.price(c, name, idx), 1) / idx.size
    base = per["putwheel american_price"]
    rows = ["| engine | µs per contract | x american_price time |", "|---|---|---|"]
    rows += [f"| {k} | {v * 1e6:.2f} | {v / base:.2f} |" for k, v in per.items()]
    return rows


def iv_round_trip(c: dict[str, np.ndarray]) -> str:
    from putwheel.pricing import american_greeks, american_implied_vol

    args = (c["s"], c["k"], c["t"], c["r"], c["q"], c["v"], c["call"])
    g = american_greeks(*args)
    res = american_implied_vol(g.price, c["s"], c["k"], c["t"], c["r"], c["q"], c["call"])
    ok = g.vega > 1e-3
    err = np.abs(res.iv - c["v"])[ok]
    return (f"American IV round trip, {ok.sum()} of {ok.size} contracts with vega > 1e-3: max |error| {np.nanmax(err):.2e}, "
            f"solved {np.isfinite(err).mean():.2%}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=10_000, help="wheel-domain contracts for the error table")
    ap.add_argument("--wide", type=int, default=2_000, help="wide-domain contracts for the error table")
    ap.add_argument("--speed-n", type=int, default=300, help="contracts per QuantLib engine in the speed table")
    a = ap.parse_args()
    import QuantLib as ql

    print(f"# American engines vs QuantLib {ql.__version__} (Python {platform.python_version()}, numba {numba.__version__}, "
          f"{platform.machine()})\n")
    pricer = QuantLibPricer()
    for name, n, wide, seed in (("wheel", a.n, False, 20261203), ("wide", a.wide, True, 20261204)):
        c = contracts(n, wide, seed)
        t0 = time.perf_counter()
        ref = pricer.price(c, "QdFp high precision", np.arange(n))
        print(f"## {name} domain, {n} contracts (reference computed in {time.perf_counter() - t0:.0f} s)\n")
        print("\n".join(error_table(c, ref)) + "\n")
        if not wide:
            print(iv_round_trip(c) + "\n")
            print("## speed, one core\n")
            print("\n".join(speed_table(c, pricer, a.speed_n)) + "\n")


if __name__ == "__main__":
    main()
