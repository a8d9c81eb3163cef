"""PNG export for terminals: a real PNG file (decodes, sensible size, not blank) with equity and drawdown panels."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread

from putwheel.domain.errors import InputError
from putwheel.reports.backtest import write_png


def check_png(path: Path) -> tuple[int, int]:
    """Width and height of a valid, decodable, non-blank PNG of sensible size (shared with the CLI tests)."""
    raw = path.read_bytes()
    assert raw[:8] == b"\x89PNG\r\n\x1a\n" and raw[12:16] == b"IHDR"
    width, height = struct.unpack(">II", raw[16:24])
    assert 20_000 < len(raw) < 3_000_000
    assert 600 <= width <= 2400 and 400 <= height <= 1800
    pixels = imread(path)                       # full decode: a truncated or corrupt file raises
    assert pixels.shape[:2] == (height, width)
    assert float(pixels[..., :3].std()) > 0.05  # lines and text, not an empty canvas
    return width, height


def _curves() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    days = pd.bdate_range("2015-01-02", periods=600)
    a = 100 * np.exp(np.cumsum(rng.normal(0.0003, 0.006, 600)))
    b = 100 * np.exp(np.cumsum(rng.normal(0.0004, 0.011, 600)))
    return pd.DataFrame({"strategy": a, "benchmark": b}, index=days)


def test_png_is_a_valid_image_of_sensible_size(tmp_path: Path) -> None:
    out = write_png(_curves(), tmp_path / "eq.png", "strategy vs benchmark")
    assert out == tmp_path / "eq.png"
    assert check_png(out) == (1100, 715)


def test_png_plots_each_curve(tmp_path: Path) -> None:
    one = check_png(write_png(_curves()[["strategy"]], tmp_path / "one.png", "one"))
    assert one == (1100, 715)
    assert (tmp_path / "one.png").read_bytes() != write_png(_curves(), tmp_path / "two.png", "one").read_bytes()


@pytest.mark.parametrize(("frame", "folder", "match"), [
    (_curves(), "missing", "does not exist"),
    (pd.DataFrame({"x": [np.nan, np.nan]}, index=pd.bdate_range("2020-01-01", periods=2)), ".", "nothing to plot"),
])
def test_png_bad_input_is_an_input_error(tmp_path: Path, frame: pd.DataFrame, folder: str, match: str) -> None:
    with pytest.raises(InputError, match=match):
        write_png(frame, tmp_path / folder / "x.png", "t")
