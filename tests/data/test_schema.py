"""The chain schema: normalization fills derived columns, validation names source, row and column."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from putwheel.data.schema import COLUMNS, normalize_chain, occ_symbols, validate_chain
from putwheel.domain.contract import OptionContract
from putwheel.domain.errors import DataError

AS_OF = date(2024, 1, 2)


def _raw(**over: object) -> pd.DataFrame:
    base = {
        "underlying": ["SPY", "SPY", "SPY"], "spot": [470.0, 470.0, 470.0],
        "expiry": ["2024-01-19", "2024-01-19", "2024-02-16"], "strike": [450.0, 460.5, 450.0],
        "right": ["put", "P", "c"], "bid": [1.10, 2.0, 25.0], "ask": [1.20, 2.1, 25.5],
        "quote_time": ["2024-01-02 15:59:00"] * 3,
    }
    base.update(over)
    return pd.DataFrame(base)


def test_normalize_fills_schema_columns_and_derived_values():
    chain = normalize_chain(_raw(), "test", AS_OF)
    assert list(chain.columns[: len(COLUMNS)]) == list(COLUMNS)
    assert chain["right"].tolist() == ["P", "P", "C"]
    assert chain["dte"].tolist() == [17, 17, 45]
    np.testing.assert_allclose(chain["mid"], [1.15, 2.05, 25.25])
    assert chain["multiplier"].tolist() == [100, 100, 100]
    assert str(chain["quote_time"].dt.tz) == "UTC"
    assert chain["quote_time"].iloc[0] == pd.Timestamp("2024-01-02 20:59:00", tz="UTC")  # naive = New York
    assert chain["occ_symbol"].iloc[1] == OptionContract("SPY", date(2024, 1, 19), "460.5", "P").occ_symbol


def test_occ_symbols_match_domain_contract_for_index_roots():
    got = occ_symbols(pd.Series(["_SPX", "SPXW"]), pd.Series(pd.to_datetime(["2026-08-21", "2026-08-28"])),
                      pd.Series(["C", "P"]), np.array([200.0, 6790.0]))
    assert got.tolist() == ["SPX   260821C00200000", "SPXW  260828P06790000"]


def test_dte_defaults_to_the_quote_day_in_new_york():
    chain = normalize_chain(_raw(quote_time=["2024-01-03 02:00:00+00:00"] * 3), "test")  # 21:00 NY on Jan 2
    assert chain["dte"].iloc[0] == 17


@pytest.mark.parametrize(("over", "row", "column"), [
    ({"strike": [450.0, -1.0, 450.0]}, 1, "strike"),
    ({"strike": [450.0, 460.0, "abc"]}, 2, "strike"),
    ({"right": ["P", "X", "C"]}, 1, "right"),
    ({"bid": [1.0, 2.0, -0.5]}, 2, "bid"),
    ({"spot": [470.0, 0.0, 470.0]}, 1, "spot"),
    ({"expiry": ["2024-01-19", "not a date", "2024-01-19"]}, 1, "expiry"),
    ({"expiry": ["2023-12-15", "2024-01-19", "2024-01-19"]}, 0, "expiry"),
    ({"quote_time": ["2024-01-02", None, "2024-01-02"]}, 1, "quote_time"),
])
def test_validate_names_source_row_and_column(over, row, column):
    with pytest.raises(DataError) as err:
        normalize_chain(_raw(**over), "chains.csv", AS_OF)
    assert err.value.where == f"chains.csv, row {row}, column {column!r}"


def test_missing_required_column_is_named():
    with pytest.raises(DataError, match="missing column.*bid"):
        normalize_chain(_raw().drop(columns=["bid"]), "x.csv")


def test_empty_chain_is_a_data_error():
    with pytest.raises(DataError, match="empty"):
        normalize_chain(_raw().iloc[0:0], "x.csv")


def test_percent_ivs_are_refused_as_wrong_units():
    with pytest.raises(DataError, match="percent") as err:
        normalize_chain(_raw(iv=[18.5, 19.0, 22.0]), "x.csv", AS_OF)
    assert "column 'iv'" in (err.value.where or "")


def test_validate_chain_refuses_a_frame_missing_schema_columns():
    chain = normalize_chain(_raw(), "t", AS_OF)
    with pytest.raises(DataError, match="quality"):
        validate_chain(chain.drop(columns=["quality"]), "t")


def test_modelled_chain_passes_validation():
    from putwheel.data.modelled import modelled_chain
    closes = pd.Series(np.linspace(100, 120, 300), index=pd.bdate_range("2023-01-02", periods=300))
    as_of = closes.index[-1].date()
    chain = modelled_chain("XSP", closes, as_of, [date(2024, 3, 15)], rate=0.04)
    out = normalize_chain(chain, "modelled", as_of)
    assert (out["quality"] == "modelled").all()
    assert out["occ_symbol"].tolist() == chain["occ_symbol"].tolist()


def test_modelled_chains_of_several_names_equal_the_concatenated_chains():
    from putwheel.data.modelled import modelled_chain, modelled_chains
    days = pd.bdate_range("2023-01-02", periods=300)
    closes = {"AAA": pd.Series(np.linspace(100, 120, 300), index=days),
              "BB": pd.Series(np.linspace(900, 700, 300), index=days)}
    as_of, expiries = days[-1].date(), [date(2024, 2, 16), date(2024, 3, 15)]
    atms = {"AAA": None, "BB": 0.3}
    one = pd.concat([modelled_chain(s, c, as_of, expiries, 0.04, atm=atms[s]) for s, c in closes.items()],
                    ignore_index=True)
    many = modelled_chains([("AAA", closes["AAA"], None), ("BB", closes["BB"], 0.3)], as_of, expiries, 0.04)
    pd.testing.assert_frame_equal(many, one, check_exact=True)
    assert OptionContract.from_occ(many["occ_symbol"].iloc[-1]) == OptionContract(
        "BB", date(2024, 3, 15), str(many["strike"].iloc[-1]), "C")
    lean = modelled_chains([("AAA", closes["AAA"], None), ("BB", closes["BB"], 0.3)], as_of, expiries, 0.04,
                           calls=False, labels=False)   # what the planner's backtest asks for: the puts' numbers
    puts = one.loc[one["right"] == "P"].drop(columns=["last", "occ_symbol", "quote_time", "quality"])
    pd.testing.assert_frame_equal(lean, puts.reset_index(drop=True), check_exact=True)
    only_puts = modelled_chains([("BB", closes["BB"], 0.3)], as_of, expiries, 0.04, calls=False)
    assert list(only_puts["occ_symbol"]) == list(one.loc[(one["right"] == "P") & (one["underlying"] == "BB"), "occ_symbol"])
