"""`putwheel quote` end to end through the console entry point: numbers a seller checks by hand, errors as one line."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from putwheel.cli.app import app

runner = CliRunner()
BASE = ["quote", "SPY", "450", "put", "--expiry", "2025-01-17", "--spot", "455", "--as-of", "2024-12-02"]


def test_quote_json_has_the_sellers_numbers():
    res = runner.invoke(app, [*BASE, "--vol", "0.18", "--json"])
    assert res.exit_code == 0, res.output
    q = json.loads(res.output)
    assert q["dte"] == 46 and q["occ_symbol"] == "SPY   250117P00450000"
    assert q["collateral"] == "45000.00"  # 450 x 100 x 1
    premium = float(q["premium_total"]) / 100
    assert q["premium_yield"] == pytest.approx(premium / 450, rel=1e-3)
    assert q["annualized_yield"] == pytest.approx(premium / 450 * 365 / 46, rel=1e-3)
    assert q["breakeven"] == pytest.approx(450 - premium, abs=1e-3)
    assert -0.5 < q["delta"] < -0.3 and 0 < q["prob_assignment"] < 1
    assert q["american_price"] >= q["price"]


def test_quote_from_a_premium_solves_the_american_vol():
    res = runner.invoke(app, [*BASE, "--price", "4.20", "--json"])
    assert res.exit_code == 0, res.output
    q = json.loads(res.output)
    assert q["american_price"] == pytest.approx(4.20, abs=1e-9)
    assert q["vol_source"].startswith("implied")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["quote", "SPY", "450", "put", "--expiry", "2024-01-17", "--spot", "455", "--as-of", "2024-12-02", "--vol", "0.2"],
         "before as_of"),
        (["quote", "SPY", "-450", "put", "--expiry", "2025-01-17", "--spot", "455", "--as-of", "2024-12-02", "--vol", "0.2"],
         "strike"),
        (["quote", "SPY", "450", "straddle", "--expiry", "2025-01-17", "--spot", "455", "--as-of", "2024-12-02", "--vol", "0.2"],
         "right"),
        ([*BASE, "--vol", "18"], "percent"),
        (["quote", "SPY", "470", "put", "--expiry", "2025-01-17", "--spot", "455", "--as-of", "2024-12-02", "--price", "1"],
         "below intrinsic"),
        ([*BASE], "exactly one of vol or price"),
    ],
)
def test_bad_input_is_one_clear_line_and_nonzero_exit(args, needle):
    res = runner.invoke(app, args)
    assert res.exit_code != 0
    assert needle.lower() in res.output.lower()
    assert "Traceback" not in res.output


def test_vega_is_per_vol_point_in_the_cli_the_api_and_the_pricing_greeks():
    """One unit for vega where a user reads it: the price change for one vol point (0.18 -> 0.19)."""
    from putwheel.pricing import american_price, bs_greeks, bs_price

    res = runner.invoke(app, [*BASE, "--vol", "0.18", "--json"])
    q = json.loads(res.output)
    t = 46 / 365
    # quote's Greeks are the American engine's (an American contract): its vega is the American price's bump
    am = float(american_price(455.0, 450.0, t, 0.04, 0.0, 0.185, False)
               - american_price(455.0, 450.0, t, 0.04, 0.0, 0.175, False))
    assert q["vega_per_vol_point"] == pytest.approx(am, rel=1e-3)
    bump = float(bs_price(455.0, 450.0, t, 0.04, 0.0, 0.185, False) - bs_price(455.0, 450.0, t, 0.04, 0.0, 0.175, False))
    g = bs_greeks(455.0, 450.0, t, 0.04, 0.0, 0.18, False)
    assert float(g.vega_per_vol_point) == pytest.approx(bump, rel=1e-3) == float(g.vega) / 100
    table = runner.invoke(app, [*BASE, "--vol", "0.18"], env={"COLUMNS": "100"}).output
    assert f"{q['vega_per_vol_point']:.4f}" in table and "vega per vol pt" in table
