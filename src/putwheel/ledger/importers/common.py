"""What every broker importer shares: row issues with file:line, number parsing, ordering and stable keys.

An importer turns a file into `Parsed(events, issues)`; it never writes. Issues name `file:line` and say what is
wrong; the api refuses the whole file when there are any (or skips those rows on request), never half-applies.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from putwheel.domain.errors import DataError, InputError
from putwheel.ledger.events import MAX_AMOUNT, QUANTUM, Effect, Kind, LedgerEvent, content_key


@dataclass(frozen=True, slots=True)
class RowIssue:
    where: str  # file:line
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(slots=True)
class Parsed:
    source: str
    origin: str
    rows: int = 0
    events: list[LedgerEvent] = field(default_factory=list)
    issues: list[RowIssue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # things worth telling the user that are not errors
    format: str = ""  # the export format read ("legacy", "2024", "tcf", "statement"...): ranks copies (`dedupe`)

    @property
    def format_id(self) -> str:
        """`source/format`, the batch source stored with the import and ranked by `dedupe.FORMAT_RANK`."""
        return f"{self.source}/{self.format}" if self.format else self.source


class RowError(Exception):
    """Raised inside a row parser; becomes a `RowIssue` for that row."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(f"{message} ({hint})" if hint else message)


_US_NUMBER = re.compile(r"[-+]?\(?[-+]?\$?(\d{1,3}(,\d{3})+|\d*)(\.\d*)?([eE][-+]?\d+)?\)?")


def money(text: str | None, *, what: str) -> Decimal:
    """'1,990.00', '"-2,280.00"', '--', '' -> Decimal (empty and '--' are 0).

    Commas are thousands separators only (groups of three before the point): a locale decimal such as
    '1.989,90' or '-493,00' is refused, never read as 1.9899 or -49300.
    """
    stripped = (text or "").strip()
    if "," in stripped and not _US_NUMBER.fullmatch(stripped):
        raise RowError(f"{what} {text!r} uses a decimal comma or a misplaced thousands separator",
                       hint="export with US number format, e.g. 1,989.90")
    raw = stripped.replace(",", "").replace("$", "")
    if raw in ("", "--"):
        return Decimal(0)
    if raw.startswith("(") and raw.endswith(")"):
        raw = "-" + raw[1:-1]
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise RowError(f"{what} {text!r} is not a number") from exc
    if not value.is_finite():
        raise RowError(f"{what} {text!r} is not a finite number")
    if abs(value) >= MAX_AMOUNT:
        raise RowError(f"{what} {text!r} is above the ledger's limit of 10,000,000,000")
    return value


def whole(text: str | None, *, what: str) -> int:
    value = money(text, what=what)
    if value != value.to_integral_value():
        raise RowError(f"{what} {text!r} is fractional; the ledger holds whole shares and contracts")
    return int(value)


def per_share(value: Decimal) -> Decimal:
    return value.quantize(QUANTUM, rounding=ROUND_HALF_EVEN)


def _rank(ev: LedgerEvent) -> int:
    # Within one instant: closes (and option removals) before opens, so a roll reads close -> open and an
    # assignment reads option out -> shares in.
    if ev.effect is Effect.CLOSE or (ev.instrument is not None and ev.instrument.is_option
                                     and ev.kind in (Kind.EXPIRE, Kind.ASSIGN, Kind.EXERCISE)):
        return 0
    return 1


def finish(events: list[LedgerEvent]) -> list[LedgerEvent]:
    """Chronological order (closes first within an instant) and keys that survive re-import.

    Rows without a broker id get a content hash plus the occurrence count of identical rows in the file, so
    two identical fills stay two events and importing the file again maps onto the same keys.
    """
    ordered = sorted(events, key=lambda e: (e.ts, _rank(e)))
    seen: Counter[str] = Counter()
    out = []
    for ev in ordered:
        if ev.key.startswith(f"{ev.source}:id:"):
            out.append(ev)
            continue
        base = content_key(ev)
        seen[base] += 1
        out.append(replace(ev, key=content_key(ev, ordinal=seen[base] - 1)))
    return out


def refuse_if_issues(parsed: Parsed, *, limit: int = 10) -> None:
    if not parsed.issues:
        return
    shown = "; ".join(str(i) for i in parsed.issues[:limit])
    more = f" (and {len(parsed.issues) - limit} more)" if len(parsed.issues) > limit else ""
    raise DataError(
        f"{len(parsed.issues)} malformed row(s), nothing imported: {shown}{more}",
        where=parsed.origin, hint="fix the rows, or pass --skip-bad to import the rest and skip these",
    )


def as_input_error(exc: Exception) -> RowError:
    return RowError(exc.message if isinstance(exc, InputError) else str(exc))


# -- naming a file by its first line, so a refusal says what it is and which export to make instead ----------------
SUPPORTED = ("tastytrade transactions CSV (`putwheel import tastytrade`), IBKR Flex Query XML/CSV (Activity or Trade "
             "Confirmation) or Activity Statement CSV (`putwheel import ibkr`)")
_BY_HAND = "putwheel reads no {name} export yet: record its trades with `putwheel trade ...`, or import " + SUPPORTED


def _first_line(text: str) -> str:
    for line in text.lstrip("\ufeff").splitlines():
        if line.strip():
            return line.strip().lstrip("\ufeff")
    return ""


def identify(text: str) -> str | None:
    """Which export a file is, from its first non-blank line: "tastytrade", "ibkr-statement", "ibkr-flex-xml",
    "ibkr-flex-csv", "schwab", "fidelity", "robinhood", "pdf", "json"; None when it cannot tell."""
    first = _first_line(text)
    cols = [c.strip().strip('"') for c in first.split(",")]
    if first.startswith("%PDF"):
        return "pdf"
    if first.startswith(("{", "[")):
        return "json"
    if first.startswith("<") and ("FlexQueryResponse" in text[:4000] or "FlexStatementResponse" in text[:4000]):
        return "ibkr-flex-xml"
    if cols[:2] in (["Date", "Type"], ["Date/Time", "Transaction Code"]):
        return "tastytrade"
    if cols[:2] == ["Statement", "Header"]:
        return "ibkr-statement"
    if cols[:1] in (["BOF"], ["BOA"], ["BOS"], ["HEADER"]) or {"ClientAccountID", "IBCommission", "IBOrderID"} & set(cols):
        return "ibkr-flex-csv"
    if cols[:3] == ["Date", "Action", "Symbol"] or first.startswith(("Transactions  for account", '"Transactions  for account')):
        return "schwab"
    if cols[:2] == ["Run Date", "Action"]:
        return "fidelity"
    if cols[:3] == ["Activity Date", "Process Date", "Settle Date"]:
        return "robinhood"
    return None


def foreign(text: str, origin: str, reader: str) -> DataError | None:
    """A refusal naming the file's export and what to do, when `reader` ("tastytrade" or "ibkr") cannot read it."""
    kind = identify(text)
    if kind is None or kind.startswith(reader):
        return None
    if kind.startswith("ibkr"):
        what = {"ibkr-statement": "an IBKR Activity Statement CSV", "ibkr-flex-xml": "an IBKR Flex Query XML",
                "ibkr-flex-csv": "an IBKR Flex Query CSV"}[kind]
        return DataError(f"this is {what}, not a tastytrade export", where=origin,
                         hint="import it with `putwheel import ibkr FILE`")
    if kind == "tastytrade":
        return DataError("this is a tastytrade transactions export", where=origin,
                         hint="import it with `putwheel import tastytrade FILE --account NAME`")
    if kind == "pdf":
        return DataError("a PDF statement holds no machine-readable trades", where=origin,
                         hint="download the transactions as CSV (tastytrade: History > Transactions; IBKR: the Activity "
                              "Statement as CSV, or a Flex Query (Activity or Trade Confirmation) as XML)")
    if kind == "json":
        return DataError("a JSON file is not a broker export putwheel reads", where=origin,
                         hint="import " + SUPPORTED)
    name = {"schwab": "Schwab", "fidelity": "Fidelity", "robinhood": "Robinhood"}[kind]
    return DataError(f"this is a {name} transactions CSV, which putwheel does not import", where=origin,
                     hint=_BY_HAND.format(name=name))
