"""The Cboe benchmark family on the Wheel engine (issue #16): the CLI/JSON contract, the engine's put leg against the
PUT reproduction, the covered-call leg against put-call parity and BXM's published figure, and the PUT figures
measured in sample (1986-06..2018-12, Bondarenko 2019) and out of sample (2019-2021) pinned with a margin.

Measured on the shared data (default timing "am", default vol source "spx": the VIX line from 1990, the IVModel defaults;
docs/adr/0006-putwrite-implied-vol.md has the tables; issue 16e's figures: the AM expiries without an opening print,
1992-06..2016, settle at the estimated open): PUT 1986-2018 CAGR 9.82 %, vol 9.52 % (meets Bondarenko's 9.54 % /
9.95 %; the issue #6 VXO rule, `--vol-source vxo`, gives 10.55 % / 9.60 %, a miss); 2019-2021 CAGR 13.33 %, vol
12.90 % (the VXO rule: 12.62 % / 12.97 %). Timing alone ("am" vs "close") tracks at 1.70 %/yr in sample and
2.67 %/yr out of sample. No official index series is in the shared data (Cboe's files may not be redistributed), so
the tracking error against the official PUT is measured out of band (ADR 0006) and here only on constructed series.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from putwheel.backtest.index_checks import compare_published, fit_week_atm_ratio, premium_check, track, track_windows
from putwheel.backtest.indexes import (
    INDEXES,
    SOQ_BETA,
    VOL_SOURCES,
    IndexResult,
    estimated_open,
    opening_print_years,
    overnight_beta,
    overnight_share,
    run_index,
)
from putwheel.backtest.inputs import (
    VIX_ATM_FIT_PERIOD,
    VIX_ATM_VALIDATION_PERIOD,
    fit_vix_atm_line,
    tbill_growth,
    tbill_rates,
    total_return_index,
)
from putwheel.backtest.metrics import compute_metrics, monthly_returns
from putwheel.backtest.published import FAMILY, PUBLISHED_END, PUBLISHED_START, SPTR
from putwheel.backtest.putwrite import PutWriteConfig, run_putwrite
from putwheel.cli.app import app
from putwheel.data.series import MarketHistory, load_shared_history

runner = CliRunner()
OOS_END = date(2021, 12, 31)


@pytest.fixture(scope="module")
def history(shared: Path) -> MarketHistory:
    return load_shared_history(shared)


@pytest.fixture(scope="module")
def runs(history: MarketHistory) -> dict[tuple[str, str], IndexResult]:
    """PUT and BXM 1986-06-30..2021-12-31, both timings, the default vol source ("spx"); and PUT and BXM with the
    issue #6 VXO rule ("vxo", am) (each run well under a second once compiled)."""
    out = {(n, t): run_index(history, n, PUBLISHED_START, OOS_END, settlement=t)  # type: ignore[arg-type]
           for n in ("PUT", "BXM") for t in ("am", "close")}
    out |= {(n, "vxo"): run_index(history, n, PUBLISHED_START, OOS_END, vol_source="vxo") for n in ("PUT", "BXM")}
    return out


def _window(r: IndexResult, a: str, b: str) -> tuple[float, float]:
    m = compute_metrics(r.daily["value"].loc[a:b])
    return m.cagr, m.vol


def _te(a: pd.Series, b: pd.Series) -> float:
    return float((a - b).dropna().std(ddof=1) * np.sqrt(12.0))


@pytest.mark.shared
@pytest.mark.parametrize("name", sorted(INDEXES))
def test_index_cli_json_has_the_fields(shared: Path, name: str) -> None:
    res = runner.invoke(app, ["backtest", "index", name, "--start", "2016-01-01", "--end", "2016-12-31",
                              "--data", "shared", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["index"] == name and out["settlement"] == "am"
    months = out["monthly_returns"]
    assert next(iter(months)) == "2016-01" and len(months) == 12
    assert all(len(k) == 7 and k[4] == "-" and abs(v) < 0.2 for k, v in months.items())
    assert {"cagr", "vol", "sharpe", "max_drawdown", "months"} <= set(out["metrics"])
    assert out["targets"] == {"cagr_pp": 0.5, "vol_pp": 0.75, "min_monthly_corr": 0.98}
    assert isinstance(out["published"], list) and out["verdict"] in ("meets", "misses", "unverified")
    assert out["official"] is None and any("correlation not measured" in n for n in out["notes"])


def test_index_cli_unknown_name_is_one_line() -> None:
    res = runner.invoke(app, ["backtest", "index", "XYZ", "--data", "embedded"])
    assert res.exit_code == 2 and "unknown index" in res.output and "Traceback" not in res.output


@pytest.mark.shared
def test_engine_put_leg_is_the_put_reproduction(history: MarketHistory,
                                                runs: dict[tuple[str, str], IndexResult]) -> None:
    """At close timing the engine's cash-secured put leg reproduces `putwrite.py` month by month."""
    ours = runs[("PUT", "close")].monthly.loc[: str(PUBLISHED_END)]
    cfg = PutWriteConfig(iv_model=VOL_SOURCES["spx"])
    ref = monthly_returns(run_putwrite(history, PUBLISHED_START, PUBLISHED_END, cfg).daily["value"])
    assert len(ours) == len(ref) == 390
    assert float((ours - ref).abs().max()) < 1e-6          # measured 1.6e-7 (whole contracts at 1e10 of cash)


@pytest.mark.shared
@pytest.mark.parametrize(("key", "cagr", "vol", "meets"), [("am", 0.0982, 0.0952, True), ("close", 0.0919, 0.0964, True),
                                                          ("vxo", 0.1055, 0.0960, False)])
def test_put_in_sample_against_bondarenko_2019(runs: dict[tuple[str, str], IndexResult], history: MarketHistory,
                                               key: str, cagr: float, vol: float, meets: bool) -> None:
    """The SPX rule (default) meets Bondarenko's 9.54 % / 9.95 % at +0.28 pp / -0.43 pp (close timing -0.35 pp /
    -0.31 pp); the issue #6 VXO rule misses at +1.01 pp / -0.35 pp (its calls 13 % rich before 2008: see the premium
    tests). Issue 16d (the put count N = V / (K - P), Yahoo's opens used only where they are opening prints, 2017 on)
    gave 9.27 % / 9.59 %; issue 16e (the estimated open on 1992-2016's AM expiries) 9.82 % / 9.52 %. Pinned at the
    measured values +-0.1 pp."""
    got = compare_published(runs[("PUT", key)], history)[0]
    assert got.published.source.startswith("Bondarenko (2019)")
    assert got.within_cagr is meets and got.within_vol                # the targets, 0.5 pp / 0.75 pp
    assert got.ours.cagr == pytest.approx(cagr, abs=0.001) and got.ours.vol == pytest.approx(vol, abs=0.001)


@pytest.mark.shared
def test_put_out_of_sample_and_timing_tracking_as_measured(runs: dict[tuple[str, str], IndexResult]) -> None:
    """2019-2021 is priced only by the VIX rules fitted on 2003-2018 implied vols (SPX rule: the ratio's line in the
    VIX level; VXO rule: the constant 0.833); pinned as measured."""
    am, close = runs[("PUT", "am")], runs[("PUT", "close")]
    assert _window(am, "2018-12-31", "2021-12-31") == pytest.approx((0.1333, 0.1290), abs=0.0015)
    assert _window(close, "2018-12-31", "2021-12-31") == pytest.approx((0.1125, 0.1418), abs=0.0015)
    assert _window(runs[("PUT", "vxo")], "2018-12-31", "2021-12-31") == pytest.approx((0.1262, 0.1297), abs=0.0015)
    ins = _te(am.monthly.loc[:"2018-12-31"], close.monthly.loc[:"2018-12-31"])
    oos = _te(am.monthly.loc["2019-01-01":], close.monthly.loc["2019-01-01":])
    # in sample: 1.70 %/yr (issue 16e: 1992-2016's AM expiries at the estimated open; 0.37 %/yr when only 2017-2018,
    # the years with opening prints, differed from the close; 1.50 %/yr with Yahoo's not-quite-stale opens)
    assert ins == pytest.approx(0.0170, abs=0.001) and oos == pytest.approx(0.0267, abs=0.003)


@pytest.mark.shared
def test_covered_call_leg_by_put_call_parity(runs: dict[tuple[str, str], IndexResult]) -> None:
    """S - C = K e^{-rT} - P + dividends: the BXM leg (index + short call) must track the PUT leg closely."""
    bxm, put = runs[("BXM", "am")].monthly.loc[:"2018-12-31"], runs[("PUT", "am")].monthly.loc[:"2018-12-31"]
    assert float(bxm.corr(put)) > 0.985                            # measured 0.991
    assert _te(bxm, put) < 0.02                                    # measured 1.59 %/yr (strike above vs below)
    cagr = {n: compute_metrics(runs[(n, "am")].daily["value"].loc[:"2018-12-31"]).cagr for n in ("BXM", "PUT")}
    assert abs(cagr["BXM"] - cagr["PUT"]) < 0.005                  # measured 9.84 % vs 9.82 %


@pytest.mark.shared
@pytest.mark.parametrize(("key", "pinned", "within"), [
    ("am", [0.1493, 0.0894, 0.1342, 0.0951], [(False, True), (False, False)]),
    ("vxo", [0.1644, 0.0891, 0.1524, 0.0946], [(False, True), (False, False)])])
def test_covered_call_leg_against_published_bxm(runs: dict[tuple[str, str], IndexResult], history: MarketHistory,
                                                key: str, pinned: list[float], within: list[tuple[bool, bool]]) -> None:
    """Whaley (2002, via Cboe): BXM 13.88 % / 9.25 % 1988-06..2001-12; Feldman & Roy (2004): 12.39 % (/ 10.99 %,
    secondary source) 1988-06..2004. The SPX vol rule meets both vols' Whaley row but misses both CAGRs by ~1 pp
    (+1.05 / +1.03 pp; it met them at 13.94 % / 12.42 % before issue 16e settled 1992-2016's AM expiries at the
    estimated open, which brought the monthly tracking of the official BXM from corr 0.982 / TE 1.99 %/yr to 0.988 /
    1.61 %/yr, measured out of band: ADR 0006); the VXO rule misses both by ~2.6 pp. Pinned +-0.3 pp."""
    got = compare_published(runs[("BXM", key)], history)
    assert [c.published.source for c in got] == ["Whaley (2002) via Cboe", "Feldman & Roy (2004), Ibbotson"]
    assert [(c.within_cagr, c.within_vol) for c in got] == within
    assert [x for c in got for x in (c.ours.cagr, c.ours.vol)] == pytest.approx(pinned, abs=0.003)


@pytest.mark.shared
def test_call_premium_level_against_cboe(runs: dict[tuple[str, str], IndexResult]) -> None:
    """The published call-premium levels, no returns involved: BXM's gross premium averaged 1.6 % a month
    1986-06..2008-07 (Cboe 2008) and 1.1 % 2016-02..2018-01 (Moran 2018). The SPX rule: 1.067 x and 0.991 x; the
    VXO rule: 1.13 x and 0.95 x -- the S&P 100's vol index prices SPX calls rich before 2008, the reason the SPX
    rule is the default (ADR 0006, "Issue #16 follow-up"). Issue 16d (closes, not Yahoo's pre-2017 opens, on the AM
    expiries): 1.070 / 0.981 (were 1.067 / 0.991); issue 16e (the estimated open): 1.071 / 0.977."""
    for key, ratios in (("am", [1.071, 0.977]), ("vxo", [1.134, 0.948])):
        got = premium_check(runs[("BXM", key)])
        assert [p["source"] for p in got] == ["Cboe (2008)", "Moran (Cboe, 2018)"]
        assert [float(p["ratio"]) for p in got] == pytest.approx(ratios, abs=0.01), key  # type: ignore[arg-type]


@pytest.mark.shared
def test_family_legs_keep_the_cash_and_cover_rules(history: MarketHistory) -> None:
    """Every short put fully cash-secured (cash >= strike x 100 x contracts), every call covered by shares, no
    negative cash: on a two-year window with a crash (2008-2009)."""
    for name in sorted(INDEXES):
        r = run_index(history, name, date(2008, 1, 1), date(2009, 12, 31))
        assert float((r.daily["cash"] - r.daily["collateral"]).min()) >= 0.0, name
        ev = r.events[pd.to_datetime(r.events["date"]) >= r.daily.index[0]]   # not the warm-up write before start
        calls = ev[(ev["right"] == "C") & (ev["action"] == "sell_to_open")]
        if INDEXES[name].shares:
            held = r.daily["shares"].reindex(pd.to_datetime(calls["date"])).to_numpy()
            assert (calls["contracts"].to_numpy() * 100 <= held).all(), name
            assert float(r.daily["shares"].min()) > 0, name
        else:
            assert calls.empty and float(r.daily["shares"].max()) == 0.0, name


def test_track_against_a_constructed_official_series() -> None:
    days = pd.bdate_range("2010-01-01", "2012-12-31")
    rng = np.random.default_rng(7)
    levels = pd.Series(100.0 * np.cumprod(1.0 + rng.normal(0.0003, 0.008, len(days))), index=days)
    ours = monthly_returns(levels)
    same = track(ours, levels)
    assert same.correlation == pytest.approx(1.0) and same.tracking_error == pytest.approx(0.0, abs=1e-12)
    bumped = ours + 0.001 * np.where(np.arange(len(ours)) % 2 == 0, 1.0, -1.0)
    off = track(bumped, levels)
    assert off.tracking_error == pytest.approx(0.001 * np.sqrt(12.0), rel=0.05) and off.corr_ok


@pytest.mark.shared
def test_official_file_is_tracked(tmp_path: Path, history: MarketHistory) -> None:
    """`--official FILE` (Cboe DATE,CLOSE layout): here a file built from our own run, so corr 1 and TE 0."""
    r = run_index(history, "PUT", date(2015, 1, 1), date(2016, 12, 31))
    lines = ["DATE,PUT"] + [f"{d:%m/%d/%Y},{v:.6f}" for d, v in r.daily["value"].items()]
    path = tmp_path / "PUT_History.csv"
    path.write_text("\n".join(lines) + "\n")
    res = runner.invoke(app, ["backtest", "index", "PUT", "--start", "2015-01-01", "--end", "2016-12-31",
                              "--data", "shared", "--official", str(path), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    off = out["official"]
    assert off["months"] >= 23 and off["correlation"] > 0.9999 and off["tracking_error"] < 1e-4
    assert [w["window"] for w in out["official_windows"]] == ["all", "in"]      # no month after 2018: no "out"
    assert out["official_windows"][1]["te_limit"] == 0.02 and out["official_windows"][1]["te_ok"] is True
    table = runner.invoke(app, ["backtest", "index", "PUT", "--start", "2015-01-01", "--end", "2016-12-31",
                                "--data", "shared", "--official", str(path)], env={"COLUMNS": "80"})
    assert table.exit_code == 0, table.output
    assert "Against the official PUT" in table.output and "in sample" in table.output
    assert max(len(line) for line in table.output.splitlines()) <= 80


def test_published_family_is_cited() -> None:
    assert set(FAMILY) == set(INDEXES)
    for rows in FAMILY.values():
        for p in rows:
            assert p.source and p.start < p.end and (p.cagr is None or 0.0 < p.cagr < 0.2)


@pytest.mark.shared
def test_put_premium_level_validates_the_vol_rules(runs: dict[tuple[str, str], IndexResult],
                                                   history: MarketHistory) -> None:
    """The vol rules against the published gross premium, no returns involved. The premium is the share of the
    account it is written on, P / (K - P) under the PUT methodology's count N = V / (K - P) (issue 16d; P / K
    before, with N = V / K). PUT (the 30-day rule): 2006-2015 and 2006-2018 within 1.1 % (SPX rule 1.004 / 1.011;
    VXO rule 0.989 / 0.994; P / K gave 0.976 / 0.984 and 0.963 / 0.969). WPUT: the one-week ratio is refitted here
    on the 2006-2015 premium (0.850 under the SPX rule, as in VOL_SOURCES; 0.859 with P / K); the fit gives 1.000
    there by construction, 0.989 on 2006-2018 and 0.939 on the disjoint 2016-2018 validation (1.19 / 1.18 / 1.12
    before the ratio: one 30-day vol index over-prices a one-week put)."""
    for key, ratios in (("am", [1.002, 1.009]), ("vxo", [0.986, 0.992])):
        put = premium_check(runs[("PUT", key)])
        assert [p["source"] for p in put] == ["Bondarenko (2016)", "Bondarenko (2019)"]
        assert [float(p["ratio"]) for p in put] == pytest.approx(ratios, abs=0.005), key  # type: ignore[arg-type]
    assert fit_week_atm_ratio(history, VOL_SOURCES["spx"]) == pytest.approx(VOL_SOURCES["spx"].week_atm_ratio, abs=0.001)
    fit = fit_vix_atm_line(history.vix, history.vxo, *VIX_ATM_FIT_PERIOD)
    assert fit[0] == pytest.approx(VOL_SOURCES["spx"].vix_atm_ratio, abs=5e-4)
    assert fit[1] == pytest.approx(VOL_SOURCES["spx"].vix_atm_slope, abs=1e-5)
    _, slope_validation = fit_vix_atm_line(history.vix, history.vxo, *VIX_ATM_VALIDATION_PERIOD)
    assert slope_validation == pytest.approx(0.00269, abs=5e-5)   # the same slope on the disjoint 1990-2002
    wput = premium_check(run_index(history, "WPUT", date(2005, 12, 30), date(2018, 12, 31)))
    assert [float(p["ratio"]) for p in wput] == pytest.approx([1.000, 0.990, 0.942], abs=0.005)  # type: ignore[arg-type]
    raw = premium_check(run_index(history, "WPUT", date(2005, 12, 30), date(2018, 12, 31),
                                  iv_model=replace(VOL_SOURCES["spx"], week_atm_ratio=1.0)))
    assert [round(float(p["ratio"]), 2) for p in raw] == pytest.approx([1.19, 1.18, 1.12], abs=0.02)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def wput(history: MarketHistory) -> IndexResult:
    return run_index(history, "WPUT", date(2005, 12, 30), date(2015, 12, 31))


@pytest.mark.shared
def test_wput_with_the_premium_fitted_vol_misses_low(history: MarketHistory, wput: IndexResult) -> None:
    """With the premium at the published level, WPUT over Bondarenko's window (2006-01-31..2015-12-31, issue 16d)
    returns -0.15 % / 11.30 % against his 5.61 % / 9.85 %: our weekly payoffs are 100 % of the premium, the index's
    about 88 % (ADR 0006). Was 0.27 % / 11.14 % on 2005-12-30..2015-12-31 before issue 16d, 0.20 % / 10.93 % before
    issue 16e (the third Fridays of 2006-2016 at the estimated open). Pinned +-0.2 pp."""
    got = compare_published(wput, history)
    assert [c.published.source for c in got] == ["Bondarenko (2016), last 10 years"]
    assert got[0].published.start == date(2006, 1, 31)
    assert (got[0].ours.cagr, got[0].ours.vol) == pytest.approx((-0.0015, 0.1130), abs=0.002)
    assert got[0].within_cagr is False


def _weekly_payoffs(history: MarketHistory, expiries: pd.DatetimeIndex, write: str, settle: str) -> float:
    """Mean payoff / strike of a one-week put at the 5-point strike at or below the write level, from the S&P 500's
    own prints alone (no model): write/settle at the "close" or the "open" (a stale open, = the previous close, is
    taken as the close)."""
    close, opened = history.spx, history.spx_open
    assert opened is not None
    real = (opened - close.shift(1)).abs() > 1e-6
    level = {"close": close, "open": opened.where(real, close)}
    k = np.floor(level[write].reindex(expiries[:-1]).to_numpy() / 5.0 + 1e-9) * 5.0
    s_t = level[settle].reindex(expiries[1:]).to_numpy()
    return float(np.mean(np.maximum(k - s_t, 0.0) / k))


@pytest.mark.shared
def test_wput_payoff_path_is_the_closes_and_no_timing_gives_the_index_payoffs(history: MarketHistory,
                                                                                wput: IndexResult) -> None:
    """Issue 16c: the WPUT payoff miss is not in the engine's payoff path. (1) Each weekly put settles at exactly
    max(K - settlement print, 0), the print being the close on the PM-settled weeklies and the open on the
    third-Friday AM expiries (Cboe's WPUT rule) where the open is an opening print (2017 on; before, the close:
    issue 16d). (2) Measured: the mean payoff is 0.752 % of the strike a week, the mean premium 0.747 % of the
    strike (0.753 % of the account, the fit), so nothing is kept (16c: 0.758 % / 0.755 %, with 2006-2015's
    third Fridays settled at Yahoo's not-quite-stale opens). (3) For Bondarenko's 5.61 % CAGR with his 0.756 %
    premium the index's payoffs must have been ~0.66 % a week, but the S&P 500's own closes give 0.752 %
    (close->close). The rows below with Yahoo's opens (open->close 0.798 %, open->open 0.725 %, close->open
    0.676 %) are no evidence either way: before 2017 those opens carry 0-5 % of the daily variance, not an
    opening print's 13-27 % (`opening_print_years`). So with 5-point strikes the published premium and the
    published return are not consistent with each other on these closes (ADR 0006)."""
    ev, daily = wput.events, wput.daily
    sold = ev[ev["action"] == "sell_to_open"].set_index("cycle_id")
    done = ev[ev["action"].isin(["expired", "cash_settled"])].set_index("cycle_id")
    both = sold[["strike", "price"]].join(done[["date", "price"]].rename(columns={"price": "paid"}), how="inner")
    settle_px = daily["settle_px"].reindex(pd.to_datetime(both["date"])).to_numpy()
    np.testing.assert_allclose(both["paid"].to_numpy(), np.maximum(both["strike"].to_numpy() - settle_px, 0.0),
                               atol=1e-9)
    paid, premium = float((both["paid"] / both["strike"]).mean()), float((both["price"] / both["strike"]).mean())
    assert (paid, premium) == pytest.approx((0.00756, 0.00748), abs=3e-5)
    expiries = pd.DatetimeIndex(sorted(pd.to_datetime(both["date"]).unique()))
    expiries = expiries.insert(0, pd.Timestamp("2005-12-30"))
    timings = {(w, st): _weekly_payoffs(history, expiries, w, st) for w in ("close", "open") for st in ("close", "open")}
    assert timings[("close", "close")] == pytest.approx(0.00752, abs=5e-5)
    assert timings[("open", "close")] == pytest.approx(0.00798, abs=5e-5)
    assert timings[("open", "open")] == pytest.approx(0.00725, abs=5e-5)
    # written at a close, settled at an open (a week less 6.5 hours): the one combination near the index's implied
    # ~0.66 %, but no Cboe text describes it (PM weeklies settle at the close; AM ones are written after the open)
    assert timings[("close", "open")] == pytest.approx(0.00676, abs=5e-5)
    methodology = [timings[t] for t in (("close", "close"), ("open", "close"), ("open", "open"))]
    assert min(methodology) > 0.0070          # every timing a Cboe text describes pays well over ~0.66 %


@pytest.mark.shared
def test_base_index_reproduces_the_published_sp500_rows(history: MarketHistory) -> None:
    """Issue 16d: the S&P 500 total return beside the indexes in Bondarenko's tables, on the shared data. All three
    rows come out within 0.03 pp -- and Bondarenko (2016)'s "last 10 years" only on the 119 months from 2006-01-31
    (7.09 % / 15.11 %; from 2005-12-30: 7.31 % / 15.06 %), which fixes the window of its PUT and WPUT rows. The
    T-bill leg (FRED DTB3) over that window: 1.11 %/yr (the 1-month TB4WK 1.06 %: a 0.05 pp/yr question at most)."""
    days = pd.DatetimeIndex(history.spx.loc["1986-06-01":"2019-01-31"].index)
    tr = pd.Series(total_return_index(history, days, 0.022)[0], index=days)
    for source, start, end, cagr, vol in SPTR:
        got = compute_metrics(tr.loc[start.isoformat(): end.isoformat()])
        assert (got.cagr, got.vol) == pytest.approx((cagr, vol), abs=3e-4), source
    early = compute_metrics(tr.loc["2005-12-30":"2015-12-31"])
    assert early.cagr - 0.0709 > 0.002                      # the 120-month reading misses the published row
    bills = pd.Series(tbill_growth(tbill_rates(history, days)[0], days), index=days)
    assert compute_metrics(bills.loc["2006-01-31":"2015-12-31"]).cagr == pytest.approx(0.0111, abs=3e-4)


@pytest.mark.shared
def test_yahoo_opens_are_opening_prints_only_from_2017(history: MarketHistory) -> None:
    """Issue 16d: the overnight share of the S&P 500's daily variance in Yahoo's ^GSPC file is <= 5 % every year
    1990-2016 (the first print of the day is mostly stale closes) and >= 12 % every year 2017-2021, so the AM
    expiries settle at the open only from 2017 (no threshold in 5 %-12 % changes the split)."""
    share = overnight_share(history)
    assert float(share.loc[1990:2016].max()) < 0.05 and float(share.loc[2017:2021].min()) > 0.12
    assert [y for y in opening_print_years(history) if 1990 <= y <= 2021] == [2017, 2018, 2019, 2020, 2021]


@pytest.mark.shared
def test_put_against_bondarenko_2016(runs: dict[tuple[str, str], IndexResult], history: MarketHistory) -> None:
    """Bondarenko (2016): PUT 6.59 % / 11.51 % over 2006-01-31..2015-12-31 and 10.13 % / 10.16 % since mid-1986
    (to 2015-12). Ours (SPX rule, am): 5.61 % / 11.09 % and 10.18 % / 9.77 %: the last ten years miss (-0.98 pp),
    the long row meets (+0.05 pp; 9.60 % / 9.84 %, a miss, before issue 16e's estimated open). Before issue 16d the
    last-10-years row was read from 2005-12-30 (5.19 % / 10.80 %). Pinned at the measured values +-0.1 pp."""
    got = {c.published.source: c for c in compare_published(runs[("PUT", "am")], history)}
    last10, long_ = got["Bondarenko (2016), last 10 years"], got["Bondarenko (2016), since mid-1986"]
    assert last10.published.start == date(2006, 1, 31) and last10.ours.months == 119
    assert (last10.ours.cagr, last10.ours.vol) == pytest.approx((0.0561, 0.1109), abs=0.001)
    assert (long_.ours.cagr, long_.ours.vol) == pytest.approx((0.1018, 0.0977), abs=0.001)
    assert last10.within_cagr is False and long_.within_cagr is True and long_.within_vol is True


@pytest.mark.shared
def test_put_count_is_the_methodologys(runs: dict[tuple[str, str], IndexResult]) -> None:
    """Issue 16d: the PUT methodology sells N puts such that the T-bills -- the account plus the premium just received
    -- cover N x K: N = V / (K - P) whole contracts (was V / K). At close timing the roll day's closing cash is the
    account before the sale, V, plus the premium."""
    r = runs[("PUT", "close")]
    ev = r.events[(r.events["action"] == "sell_to_open") & (pd.to_datetime(r.events["date"]) >= r.daily.index[0])]
    cash = r.daily["cash"].reindex(pd.to_datetime(ev["date"])).to_numpy()
    n, k, p = (ev[c].to_numpy(dtype=float) for c in ("contracts", "strike", "price"))
    v = cash - n * 100.0 * p
    assert len(n) > 400
    assert (n * 100.0 * k <= cash * (1 + 1e-12)).all()                # fully cash-secured
    assert ((n + 1) * 100.0 * (k - p) > v).all()                       # and no whole contract more would be
    assert (n * 100.0 * k > v).mean() > 0.99                           # more than V / K would allow


@pytest.mark.shared
def test_cll_against_the_index_level_on_cboes_page(runs: dict[tuple[str, str], IndexResult],
                                                    history: MarketHistory) -> None:
    """Cboe's CLL page shows CLL 656.49 and PUT 1479.23 (both 100 on 1986-06-30) beside SPX 1982.77 (-11.52), which
    is 2014-09-23's close and no other day's: CLL 6.89 %/yr, PUT 10.01 %/yr to that day. Our PUT meets its row
    (10.40 %, 9.91 % before issue 16e: the reading of the page checks out); our CLL misses by 1.0 pp (5.86 %), its
    110 % call priced at the put-wing skew's vol floor on most rolls (ADR 0006). Pinned at the measured values
    +-0.1 pp."""
    from putwheel.backtest.published import CLL_PAGE_DAY, CLL_PAGE_SOURCE, level_cagr

    spx = history.spx
    day = pd.Timestamp(CLL_PAGE_DAY)
    assert spx.loc[day] == pytest.approx(1982.77, abs=0.005)
    assert spx.loc[:day].iloc[-2] == pytest.approx(1994.29, abs=0.005)
    assert ((spx - 1982.77).abs() < 0.005).sum() == 1                    # the print names one day
    put = next(c for c in compare_published(runs[("PUT", "am")], history) if c.published.source == CLL_PAGE_SOURCE)
    assert put.published.cagr == level_cagr(1479.23) == pytest.approx(0.1001, abs=1e-4)
    assert put.ours.cagr == pytest.approx(0.1040, abs=0.001) and put.within_cagr is True
    cll_run = run_index(history, "CLL", PUBLISHED_START, CLL_PAGE_DAY)
    (cll,) = compare_published(cll_run, history)
    assert cll.published.cagr == level_cagr(656.49) == pytest.approx(0.0689, abs=1e-4)
    assert cll.ours.cagr == pytest.approx(0.0586, abs=0.001) and cll.within_cagr is False and cll.within_vol is None


@pytest.mark.shared
def test_am_expiries_without_an_opening_print_settle_at_the_estimated_open(history: MarketHistory) -> None:
    """Issue 16e: where Yahoo's open is no opening print (1992-06..2016) an AM expiry settles at prev x (close /
    prev) ^ beta, beta the OLS share of the day's log move already in the open on 2017-2018 (0.199). On the
    untouched 2019-2021 the estimate misses the real open by 52 bp RMS, against 71 bp for the previous close and
    97 bp for the close (on the 2017-2018 fit: 30 / 34 / 72 bp). 2008-11-21, a +6.3 % day: prev 752.44, close
    800.03, real open 755.84 (not in Yahoo's stale-era file as a print); settle 761.68, write at ~11:00 770.53."""
    beta = overnight_beta(history)
    assert beta == pytest.approx(0.199, abs=0.002)
    assert beta == pytest.approx(SOQ_BETA, abs=5e-4)                 # the constant for data without opens
    assert overnight_beta(history, (1995, 1996)) == SOQ_BETA        # no opening prints there: no fit, the constant
    close = history.spx.sort_index()
    assert history.spx_open is not None
    frame = pd.concat([close.shift(1).rename("prev"), close.rename("close"), history.spx_open.rename("open")],
                      axis=1).dropna()
    frame["est"] = estimated_open(frame["prev"].to_numpy(), frame["close"].to_numpy(), beta)

    def rms(a: str, b: str, years: tuple[int, int]) -> float:
        part = frame[(frame.index.year >= years[0]) & (frame.index.year <= years[1])]
        return float(np.sqrt(np.mean(np.log(part[a] / part[b]) ** 2)) * 1e4)

    got = [rms(a, "open", (2019, 2021)) for a in ("est", "prev", "close")]
    assert got == pytest.approx([51.9, 71.3, 96.5], abs=0.5)
    assert rms("est", "open", (2017, 2018)) == pytest.approx(30.1, abs=0.5)
    r = run_index(history, "PUT", date(2008, 1, 1), date(2008, 12, 31))
    day = r.daily.loc["2008-11-21"]
    assert (day["settle_px"], day["write_px"]) == pytest.approx((761.68, 770.53), abs=0.01)
    assert r.daily.loc["2008-11-20", "settle_px"] == r.daily.loc["2008-11-20", "spot"]   # no expiry: the close
    close_run = run_index(history, "PUT", date(2008, 1, 1), date(2008, 12, 31), settlement="close")
    assert close_run.daily.loc["2008-11-21", "settle_px"] == pytest.approx(800.03, abs=0.01)


def test_tracking_splits_in_and_out_of_sample() -> None:
    """`track_windows`: the whole overlap, to 2018-12 and after, each with its corr and TE; PUT's TE targets 2 % /
    2.5 % (issue #16) mark a window ok or not; other indexes have no TE target."""
    days = pd.bdate_range("2016-01-01", "2021-12-31")
    rng = np.random.default_rng(11)
    levels = pd.Series(100.0 * np.cumprod(1.0 + rng.normal(0.0003, 0.008, len(days))), index=days)
    ours = monthly_returns(levels)
    noise = np.where(ours.index < pd.Timestamp("2019-01-01"), 0.004, 0.009) * np.where(
        np.arange(len(ours)) % 2 == 0, 1.0, -1.0)
    every, ins, out = track_windows("PUT", ours + noise, levels)
    assert (every.window, ins.window, out.window) == ("all", "in", "out")
    assert (ins.start, ins.end, out.start, out.end) == ("2016-01", "2018-12", "2019-01", "2021-12")
    assert ins.months + out.months == every.months == 72
    assert ins.tracking_error == pytest.approx(0.004 * np.sqrt(12.0), rel=0.05) and ins.te_ok is True
    assert out.tracking_error == pytest.approx(0.009 * np.sqrt(12.0), rel=0.05) and out.te_ok is False
    assert every.te_ok is None and every.te_limit is None
    whole, before = track_windows("BXM", ours, levels.loc[:"2018-12-31"])   # under 12 months after 2018: no "out"
    assert (whole.window, before.window) == ("all", "in") and before.te_ok is None
    assert whole.correlation == pytest.approx(1.0) and whole.tracking_error == pytest.approx(0.0, abs=1e-12)


def test_am_timing_runs_on_the_embedded_closes() -> None:
    """The embedded S&P 500 history has no Open column: the default am timing settles every AM expiry (from 1992-06)
    at the estimated open with SOQ_BETA, writes at ~11:00 from it, and says so in the label; close timing is
    unchanged."""
    from putwheel.data.series import load_embedded_history

    history = load_embedded_history()
    assert history.spx_open is None
    r = run_index(history, "PUT", date(2015, 1, 1), date(2015, 12, 31))
    days = pd.DatetimeIndex(r.daily.index)
    expiry = pd.Timestamp("2015-08-21")                       # the third Friday of August 2015
    prev = float(history.spx.loc[:expiry].iloc[-2])
    close = float(history.spx.loc[expiry])
    est = prev * (close / prev) ** SOQ_BETA
    assert r.daily.loc[expiry, "settle_px"] == pytest.approx(est, rel=1e-12)
    assert r.daily.loc[expiry, "write_px"] == pytest.approx(est + 1.5 / 6.5 * (close - est), rel=1e-12)
    other = days[days != expiry][:5]
    assert (r.daily.loc[other, "settle_px"] == r.daily.loc[other, "spot"]).all()
    assert "ESTIMATED open" in r.label and "13 of those 13 expiries have no opening print" in r.label
