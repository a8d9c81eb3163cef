#!/usr/bin/env bash
# Regenerate the report screenshots in docs/img/ from real CLI output: each report written by putwheel, opened in
# headless Chromium (Debian `chromium`), cropped to its content and saved as a small palette PNG.
# Run from the repository root: bash docs/img/make.sh   (uses ../shared when present, like the CLI)
set -euo pipefail
out=docs/img
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pw() { python -m putwheel "$@" >/dev/null; }
pw backtest putwrite --report "$tmp/putwrite.html"
pw backtest wheel --names AAPL,MSFT,GOOG --start 2016-01-04 --end 2017-12-01 --report "$tmp/wheel.html"
pw sweep wheel --names SPX,AAPL,AAPL+MSFT+GOOG --delta 0.2,0.3 --chart "$tmp/frontier.html"
tasty=${PUTWHEEL_SHARED:-../shared}/fixtures/broker_exports/tastytrade_transactions_TSLL_wheel_2024-05_to_2025-10.csv
pw import tastytrade "$tasty" --db "sqlite:///$tmp/ledger.db"
pw income --db "sqlite:///$tmp/ledger.db" --html "$tmp/ledger.html" --as-of 2025-11-01
pw backtest index BXM --report "$tmp/index.html"   # no official series: Cboe's may not be redistributed
for name in putwrite wheel frontier ledger index; do
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --virtual-time-budget=8000 \
    --window-size=1280,4000 --screenshot="$tmp/$name.png" "file://$tmp/$name.html" 2>/dev/null
  python - "$tmp/$name.png" "$out/report-$name.png" <<'PY'
import sys
import numpy as np
from PIL import Image
im = Image.open(sys.argv[1]).convert("RGB")
rows = np.where((np.asarray(im) < 245).any(axis=(1, 2)))[0]          # crop the blank bottom of the window
im = im.crop((0, 0, im.width, min(im.height, int(rows[-1]) + 24)))
im = im.resize((im.width * 2 // 3, im.height * 2 // 3), Image.LANCZOS)
im.quantize(colors=256, method=Image.Quantize.FASTOCTREE).save(sys.argv[2], optimize=True)
print(sys.argv[2], im.size)
PY
done
