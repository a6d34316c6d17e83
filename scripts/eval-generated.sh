#!/usr/bin/env bash
# Scores `mp2ctl parse --json` on call sheets the project generates itself
# (every layout × font setup of src/fixtures, and the other producers'
# layouts of src/fixtures/world as `world_*`, several seeds), with the same
# scorer as the sample corpus. A check of generalisation beyond the samples:
# the parser was never tuned on these files.
#
#   scripts/eval-generated.sh [SEEDS] [-v]      (default SEEDS: 6)
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${1:-6}; shift || true
score=../shared/corpus/score.py
[ -f "$score" ] || { echo "needs ../shared/corpus/score.py" >&2; exit 1; }
cargo build -q -p mp2 --example gen_fixtures --bin mp2ctl
tgt=${CARGO_TARGET_DIR:-target}
out=$(mktemp -d)
mkdir -p "$out/truth" "$out/pdf"
for seed in $(seq 1 "$seeds"); do
  "$tgt/debug/examples/gen_fixtures" "$out/s$seed" "$seed" >/dev/null
  for j in "$out/s$seed"/sheets/*.json; do
    b=$(basename "$j" .json)
    cp "$out/s$seed/sheets/$b.pdf" "$out/pdf/s${seed}_$b.pdf"
    python3 -c 'import json,sys; json.dump({"source":sys.argv[2],"_template":sys.argv[4],"schedules":json.load(open(sys.argv[1]))},open(sys.argv[3],"w"))' \
      "$j" "s${seed}_$b.pdf" "$out/truth/s${seed}_$b.json" "$b"
  done
done
"$tgt/debug/mp2ctl" parse "$out"/pdf/*.pdf --json > "$out/out.jsonl" || true
python3 "$score" "$out/truth" "$out/out.jsonl" "$@"
echo "files kept in $out"
