"""`putwheel backtest index NAME`: one Cboe benchmark (PUT, WPUT, BXM, BXMD, PPUT, CLL) on the Wheel engine's legs,
beside its published figures and, when available, the official index series.

Stages: choose data -> clamp the period -> `backtest.indexes.run_index` -> published comparison -> official series
(a Cboe `{NAME}_History.csv` given as a file, else the local cache of `putwheel data fetch cboe:NAME`) -> result.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import pandas as pd

from putwheel.api.backtest import DataChoice, _check_folder, _data_end, _finite, _load
from putwheel.backtest.index_checks import (
    Comparison,
    Tracking,
    by_market,
    compare_published,
    premium_check,
    track_windows,
)
from putwheel.backtest.indexes import IndexResult, Settlement, VolSource, rule, run_index, vol_model
from putwheel.backtest.published import MIN_MONTHLY_CORR, TOLERANCE
from putwheel.data.history import load_cached, parse_cboe_index_csv
from putwheel.domain.errors import DataError, InputError

DEFAULT_START = date(1986, 6, 30)


@dataclass(frozen=True)
class IndexBacktest:
    """The run, its published comparisons, the official-series tracking (None: no series) and notes."""

    result: IndexResult
    title: str
    data: str
    published: tuple[Comparison, ...]
    official_source: str | None
    notes: tuple[str, ...]
    official_windows: tuple[Tracking, ...] = ()   # whole overlap, in sample, out of sample (empty: no series)
    official_by_market: tuple[dict[str, object], ...] = ()   # ours - official by the month's market return
    report_path: Path | None = None

    @property
    def official(self) -> Tracking | None:
        """The official-series tracking over the whole overlap (None: no series)."""
        return self.official_windows[0] if self.official_windows else None

    @property
    def verdict(self) -> str:
        """"meets" (every published CAGR/vol within tolerance and, if measured, the monthly correlation >= 0.98 and
        PUT's tracking error within target in each window), "misses", or "unverified" (no figure covers the run)."""
        checks: list[bool | None] = [c.within_cagr for c in self.published] + [c.within_vol for c in self.published]
        for t in self.official_windows:
            checks += [t.corr_ok, t.te_ok]
        known = [c for c in checks if c is not None]
        if not known:
            return "unverified"
        return "meets" if all(known) else "misses"

    def as_dict(self) -> dict[str, object]:
        res = self.result
        monthly = {f"{d:%Y-%m}": float(r) for d, r in res.monthly.items()}
        return _finite({  # type: ignore[return-value]
            "index": res.name, "title": self.title, "label": res.label, "data": self.data,
            "settlement": res.settlement, "vol_source": res.vol_source, "start": res.daily.index[0].date().isoformat(),
            "end": res.daily.index[-1].date().isoformat(), "metrics": res.metrics.as_dict() | {
                "start": res.metrics.start.date().isoformat(), "end": res.metrics.end.date().isoformat()},
            "monthly_returns": monthly,
            "published": [c.as_dict() for c in self.published],
            "premium": premium_check(res),
            "official": None if self.official is None else self.official.as_dict() | {"source": self.official_source},
            "official_windows": [t.as_dict() for t in self.official_windows],
            "official_by_market": list(self.official_by_market),
            "targets": {"cagr_pp": TOLERANCE["cagr"] * 100, "vol_pp": TOLERANCE["vol"] * 100,
                        "min_monthly_corr": MIN_MONTHLY_CORR},
            "verdict": self.verdict, "notes": list(self.notes),
            "report": str(self.report_path) if self.report_path else None,
        })


def _official(name: str, path: Path | None) -> tuple[pd.Series | None, str | None, str | None]:
    """(levels, source, note): the file given, else the cache; a missing cache is a note, not an error."""
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise InputError(f"cannot read the official series: {exc.strerror}", where=str(path),
                             hint=f"give a Cboe {name}_History.csv (DATE,...,CLOSE)") from None
        frame = parse_cboe_index_csv(text, str(path))
        return frame["close"], str(path), None
    try:
        frame = load_cached(f"cboe:{name}")
    except DataError:
        return None, None, (f"no official {name} series: the shared data has none and the cache has no cboe:{name} "
                            f"(putwheel data fetch cboe:{name}, or --official FILE); correlation not measured")
    return frame["close"], f"cache cboe:{name}", None


def backtest_index(name: str, start: date | None = None, end: date | None = None, data: DataChoice = "auto",
                   settlement: Settlement = "am", official: Path | None = None,
                   vol_source: VolSource = "spx", report: Path | None = None) -> IndexBacktest:
    """The Cboe index `name` on the Wheel engine from `start` (default 1986-06-30, or the index's first date) to
    `end` (default: the end of the data), with the published comparison and the official-series tracking;
    optionally an HTML report (`report`: `reports.index.write_index_report`)."""
    r = rule(name)
    _check_folder(report, "--report")
    if settlement not in ("am", "close"):
        raise InputError(f"unknown settlement {settlement!r}", where="--settlement", hint="use am or close")
    vol_model(vol_source)   # a one-line error before any data is read
    history, used = _load(data)
    data_end = _data_end(history).date()
    begin = max(start or DEFAULT_START, r.first)
    stop = min(end or data_end, data_end)
    notes = []
    if end is not None and stop < end:
        notes.append(f"{used} data ends {data_end}: ran to {stop} instead of {end}")
    result = run_index(history, r.name, begin, stop, settlement, vol_source=vol_source)
    levels, source, note = _official(r.name, official)
    windows = track_windows(r.name, result.monthly, levels) if levels is not None else ()
    if note:
        notes.append(note)
    if vol_source == "vxo" and history.vxo is not None and pd.Timestamp(stop) > history.vxo.index[-1]:
        notes.append(f"after {history.vxo.index[-1].date()} (the VXO's end) the ATM vol is the VIX x the fitted "
                     "ratio (ADR 0006)")
    if history.div_yield_pct is not None and pd.Timestamp(stop) > history.div_yield_pct.index[-1] + pd.Timedelta(days=45):
        notes.append(f"the dividend yield series ends {history.div_yield_pct.index[-1].date()}: its last value is "
                     "carried forward")
    bench = history.spx_tr if history.spx_tr is not None else history.spx
    split = tuple(by_market(result.monthly, levels, bench)) if levels is not None else ()
    run = IndexBacktest(result=result, title=r.title, data=used, published=tuple(compare_published(result, history)),
                        official_source=source, notes=tuple(notes), official_windows=windows,
                        official_by_market=split)
    if report is None:
        return run
    from putwheel.reports.index import write_index_report  # plotly only when a report is asked for

    label = "S&P 500 total return" if history.spx_tr is not None else "S&P 500 (price)"
    first, last = result.daily.index[0].date(), result.daily.index[-1].date()
    path = write_index_report(result, bench, label, f"Cboe {r.name} on the Wheel engine, {first} .. {last} "
                              f"({used} data, modelled option prices)", run.published, premium_check(result), levels,
                              source, windows, split, run.verdict, report, run.notes)
    return replace(run, report_path=path)
