#!/usr/bin/env bash
# Per-document speed of `mp2ctl parse FILE --json` against poppler's
# `pdftotext -layout FILE -`, one process per document each, as a user would
# run them. Prints per-file medians, the median ratio (target <= 1.0) and the
# peak RSS of mp2ctl per document (target < 100 MB).
#
#   scripts/bench-parse.sh [DIR-OF-PDFS] [RUNS]
# Default DIR: ../shared/corpus/pdf when present, else generated fixtures.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${2:-7}
dir=${1:-}
if [ -z "$dir" ]; then
  if [ -d ../shared/corpus/pdf ]; then dir=../shared/corpus/pdf; else
    dir=$(mktemp -d); cargo run -q --release -p mp2 --example gen_fixtures -- "$dir" >/dev/null; fi
fi
cargo build -q --release -p mp2 --bin mp2ctl
command -v pdftotext >/dev/null || { echo "pdftotext missing: apt-get install poppler-utils" >&2; exit 1; }
python3 - "$dir" "$runs" <<'PY'
import glob, os, statistics, subprocess, sys, time
d, runs = sys.argv[1], int(sys.argv[2])
ctl = os.path.abspath("target/release/mp2ctl")
files = sorted(glob.glob(os.path.join(d, "*.pdf")))
def t(cmd):
    best = []
    for _ in range(runs):
        s = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        best.append(time.perf_counter() - s)
    return statistics.median(best)
def rss(cmd):
    r = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return int(r.stderr.strip().splitlines()[-1]) / 1024
ratios, peaks = [], []
print(f"{'file':<24}{'mp2ctl ms':>10}{'pdftotext ms':>14}{'ratio':>8}{'peak MB':>9}")
for f in files:
    a = t([ctl, "parse", f, "--json"]); b = t(["pdftotext", "-layout", f, "-"])
    m = rss([ctl, "parse", f, "--json"])
    ratios.append(a / b); peaks.append(m)
    print(f"{os.path.basename(f):<24}{a*1000:>10.1f}{b*1000:>14.1f}{a/b:>8.2f}{m:>9.1f}")
print(f"documents: {len(files)}  median ratio mp2ctl/pdftotext: {statistics.median(ratios):.2f}  max peak RSS: {max(peaks):.1f} MB")
PY
