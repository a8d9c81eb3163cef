"""A single-pass numba scanner for plain chain CSV files, the fast path of `realchain.putwrite_from_chains`.

It reads the bytes of one uncompressed CSV (no quoting) and keeps what the Cboe PUT backtest needs: for the
symbol's rows, runs of equal (quote_time, spot) text with their row count, and the puts whose expiry is a roll
date and whose quote_time date prefix lies inside that expiry's own monthly cycle (one day wider on each side,
as the DuckDB text mode). Only those puts' strike/bid/ask are parsed; the file is split at line breaks and
scanned by one thread per chunk (`nogil`).

Anything outside a strict, common grammar (a quote character, a non-ASCII underlying, a field count that differs
from the header, an empty or non-plain number in a used field, an expiry or quote_time date prefix that is not
YYYY-MM-DD) returns a non-zero status: the caller then uses the DuckDB reader, which decides (and names any
error). Numbers with at most 15 significant digits and no exponent are parsed as mantissa / 10^k, one correctly
rounded IEEE division (exact operands), so they equal the values DuckDB's parser gives; longer ones (pandas writes
17-digit reprs) are handed back by position and parsed by Python's `float`, also correctly rounded.

Why hand-written rather than DuckDB or pyarrow: on the 165 MB benchmark file (`bench/backtest_chains.py`) DuckDB's
CSV read of the 8 needed columns alone takes 0.33 s; this scan plus the whole backtest takes 0.15 s (optopsy 2.0.3:
2.85 s). The file is memory-mapped, so files larger than memory work; one truncated while it is being read can
crash the process (the OS raises SIGBUS on the vanished pages).
"""

from __future__ import annotations

import numba as nb
import numpy as np

jit = nb.njit(cache=True, nogil=True, error_model="numpy")

OK = 0
BAIL = 1   # the fast path cannot decide this file: use DuckDB
FULL = 2   # the output arrays are full: call again from the returned position
PARSED, LONG, BAD = 0, 1, 2
POW10 = np.array([10.0 ** k for k in range(23)])
NAN = np.nan


@jit
def _days(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil)."""
    y -= 1 if m <= 2 else 0
    era = y // 400
    yoe = y - era * 400
    mp = m - 3 if m > 2 else m + 9
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


@jit
def _same(buf: np.ndarray, a: int, b: int, n: int) -> bool:
    """buf[a:a+n] == buf[b:b+n]."""
    for j in range(n):  # noqa: SIM110 (a plain loop for numba)
        if buf[a + j] != buf[b + j]:
            return False
    return True


@jit
def _iso_day(buf: np.ndarray, a: int) -> int:
    """The day number of YYYY-MM-DD at buf[a:a+10] (year 1000..9999, a real calendar day), else -2**40."""
    bad = -(1 << 40)
    for i in (0, 1, 2, 3, 5, 6, 8, 9):
        c = buf[a + i]
        if c < 48 or c > 57:
            return bad
    if buf[a + 4] != 45 or buf[a + 7] != 45:
        return bad
    y = (buf[a] - 48) * 1000 + (buf[a + 1] - 48) * 100 + (buf[a + 2] - 48) * 10 + (buf[a + 3] - 48)
    m = (buf[a + 5] - 48) * 10 + (buf[a + 6] - 48)
    d = (buf[a + 8] - 48) * 10 + (buf[a + 9] - 48)
    if y < 1000 or m < 1 or m > 12 or d < 1:
        return bad
    leap = (y % 4 == 0 and y % 100 != 0) or y % 400 == 0
    mdays = 31
    if m == 2:
        mdays = 29 if leap else 28
    elif m in (4, 6, 9, 11):
        mdays = 30
    if d > mdays:
        return bad
    return _days(y, m, d)


@jit
def _number(buf: np.ndarray, a: int, b: int, pow10: np.ndarray) -> tuple[int, float]:
    """-?digits(.digits)?: (PARSED, value) with <= 15 significant digits and <= 22 decimals; (LONG, nan) for more
    (the caller parses that text in Python, also correctly rounded); (BAD, 0) for anything else, empty included."""
    if a >= b:
        return BAD, 0.0
    neg = buf[a] == 45
    i = a + 1 if neg else a
    mant = 0
    digits = 0
    frac = -1
    seen = False
    while i < b:
        c = buf[i]
        if 48 <= c <= 57:
            if digits > 0 or c != 48:
                digits += 1
                if digits <= 15:
                    mant = mant * 10 + (c - 48)
            seen = True
            if frac >= 0:
                frac += 1
        elif c == 46 and frac < 0 and seen:
            frac = 0
        else:
            return BAD, 0.0
        i += 1
    if not seen or frac == 0:
        return BAD, 0.0
    if digits > 15 or frac > 22:
        return LONG, NAN
    val = float(mant)
    if frac > 0:
        val = val / pow10[frac]
    return PARSED, -val if neg else val


@jit
def scan_chunk(buf: np.ndarray, start: int, stop: int, ncols: int, cols: np.ndarray, sym: np.ndarray,
               base: int, lo: np.ndarray, hi: np.ndarray, pow10: np.ndarray, cap: int):  # type: ignore[no-untyped-def]
    """Scan whole lines buf[start:stop]. cols: positions of underlying, spot, right, expiry, strike, bid, ask,
    quote_time. lo/hi[e - base]: the text window [lo, hi) of quote days for a put expiring on day e (lo = hi = 0
    when e is not a roll date). Stops with FULL before a line when `cap` runs, puts or numbers are stored, with
    the position to resume from (a resumed scan starts a new run: runs are summed by group later). Returns
    (status, resume position, runs: quote_time offset, length, spot (NaN when empty), count;
    puts: run index, expiry day, strike, bid, ask; numbers left to Python: target (0 run spot, 1 strike, 2 bid,
    3 ask), row, text start, text end)."""
    ints = np.empty((9, cap), np.int64)       # one row per integer output, one per float output
    floats = np.empty((4, cap), np.float64)
    r_off, r_len, r_n, c_run, c_exp, p_kind, p_row, p_a, p_b = (ints[0], ints[1], ints[2], ints[3], ints[4], ints[5],
                                                                ints[6], ints[7], ints[8])
    r_spot, c_k, c_bid, c_ask = floats[0], floats[1], floats[2], floats[3]
    npend = 0
    fs = np.empty(ncols, np.int64)
    fe = np.empty(ncols, np.int64)
    i_und, i_spot, i_right, i_exp, i_k, i_bid, i_ask, i_qt = (cols[0], cols[1], cols[2], cols[3], cols[4], cols[5],
                                                              cols[6], cols[7])
    nsym = sym.shape[0]
    nwin = lo.shape[0]
    nr = 0
    nc = 0
    q0 = -1
    ql = 0
    s0 = -1
    sl = 0
    qday = 0
    e0 = -1        # start of the last parsed expiry text, and its day number
    e = 0
    pos = start
    status = OK
    while pos < stop:
        if max(nr, nc) == cap or npend + 4 > cap:
            status = FULL
            break
        k = 0
        fs[0] = pos
        while pos < stop:
            c = buf[pos]
            if c < 45:
                if c == 10:
                    break
                if c == 44:
                    k += 1
                    if k >= ncols:
                        status = BAIL
                        break
                    fe[k - 1] = pos
                    fs[k] = pos + 1
                elif c == 34 or (c == 13 and (pos + 1 >= stop or buf[pos + 1] != 10)):
                    status = BAIL
                    break
            pos += 1
        if status != OK:
            break
        end = pos
        if end > fs[0] and buf[end - 1] == 13:
            end -= 1
        pos += 1
        if k != ncols - 1:
            status = BAIL
            break
        fe[k] = end
        # underlying: ASCII only, upper-cased equal to the symbol
        a, b = fs[i_und], fe[i_und]
        same = b - a == nsym
        for j in range(a, b):
            c = buf[j]
            if c >= 128:
                status = BAIL
                break
            if same:
                if 97 <= c <= 122:
                    c -= 32
                if c != sym[j - a]:
                    same = False
        if status != OK:
            break
        if not same:
            continue
        a, b = fs[i_qt], fe[i_qt]
        sa, sb = fs[i_spot], fe[i_spot]
        new = nr == 0 or b - a != ql or sb - sa != sl or not _same(buf, a, q0, ql) or not _same(buf, sa, s0, sl)
        if new:
            if b - a < 10:
                status = BAIL
                break
            if nr == 0 or b - a != ql or not _same(buf, a, q0, ql):
                qday = _iso_day(buf, a)
                if qday < -(1 << 39):
                    status = BAIL
                    break
            if sa == sb:
                r_spot[nr] = NAN
            else:
                got, v = _number(buf, sa, sb, pow10)
                if got == BAD:
                    status = BAIL
                    break
                if got == LONG:
                    p_kind[npend], p_row[npend], p_a[npend], p_b[npend] = 0, nr, sa, sb
                    npend += 1
                r_spot[nr] = v
            r_off[nr] = a
            r_len[nr] = b - a
            r_n[nr] = 0
            nr += 1
            q0, ql, s0, sl = a, b - a, sa, sb - sa
        r_n[nr - 1] += 1
        # a put of a roll-date expiry, quoted inside that cycle's text window?
        a, b = fs[i_right], fe[i_right]
        if b == a or (buf[a] | 32) != 112:
            continue
        a, b = fs[i_exp], fe[i_exp]
        if b - a != 10:
            status = BAIL
            break
        if e0 < 0 or not _same(buf, a, e0, 10):
            e = _iso_day(buf, a)
            if e < -(1 << 39):
                status = BAIL
                break
            e0 = a
        w = e - base
        if w < 0 or w >= nwin or lo[w] == hi[w] or qday < lo[w] or qday >= hi[w]:
            continue
        got1, kk = _number(buf, fs[i_k], fe[i_k], pow10)
        got2, bb = _number(buf, fs[i_bid], fe[i_bid], pow10)
        got3, aa = _number(buf, fs[i_ask], fe[i_ask], pow10)
        if BAD in (got1, got2, got3):
            status = BAIL
            break
        if got1 == LONG:
            p_kind[npend], p_row[npend], p_a[npend], p_b[npend] = 1, nc, fs[i_k], fe[i_k]
            npend += 1
        if got2 == LONG:
            p_kind[npend], p_row[npend], p_a[npend], p_b[npend] = 2, nc, fs[i_bid], fe[i_bid]
            npend += 1
        if got3 == LONG:
            p_kind[npend], p_row[npend], p_a[npend], p_b[npend] = 3, nc, fs[i_ask], fe[i_ask]
            npend += 1
        c_run[nc] = nr - 1
        c_exp[nc] = e
        c_k[nc] = kk
        c_bid[nc] = bb
        c_ask[nc] = aa
        nc += 1
    return (status, pos, r_off[:nr], r_len[:nr], r_spot[:nr], r_n[:nr], c_run[:nc], c_exp[:nc], c_k[:nc], c_bid[:nc],
            c_ask[:nc], p_kind[:npend], p_row[:npend], p_a[:npend], p_b[:npend])


@jit
def select(run_day: np.ndarray, put_run: np.ndarray, expiry: np.ndarray, strike: np.ndarray, bid: np.ndarray,
           ask: np.ndarray, slot: np.ndarray, e_base: int, w: np.ndarray, e: np.ndarray, s: np.ndarray):  # type: ignore[no-untyped-def]
    """The PUT rules on the scanned puts: a put belongs to the (write day w, expiry e, write-day spot s) pair of its
    expiry (slot[expiry - e_base], -1 for none) when quoted w <= day < e at a strike in [0.9 s, s]. Returns those
    puts (indices, in file order), their pair, and per pair the put sold: the highest strike quoted on w with
    bid > 0 and ask >= bid, the first such row on ties (-1 when none)."""
    n = put_run.shape[0]
    cand = np.empty(n, np.int64)
    cpair = np.empty(n, np.int64)
    best = np.full(w.shape[0], -1, np.int64)
    nc = 0
    for i in range(n):
        r = expiry[i] - e_base
        if r < 0 or r >= slot.shape[0]:
            continue
        p = slot[r]
        if p < 0:
            continue
        q = run_day[put_run[i]]
        if q < w[p] or q >= e[p]:
            continue
        k = strike[i]
        sp = s[p]
        if not (k <= sp and k >= 0.9 * sp):
            continue
        cand[nc] = i
        cpair[nc] = p
        nc += 1
        if q == w[p] and bid[i] > 0 and ask[i] >= bid[i]:
            b = best[p]
            if b < 0 or k > strike[b]:
                best[p] = i
    return cand[:nc], cpair[:nc], best
