"""Fit the index family's smile (`backtest.inputs.IVModel.skew / call_skew / smile_curv`) on the official Cboe series.

    PYTHONPATH=src python tools/fit_index_smile.py --official-dir DIR [--form split|quad|full] [--no-fit]

DIR holds `cboe_strategies_monthly.csv` (Cboe's monthly index levels: Date, PUT, BXM, BXMD, PPUT, CLL, ...), which
is not redistributable and is read only from there. The smile is vol(K) = ATM + s x + c x^2, x = ln(K/F), s = the
put-side slope below the forward and the call-side slope above it (`pricing.surface.smile_vol1`); the ATM rule is
left as it is. Protocol (issue #16): the parameters are fitted on FIT_PERIOD only, checked on VALIDATION_PERIOD, and
OOS_PERIOD is reported untouched. Objective: the sum over OBJECTIVE_INDEXES of (annualised CAGR drift, ours -
official)^2 + (annualised tracking error)^2 over the fit months. Forms: "split" fits (put slope, call slope) with no
curvature, "quad" (one slope, curvature), "full" all three. Prints the before/after tables per period.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import minimize

FIT_PERIOD = ("1986-06", "2005-12")
VALIDATION_PERIOD = ("2006-01", "2018-12")
OOS_PERIOD = ("2019-01", "2021-12")
OBJECTIVE_INDEXES = ("PUT", "BXM", "BXMD", "PPUT", "CLL")
STEPS = {"skew": 0.3, "call_skew": 0.3, "smile_curv": 3.0}    # the Nelder-Mead start simplex's edge per parameter
FORMS = {"split": ("skew", "call_skew"), "quad": ("skew", "smile_curv"), "full": ("skew", "call_skew", "smile_curv")}
START, END = date(1986, 6, 30), date(2021, 12, 31)


def official_returns(directory: Path) -> pd.DataFrame:
    path = directory / "cboe_strategies_monthly.csv"
    if not path.is_file():
        sys.exit(f"fit_index_smile: no {path} (give --official-dir the folder holding Cboe's monthly series)")
    off = pd.read_csv(path, parse_dates=["Date"]).set_index("Date")
    ret = off[list(OBJECTIVE_INDEXES)].pct_change(fill_method=None)
    ret.index = pd.DatetimeIndex(ret.index).to_period("M")
    return ret


def stats(a: pd.Series, b: pd.Series) -> tuple[float, float, float]:
    """(monthly corr, annualised TE, CAGR drift ours - official) over the months both have."""
    both = pd.concat([a.rename("a"), b.rename("b")], axis=1).dropna()
    years = len(both) / 12.0
    g = (1.0 + both).prod() ** (1.0 / years) - 1.0
    return (float(both["a"].corr(both["b"])), float((both["a"] - both["b"]).std() * np.sqrt(12.0)),
            float(g["a"] - g["b"]))


def ours_monthly(history, name: str, model, end: date) -> pd.Series:  # type: ignore[no-untyped-def]
    from putwheel.backtest.indexes import run_index
    m = run_index(history, name, START, end, iv_model=model).monthly.copy()
    m.index = pd.DatetimeIndex(m.index).to_period("M")
    return m


def window(s: pd.Series, period: tuple[str, str]) -> pd.Series:
    return s[(s.index >= pd.Period(period[0], "M")) & (s.index <= pd.Period(period[1], "M"))]


def table(history, off: pd.DataFrame, model) -> dict[str, dict[str, tuple[float, float, float]]]:  # type: ignore[no-untyped-def]
    out: dict[str, dict[str, tuple[float, float, float]]] = {}
    for name in OBJECTIVE_INDEXES:
        ours = ours_monthly(history, name, model, END)
        out[name] = {label: stats(window(ours, p), window(off[name], p)) for label, p in
                     (("fit", FIT_PERIOD), ("validation", VALIDATION_PERIOD), ("oos", OOS_PERIOD))}
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--official-dir", type=Path, help="folder holding cboe_strategies_monthly.csv")
    ap.add_argument("--form", choices=sorted(FORMS), default="split")
    ap.add_argument("--no-fit", action="store_true", help="only print the tables of the default and linear smiles")
    args = ap.parse_args(argv)
    if args.official_dir is None:
        sys.exit("fit_index_smile: --official-dir DIR is required (the folder holding Cboe's monthly series)")
    off = official_returns(args.official_dir)

    from putwheel.api.backtest import _load
    from putwheel.backtest.indexes import VOL_SOURCES
    history, _ = _load("shared")
    default = VOL_SOURCES["spx"]
    linear = replace(default, skew=-1.0, call_skew=-1.0, smile_curv=0.0)
    fit_end = date(int(FIT_PERIOD[1][:4]), 12, 31)
    fit_off = {n: window(off[n], FIT_PERIOD) for n in OBJECTIVE_INDEXES}
    names = FORMS[args.form]

    def objective(p: np.ndarray) -> float:
        model = replace(linear, **dict(zip(names, map(float, p), strict=True)))
        total = 0.0
        for name in OBJECTIVE_INDEXES:
            _, te, drift = stats(window(ours_monthly(history, name, model, fit_end), FIT_PERIOD), fit_off[name])
            total += drift**2 + te**2
        return total

    models = {"linear (s=-1, c=0)": linear}
    if default != linear:
        models["default"] = default
    if not args.no_fit:
        x0 = np.array([getattr(linear, n) for n in names])
        simplex = np.vstack([x0] + [x0 + STEPS[n] * np.eye(len(names))[i] for i, n in enumerate(names)])
        res = minimize(objective, x0, method="Nelder-Mead",
                       options={"xatol": 0.005, "fatol": 1e-8, "initial_simplex": simplex, "maxfev": 200})
        fitted = replace(linear, **dict(zip(names, map(float, res.x), strict=True)))
        print(f"form {args.form}: fitted {', '.join(f'{n}={v:.4f}' for n, v in zip(names, res.x, strict=True))}; "
              f"objective {objective(x0) * 1e4:.3f} -> {res.fun * 1e4:.3f} (x 1e-4, {res.nfev} evaluations)")
        models[f"fitted {args.form}"] = fitted
    tables = {label: table(history, off, m) for label, m in models.items()}
    for period in ("fit", "validation", "oos"):
        span = {"fit": FIT_PERIOD, "validation": VALIDATION_PERIOD, "oos": OOS_PERIOD}[period]
        print(f"\n{period} {span[0]}..{span[1]}: corr / TE / drift")
        print(f"{'index':6s}" + "".join(f"{label:>28s}" for label in tables))
        for name in OBJECTIVE_INDEXES:
            cells = "".join(f"{c:>10.3f} {te:>7.2%} {d:>+8.2%}" + " " * 1
                            for c, te, d in (tables[label][name][period] for label in tables))
            print(f"{name:6s}{cells}")
        for label, t in tables.items():
            ssq = sum(t[n][period][2] ** 2 + t[n][period][1] ** 2 for n in OBJECTIVE_INDEXES)
            print(f"  {label}: sum drift^2 + TE^2 = {ssq * 1e4:.3f} x 1e-4")


if __name__ == "__main__":
    main()
