"""Sweeps: grid parsing, the same rows from every executor, Parquet round trip, frontier chart, Pareto flags."""

from __future__ import annotations

import importlib.util
from datetime import date

import numpy as np
import pandas as pd
import pytest

from putwheel.api.sweep import parse_grid, sort_sweep, sweep
from putwheel.backtest.sweep import grid_points, pareto_mask, run_sweep
from putwheel.data.series import load_embedded_history
from putwheel.domain.errors import InputError

START, END = date(2012, 1, 3), date(2016, 12, 30)
PW_POINTS = [{"delta": None}, {"delta": 0.2}, {"delta": 0.35}]


@pytest.fixture(scope="module")
def history():
    return load_embedded_history()


@pytest.mark.parametrize(("kind", "flags", "flag"), [
    ("wheel", {"delta": "0.2,abc"}, "--delta"),
    ("wheel", {"delta": "1.5"}, "--delta"),
    ("wheel", {"dte": "30,3"}, "--dte"),
    ("wheel", {"dte": "30.5"}, "--dte"),
    ("wheel", {"profit_take": "0.5,0"}, "--profit-take"),
    ("wheel", {"roll": "credit,sometimes"}, "--roll"),
    ("wheel", {"delta": "0.2,,0.3"}, "--delta"),
    ("putwrite", {"dte": "30"}, "--dte"),
])
def test_parse_grid_bad_value_names_flag(kind, flags, flag):
    with pytest.raises(InputError) as err:
        parse_grid(kind, **flags)
    assert err.value.where == flag


def test_parse_grid_values_and_defaults():
    grid = parse_grid("wheel", delta="0.15, 0.25,0.15", profit_take="0.5,none", roll="credit,never")
    assert grid == {"delta": [0.15, 0.25], "profit_take": [0.5, None], "roll": ["credit", "never"], "dte": [35],
                    "names": ["SPX"]}
    assert len(grid_points("wheel", grid)) == 8
    assert parse_grid("putwrite") == {"delta": [None]}
    assert parse_grid("putwrite", delta="atm,0.3") == {"delta": [None, 0.3]}


def test_putwrite_delta_moves_strike_down(history):
    frame = run_sweep("putwrite", history, START, END, PW_POINTS, "serial")
    strikes = frame["mean_strike_pct_of_spot"].to_numpy()
    assert strikes[1] < strikes[2] < strikes[0] <= 1.0           # 0.20-delta < 0.35-delta < ATM
    assert frame["vol"].iloc[1] < frame["vol"].iloc[0]


def test_pool_equals_serial(history):
    serial = run_sweep("putwrite", history, START, END, PW_POINTS, "serial")
    pooled = run_sweep("putwrite", history, START, END, PW_POINTS, "pool", workers=2)
    pd.testing.assert_frame_equal(serial, pooled)


def test_wheel_points_differ_by_rule(history):
    points = grid_points("wheel", {"delta": [0.2, 0.4], "roll": ["credit", "never"]})
    frame = run_sweep("wheel", history, date(2015, 6, 1), date(2015, 10, 30), points, "pool", workers=2)
    assert list(frame["delta"]) == [0.2, 0.2, 0.4, 0.4] and list(frame["roll"]) == ["credit", "never"] * 2
    assert frame["cagr"].nunique() > 1
    assert np.isfinite(frame[["cagr", "vol", "max_drawdown", "assignment_rate"]].to_numpy()).all()


@pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="ray is not installed (pip install 'putwheel[ray]')")
def test_ray_equals_pool(history):
    import ray
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    try:
        via_ray = run_sweep("putwrite", history, START, END, PW_POINTS, "ray")
    finally:
        ray.shutdown()
    pooled = run_sweep("putwrite", history, START, END, PW_POINTS, "pool", workers=2)
    pd.testing.assert_frame_equal(via_ray, pooled)


def test_sweep_parquet_round_trip_and_chart(tmp_path):
    out, chart = tmp_path / "sweep.parquet", tmp_path / "frontier.html"
    frame = sweep("putwrite", START, END, delta="atm,0.2,0.35", data="embedded", serial=True, out=out, chart=chart,
                  sort_by="cagr")
    assert frame["cagr"].is_monotonic_decreasing and frame["pareto"].any()
    back = pd.read_parquet(out)
    pd.testing.assert_frame_equal(back, frame, check_dtype=False)
    page = chart.read_text()
    assert "Pareto frontier" in page and "delta=none" in page and "plotly" in page


def test_sweep_bad_sort_and_folder(tmp_path):
    with pytest.raises(InputError) as err:
        sweep("putwrite", START, END, data="embedded", sort_by="luck")
    assert err.value.where == "--sort"
    with pytest.raises(InputError) as err:
        sweep("putwrite", START, END, data="embedded", out=tmp_path / "nope" / "x.parquet")
    assert err.value.where == "--out"
    frame = pd.DataFrame({"sharpe": [0.1, 0.5], "vol": [0.2, 0.1]})
    assert list(sort_sweep(frame, "vol")["vol"]) == [0.1, 0.2]


def test_pareto_mask():
    ret = np.array([0.05, 0.08, 0.06, 0.08, 0.02])
    risk = np.array([0.05, 0.10, 0.12, 0.11, 0.05])
    assert list(pareto_mask(ret, risk)) == [True, True, False, False, False]


def test_wheel_sweep_over_names_runs_each_name_and_sleeve_set() -> None:
    history = load_embedded_history()
    points = grid_points("wheel", parse_grid("wheel", names="SPX,aapl,AAPL+MSFT", delta="0.3"))
    assert [p["names"] for p in points] == ["SPX", "AAPL", "AAPL+MSFT"]
    frame = run_sweep("wheel", history, date(2016, 1, 4), date(2016, 12, 30), points, "serial", 1, None, None)
    assert list(frame["names"]) == ["SPX", "AAPL", "AAPL+MSFT"]
    assert frame["period"].iloc[0] == "2016-01-04..2016-12-30"
    assert frame["period"].iloc[1].startswith("2016-01-")   # the embedded single names start Dec 2015 (+30 days)
    assert frame["final_value"].nunique() == 3 and frame["trades"].gt(0).all()


def test_wheel_sweep_rejects_unknown_names() -> None:
    with pytest.raises(InputError, match="--names"):
        parse_grid("wheel", names="AAPL,AA PL")
    history = load_embedded_history()
    points = grid_points("wheel", {"names": ["ZZZZ"]})
    with pytest.raises(InputError, match=r"no embedded closes for \['ZZZZ'\]"):
        run_sweep("wheel", history, date(2016, 1, 4), date(2016, 12, 30), points, "serial", 1, None, None)


def test_rows_over_different_periods_are_ranked_and_pareto_marked_within_their_period():
    from putwheel.api.sweep import sort_sweep
    from putwheel.reports.sweep import frontier_points

    frame = pd.DataFrame({"names": ["SPX", "SPX", "AAPL", "AAPL", "AAPL"],
                          "period": ["2015..2018"] * 2 + ["2016..2017"] * 3,
                          "cagr": [0.08, 0.09, 0.20, 0.15, 0.10], "vol": [0.05, 0.06, 0.11, 0.09, 0.12],
                          "sharpe": [1.4, 1.5, 1.6, 1.5, 0.8]})
    pareto = frontier_points(frame)["pareto"].tolist()
    # pooled, AAPL's 20 % CAGR would push both SPX rows off the frontier; per period each keeps its own
    assert pareto == [True, True, True, True, False]
    ranked = sort_sweep(frame, "sharpe")
    assert ranked["period"].tolist() == ["2016..2017"] * 3 + ["2015..2018"] * 2   # the larger group first
    assert ranked["sharpe"].tolist() == [1.6, 1.5, 0.8, 1.5, 1.4]                  # best first within each
