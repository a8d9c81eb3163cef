"""The Cboe benchmark family on the Wheel engine (issue #16): the CLI/JSON contract, the engine's put leg against the
PUT reproduction, the covered-call leg against put-call parity and BXM's published figure, and the PUT figures
measured in sample (1986-06..2018-12, Bondarenko 2019) and out of sample (2019-2021) pinned with a margin.

Measured on the shared data (default timing "am"; docs/adr/0006-putwrite-implied-vol.md has the table):
PUT 1986-2018 CAGR 9.78 %, vol 9.52 %; 2019-2021 CAGR 12.22 %, vol 12.76 %. Timing alone ("am" vs "close")
tracks at 1.50 %/yr in sample and 2.64 %/yr out of sample. No official index series is in the shared data, so
the tracking error against the official PUT is not measured here (`track` is tested on a constructed series).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from putwheel.backtest.indexes import INDEXES, IndexResult, compare_published, premium_check, run_index, track
from putwheel.backtest.inputs import IVModel
from putwheel.backtest.metrics import compute_metrics, monthly_returns
from putwheel.backtest.published import FAMILY, PUBLISHED_END, PUBLISHED_START
from putwheel.backtest.putwrite import run_putwrite
from putwheel.cli.app import app
from putwheel.data.series import MarketHistory, load_shared_history

runner = CliRunner()
OOS_END = date(2021, 12, 31)


@pytest.fixture(scope="module")
def history(shared: Path) -> MarketHistory:
    return load_shared_history(shared)


@pytest.fixture(scope="module")
def runs(history: MarketHistory) -> dict[tuple[str, str], IndexResult]:
    """PUT and BXM 1986-06-30..2021-12-31, both timings (each run well under a second once compiled)."""
    return {(n, t): run_index(history, n, PUBLISHED_START, OOS_END, settlement=t)  # type: ignore[arg-type]
            for n in ("PUT", "BXM") for t in ("am", "close")}


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
    ref = monthly_returns(run_putwrite(history, PUBLISHED_START, PUBLISHED_END).daily["value"])
    assert len(ours) == len(ref) == 390
    assert float((ours - ref).abs().max()) < 1e-6          # measured 1.6e-7 (whole contracts at 1e10 of cash)


@pytest.mark.shared
@pytest.mark.parametrize(("timing", "cagr", "vol"), [("am", 0.0978, 0.0952), ("close", 0.0979, 0.0946)])
def test_put_in_sample_meets_bondarenko_2019(runs: dict[tuple[str, str], IndexResult], history: MarketHistory,
                                             timing: str, cagr: float, vol: float) -> None:
    r = runs[("PUT", timing)]
    got = compare_published(r, history)[0]
    assert got.published.source.startswith("Bondarenko (2019)")
    assert got.within_cagr and got.within_vol                       # the targets, 0.5 pp / 0.75 pp
    assert got.ours.cagr == pytest.approx(cagr, abs=0.0015) and got.ours.vol == pytest.approx(vol, abs=0.0015)


@pytest.mark.shared
def test_put_out_of_sample_and_timing_tracking_as_measured(runs: dict[tuple[str, str], IndexResult]) -> None:
    """2019-2021 is priced only by the VIX x 0.833 rule (fitted on 2003-2018 implied vols); pinned as measured."""
    am, close = runs[("PUT", "am")], runs[("PUT", "close")]
    assert _window(am, "2018-12-31", "2021-12-31") == pytest.approx((0.1222, 0.1276), abs=0.0015)
    assert _window(close, "2018-12-31", "2021-12-31") == pytest.approx((0.1020, 0.1411), abs=0.0015)
    ins = _te(am.monthly.loc[:"2018-12-31"], close.monthly.loc[:"2018-12-31"])
    oos = _te(am.monthly.loc["2019-01-01":], close.monthly.loc["2019-01-01":])
    assert ins == pytest.approx(0.0150, abs=0.002) and oos == pytest.approx(0.0264, abs=0.003)


@pytest.mark.shared
def test_covered_call_leg_by_put_call_parity(runs: dict[tuple[str, str], IndexResult]) -> None:
    """S - C = K e^{-rT} - P + dividends: the BXM leg (index + short call) must track the PUT leg closely."""
    bxm, put = runs[("BXM", "am")].monthly.loc[:"2018-12-31"], runs[("PUT", "am")].monthly.loc[:"2018-12-31"]
    assert float(bxm.corr(put)) > 0.985                            # measured 0.991
    assert _te(bxm, put) < 0.02                                    # measured 1.62 %/yr (strike above vs below)
    assert abs(compute_metrics(runs[("BXM", "am")].daily["value"].loc[:"2018-12-31"]).cagr - 0.0978) < 0.005


@pytest.mark.shared
def test_covered_call_leg_against_published_bxm(runs: dict[tuple[str, str], IndexResult],
                                                history: MarketHistory) -> None:
    """Whaley (2002, via Cboe): BXM 13.88 % / 9.25 % 1988-06..2001-12; Feldman & Roy (2004): 12.39 % 1988-06..2004.
    Ours 15.68 % / 8.96 % and 14.52 % / 9.62 %: both MISS the 0.5 pp CAGR target by ~2 pp (the model's 1990s
    premiums are rich: see the call premium check below). Pinned at the measured values +-0.3 pp (a regression
    guard, not the issue's target)."""
    got = compare_published(runs[("BXM", "am")], history)
    assert [c.published.source for c in got] == ["Whaley (2002) via Cboe", "Feldman & Roy (2004), Ibbotson"]
    assert [c.within_cagr for c in got] == [False, False]
    assert [x for c in got for x in (c.ours.cagr, c.ours.vol)] == pytest.approx([0.1568, 0.0896, 0.1452, 0.0962],
                                                                             abs=0.003)
    assert [c.within_vol for c in got] == [True, False]


@pytest.mark.shared
def test_call_premium_level_against_cboe(runs: dict[tuple[str, str], IndexResult]) -> None:
    """The one published call-premium level (Cboe 2008: BXM's gross premium averaged 1.6 % a month, 1986-06..2008-07):
    ours is 1.81 %, 1.13 x -- the VXO-priced at-the-money call is rich before 2008, while the same rule prices PUT's
    puts 4 % LEAN in 2006-2015: the vol rule's error is time-varying (ADR 0006, "Issue #16 follow-up")."""
    bxm = premium_check(runs[("BXM", "am")])
    assert [p["source"] for p in bxm] == ["Cboe (2008)"]
    assert float(bxm[0]["ratio"]) == pytest.approx(1.13, abs=0.02)  # type: ignore[arg-type]


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
    """The vol rules against the published gross premium, no returns involved. PUT (the 30-day rule, fitted on
    2003-2018-04 implied vols): 2006-2015 and 2006-2018 within 5 % (measured 0.963, 0.969). WPUT (the one-week
    ratio 0.86, fitted on the 2006-2015 premium): 1.000 there by construction, 0.988 on 2006-2018 and 0.935 on the
    disjoint 2016-2018 validation (1.177 / 1.163 before the ratio: one 30-day vol index over-prices a one-week put)."""
    put = premium_check(runs[("PUT", "am")])
    assert [p["source"] for p in put] == ["Bondarenko (2016)", "Bondarenko (2019)"]
    assert all(0.95 <= float(p["ratio"]) <= 1.0 for p in put)  # type: ignore[arg-type]
    wput = premium_check(run_index(history, "WPUT", date(2005, 12, 30), date(2018, 12, 31)))
    assert [round(float(p["ratio"]), 3) for p in wput] == pytest.approx([1.000, 0.988, 0.935], abs=0.01)  # type: ignore[arg-type]
    raw = premium_check(run_index(history, "WPUT", date(2005, 12, 30), date(2018, 12, 31),
                                  iv_model=IVModel(week_atm_ratio=1.0)))
    assert [round(float(p["ratio"]), 2) for p in raw][:2] == pytest.approx([1.18, 1.16], abs=0.02)  # type: ignore[arg-type]


@pytest.mark.shared
def test_wput_with_the_premium_fitted_vol_misses_low(history: MarketHistory) -> None:
    """With the premium at the published level, WPUT 2006-2015 returns 0.27 % / 11.25 % against Bondarenko's 5.61 %
    / 9.85 %: our weekly payoffs are 100 % of the premium, the index's about 88 % -- the miss is in the payoff path,
    not the vol level (ADR 0006). Pinned at the measured values +-0.3 pp."""
    got = compare_published(run_index(history, "WPUT", date(2005, 12, 30), date(2015, 12, 31)), history)
    assert [c.published.source for c in got] == ["Bondarenko (2016), last 10 years"]
    assert (got[0].ours.cagr, got[0].ours.vol) == pytest.approx((0.0027, 0.1125), abs=0.003)
    assert got[0].within_cagr is False
