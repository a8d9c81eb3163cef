"""`putwheel quote`: one contract priced for a seller, as a rich table or JSON."""

from __future__ import annotations

import json
from datetime import date, datetime

import typer
from rich.table import Table

from putwheel import api
from putwheel.cli.app import app
from putwheel.cli.errors import user_errors
from putwheel.cli.tables import fit_table, show, text
from putwheel.domain.errors import InputError


def parse_date(text: str, name: str) -> date:
    """ISO date from the command line; a bad one is an InputError naming the option."""
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()  # noqa: DTZ007 - a calendar date, no time zone
    except ValueError:
        raise InputError(f"{name} {text!r} is not a date", hint="use YYYY-MM-DD, e.g. 2025-01-17") from None


def render_quote(q: api.Quote) -> Table:
    rows = [
        ("as of / DTE", f"{q.as_of}  /  {q.dte} days"),
        ("spot, vol", f"{q.spot:,.2f}, {q.vol:.2%} ({q.vol_source})"),
        ("rate, dividend yield", f"{q.rate:.2%}, {q.dividend_yield:.2%}"),
        ("price (European BSM)", f"{q.price:.4f}"),
        ("price (American, fixed-point)", f"{q.american_price:.4f}  (early-exercise premium {q.early_exercise_premium:.4f})"),
        ("delta / gamma (American)", f"{q.delta:+.4f} / {q.gamma:.5f}"),
        ("theta per day / vega per vol pt", f"{q.theta_per_day:+.4f} / {q.vega_per_vol_point:.4f}"),
        ("rho per rate pt", f"{q.rho_per_rate_point:+.4f}"),
        ("prob. of assignment N(-d2) / |delta|", f"{q.prob_assignment:.1%} / {q.prob_assignment_delta:.1%}"),
        ("prob. of touching the strike", f"{q.prob_touch:.1%}"),
        (f"premium for {q.contracts} contract(s)", str(q.premium_total)),
        ("collateral set aside", str(q.collateral)),
        ("premium yield / annualized", f"{q.premium_yield:.2%} / {q.annualized_yield:.1%}"),
        ("breakeven (net cost basis)", f"{q.breakeven:,.2f}  ({q.discount_to_spot:.2%} from spot)"),
    ]
    return fit_table(f"{q.contract}  ({q.occ_symbol.strip()})", [text("", style="bold", min_width=20), text("")],
                     rows, show_header=False)


@app.command()
def quote(
    underlying: str = typer.Argument(..., help="Underlying symbol, e.g. SPY."),
    strike: str = typer.Argument(..., help="Strike price, e.g. 450."),
    right: str = typer.Argument(..., help="put or call."),
    expiry: str = typer.Option(..., help="Expiry date YYYY-MM-DD."),
    spot: float = typer.Option(..., help="Underlying price."),
    as_of: str = typer.Option(..., "--as-of", help="Pricing date YYYY-MM-DD (explicit, never the clock)."),
    vol: float | None = typer.Option(None, help="Implied vol as a fraction (0.18). Or give --price."),
    price: float | None = typer.Option(None, help="Option premium per share; vol is then implied."),
    rate: float = typer.Option(0.04, help="Risk-free rate, continuous, as a fraction."),
    div_yield: float = typer.Option(0.0, "--div-yield", help="Dividend yield, continuous, as a fraction."),
    contracts: int = typer.Option(1, help="Number of contracts."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Price a put or call for a seller: premium, Greeks, assignment odds, yield on collateral."""
    with user_errors():
        q = api.quote(underlying, strike, right, parse_date(expiry, "--expiry"), spot=spot,
                      as_of=parse_date(as_of, "--as-of"), vol=vol, price=price, rate=rate,
                      dividend_yield=div_yield, contracts=contracts)
    if as_json:
        typer.echo(json.dumps(q.as_dict(), indent=2))
    else:
        show(render_quote(q))
