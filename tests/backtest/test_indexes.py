"""The Cboe benchmark family on the Wheel engine (issue #16): the CLI/JSON contract, the engine's put leg against the
PUT reproduction, the covered-call leg against put-call parity and BXM's published figure, and the PUT figures
measured in sample (1986-06..2018-12, Bondarenko 2019) and out of sample (2019-2021) pinned with a margin.

Measured on the shared data (default timing "am", default vol source "spx": the VIX line from 1990, the IVModel defaults;
docs/adr/0006-putwrite-implied-vol.md has the tables; issue 16d's figures): PUT 1986-2018 CAGR 9.27 %, vol 9.59 %
(meets Bondarenko's 9.54 % / 9.95 %; the issue #6 VXO rule, `--vol-source vxo`, gives 10.00 % / 9.64 %, also inside);
2019-2021 CAGR 13.33 %, vol 12.90 % (the VXO rule: 12.62 % / 12.97 %). Timing alone ("am" vs "close") tracks at
0.37 %/yr in sample (only 2017-2018 have opening prints) and 2.67 %/yr out of sample. No official index series is in
the shared data, so
the tracking error against the official PUT is not measured here (`track` is tested on a constructed series).
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

from putwheel.backtest.indexes import (
    INDEXES,
    VOL_SOURCES,
    IndexResult,
    compare_published,
    fit_week_atm_ratio,
    opening_print_years,
    overnight_share,
    premium_check,
    run_index,
    track,
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
@pytest.mark.parametrize(("key", "cagr", "vol", "meets"), [("am", 0.0927, 0.0959, True), ("close", 0.0919, 0.0964, True),
                                                          ("vxo", 0.1000, 0.0964, True)])
def test_put_in_sample_against_bondarenko_2019(runs: dict[tuple[str, str], IndexResult], history: MarketHistory,
                                               key: str, cagr: float, vol: float, meets: bool) -> None:
    """Both rules meet Bondarenko's 9.54 % / 9.95 %: the SPX rule (default) at -0.27 pp / -0.36 pp, the issue #6 VXO
    rule at +0.46 pp / -0.31 pp (with its calls 13 % rich before 2008: see the premium tests). Issue 16d (the put
    count N = V / (K - P), and Yahoo's opens used only where they are opening prints, 2017 on) moved the SPX rule
    from 9.07 % / 9.46 %. Pinned at the measured values +-0.1 pp."""
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
    # in sample the two timings now differ only in 2017-2018 (the years with opening prints; issue 16d): 0.37 %/yr,
    # was 1.50 %/yr when 1992-2016's not-quite-stale opens settled the AM expiries
    assert ins == pytest.approx(0.0037, abs=0.001) and oos == pytest.approx(0.0267, abs=0.003)


@pytest.mark.shared
def test_covered_call_leg_by_put_call_parity(runs: dict[tuple[str, str], IndexResult]) -> None:
    """S - C = K e^{-rT} - P + dividends: the BXM leg (index + short call) must track the PUT leg closely."""
    bxm, put = runs[("BXM", "am")].monthly.loc[:"2018-12-31"], runs[("PUT", "am")].monthly.loc[:"2018-12-31"]
    assert float(bxm.corr(put)) > 0.985                            # measured 0.992
    assert _te(bxm, put) < 0.02                                    # measured 1.44 %/yr (strike above vs below)
    cagr = {n: compute_metrics(runs[(n, "am")].daily["value"].loc[:"2018-12-31"]).cagr for n in ("BXM", "PUT")}
    assert abs(cagr["BXM"] - cagr["PUT"]) < 0.005                  # measured 9.24 % vs 9.27 %


@pytest.mark.shared
@pytest.mark.parametrize(("key", "pinned", "within"), [
    ("am", [0.1394, 0.0900, 0.1242, 0.0970], [(True, True), (True, False)]),
    ("vxo", [0.1544, 0.0896, 0.1422, 0.0963], [(False, True), (False, False)])])
def test_covered_call_leg_against_published_bxm(runs: dict[tuple[str, str], IndexResult], history: MarketHistory,
                                                key: str, pinned: list[float], within: list[tuple[bool, bool]]) -> None:
    """Whaley (2002, via Cboe): BXM 13.88 % / 9.25 % 1988-06..2001-12; Feldman & Roy (2004): 12.39 % (/ 10.99 %,
    secondary source) 1988-06..2004. The SPX vol rule meets both CAGRs and Whaley's vol (F&R's vol misses by
    1.3 pp); the VXO rule misses both CAGRs by ~2 pp. Pinned at the measured values +-0.3 pp."""
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
    expiries): 1.070 / 0.981 (were 1.067 / 0.991)."""
    for key, ratios in (("am", [1.070, 0.981]), ("vxo", [1.133, 0.951])):
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
    off = json.loads(res.output)["official"]
    assert off["months"] >= 23 and off["correlation"] > 0.9999 and off["tracking_error"] < 1e-4


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
    for key, ratios in (("am", [1.004, 1.011]), ("vxo", [0.989, 0.994])):
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
    assert [float(p["ratio"]) for p in wput] == pytest.approx([1.000, 0.989, 0.939], abs=0.005)  # type: ignore[arg-type]
    raw = premium_check(run_index(history, "WPUT", date(2005, 12, 30), date(2018, 12, 31),
                                  iv_model=replace(VOL_SOURCES["spx"], week_atm_ratio=1.0)))
    assert [round(float(p["ratio"]), 2) for p in raw] == pytest.approx([1.19, 1.18, 1.12], abs=0.02)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def wput(history: MarketHistory) -> IndexResult:
    return run_index(history, "WPUT", date(2005, 12, 30), date(2015, 12, 31))


@pytest.mark.shared
def test_wput_with_the_premium_fitted_vol_misses_low(history: MarketHistory, wput: IndexResult) -> None:
    """With the premium at the published level, WPUT over Bondarenko's window (2006-01-31..2015-12-31, issue 16d)
    returns 0.20 % / 10.93 % against his 5.61 % / 9.85 %: our weekly payoffs are 100 % of the premium, the index's
    about 88 % (ADR 0006). Was 0.27 % / 11.14 % on 2005-12-30..2015-12-31 before issue 16d. Pinned +-0.2 pp."""
    got = compare_published(wput, history)
    assert [c.published.source for c in got] == ["Bondarenko (2016), last 10 years"]
    assert got[0].published.start == date(2006, 1, 31)
    assert (got[0].ours.cagr, got[0].ours.vol) == pytest.approx((0.0020, 0.1093), abs=0.002)
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
    assert (paid, premium) == pytest.approx((0.00752, 0.00747), abs=3e-5)
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
    (to 2015-12). Ours (SPX rule, am): 5.68 % / 10.74 % and 9.60 % / 9.84 %: both CAGRs miss (-0.91 pp, -0.53 pp).
    Before issue 16d the last-10-years row was read from 2005-12-30 (5.19 % / 10.80 %; on 2006-01-31 4.98 %) and
    the since-1986 row was not compared (9.36 % / 9.71 %). Pinned at the measured values +-0.1 pp."""
    got = {c.published.source: c for c in compare_published(runs[("PUT", "am")], history)}
    last10, long_ = got["Bondarenko (2016), last 10 years"], got["Bondarenko (2016), since mid-1986"]
    assert last10.published.start == date(2006, 1, 31) and last10.ours.months == 119
    assert (last10.ours.cagr, last10.ours.vol) == pytest.approx((0.0568, 0.1074), abs=0.001)
    assert (long_.ours.cagr, long_.ours.vol) == pytest.approx((0.0960, 0.0984), abs=0.001)
    assert last10.within_cagr is False and long_.within_cagr is False and long_.within_vol is True


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
    (9.91 %: the reading of the page checks out); our CLL misses by 1.0 pp (5.89 %), its 110 % call priced at the
    put-wing skew's vol floor on most rolls (ADR 0006). Pinned at the measured values +-0.1 pp."""
    from putwheel.backtest.published import CLL_PAGE_DAY, CLL_PAGE_SOURCE, level_cagr

    spx = history.spx
    day = pd.Timestamp(CLL_PAGE_DAY)
    assert spx.loc[day] == pytest.approx(1982.77, abs=0.005)
    assert spx.loc[:day].iloc[-2] == pytest.approx(1994.29, abs=0.005)
    assert ((spx - 1982.77).abs() < 0.005).sum() == 1                    # the print names one day
    put = next(c for c in compare_published(runs[("PUT", "am")], history) if c.published.source == CLL_PAGE_SOURCE)
    assert put.published.cagr == level_cagr(1479.23) == pytest.approx(0.1001, abs=1e-4)
    assert put.ours.cagr == pytest.approx(0.0991, abs=0.001) and put.within_cagr is True
    cll_run = run_index(history, "CLL", PUBLISHED_START, CLL_PAGE_DAY)
    (cll,) = compare_published(cll_run, history)
    assert cll.published.cagr == level_cagr(656.49) == pytest.approx(0.0689, abs=1e-4)
    assert cll.ours.cagr == pytest.approx(0.0589, abs=0.001) and cll.within_cagr is False and cll.within_vol is None
