"""putwheel.toml: defaults, unknown keys named, contradictory rules named with both values, file errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from putwheel.config import PlanConfig, load_config, parse_config
from putwheel.domain.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "putwheel.toml"

BAD = [
    # (data, message the ConfigError must contain)
    ({"rules": {"dte_mn": 30}}, "rules.dte_mn: unknown key"),
    ({"acount": {"free_cash": 1}}, "acount: unknown key"),
    ({"watchlist": [{"symbol": "AAPL", "taget_price": 150}]}, "watchlist.0.taget_price: unknown key"),
    ({"rules": {"dte_min": 50, "dte_max": 45}}, "dte_min 50 is above dte_max 45"),
    ({"rules": {"min_names": 8, "max_names": 5}}, "min_names 8 is above max_names 5"),
    ({"rules": {"ladder_weeks": [2, 2]}}, "ladder_weeks must be distinct positive week counts"),
    ({"account": {"free_cash": -5}}, "account.free_cash: Input should be greater than or equal to 0"),
    ({"watchlist": [{"symbol": "AAPL"}, {"symbol": "aapl"}]}, "watchlist lists AAPL twice"),
    ({"watchlist": [{"symbol": "X", "target_rule": {"kind": "valuation"}}]}, "target rule 'valuation' needs fair_value"),
    ({"account": {"positions": [{"symbol": "X", "kind": "short_put"}]}}, "held short put on X needs a strike"),
    ({"source": {"as_of": "2024-13-01"}}, "source.as_of"),
]


@pytest.mark.parametrize(("data", "message"), BAD, ids=[b[1] for b in BAD])
def test_config_bad_input_is_a_config_error_naming_it(data, message):
    with pytest.raises(ConfigError) as err:
        parse_config(data, where="putwheel.toml")
    assert message in str(err.value)
    assert str(err.value).startswith("putwheel.toml: ")


def test_config_defaults_follow_the_seed():
    cfg = PlanConfig()
    assert (cfg.rules.dte_min, cfg.rules.dte_max) == (30, 45)
    assert (cfg.rules.min_names, cfg.rules.max_names) == (5, 10)
    assert cfg.rules.ladder_weeks == (2, 4, 6)
    assert cfg.source.chains == "embedded"
    assert [w.symbol for w in cfg.watchlist] == ["XSP", "DJX", "AAPL", "MSFT", "GOOG"]


def test_config_is_frozen():
    cfg = PlanConfig()
    with pytest.raises(Exception, match="frozen"):
        cfg.rules.dte_min = 5  # type: ignore[misc]


def test_load_config_missing_file_and_bad_toml(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[rules\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)
    assert load_config(None) == PlanConfig()


def test_load_config_unknown_key_names_file_and_key(tmp_path):
    path = tmp_path / "putwheel.toml"
    path.write_text("[rules]\ndte_min = 30\nmax_delta = 0.3\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(path) in str(err.value) and "rules.max_delta: unknown key" in str(err.value)


def test_example_config_loads():
    cfg = load_config(EXAMPLE)
    assert cfg.account.free_cash > 0 and len(cfg.watchlist) >= 5
