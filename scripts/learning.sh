#!/usr/bin/env bash
# The learning measurement (issue 7): for each generated layout, the first
# sheet the reader gets wrong is corrected as a coordinator would
# (`mp2ctl correct` with the true values), the correction teaches rules as
# the daemon's does, and the next sheets of that layout are read without
# and with those rules. Prints the before/after table (fields right on the
# later sheets, scored like tests/reader_score.rs) and fails when learning
# stops helping. See tests/learning.rs and src/fixtures/learning.rs.
#
#   scripts/learning.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(cargo test -q -p mp2 --test learning -- --nocapture --test-threads 1 2>&1) || {
  printf '%s\n' "$out" >&2
  exit 1
}
printf '%s\n' "$out" | sed -n '/^learning measurement/,/^layouts whose correction/p'
