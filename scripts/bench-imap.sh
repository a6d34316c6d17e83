#!/usr/bin/env bash
# Benchmarks the IMAP watcher against a throw-away local Dovecot:
#   - APPEND -> Sink::accept latency (p50/p95/max) with IDLE, over N messages;
#   - backfill throughput (header-first scan) of M messages that were in the
#     folder before the first start, with none and with 1 in 10 listed;
#   - this process's RSS before and at its peak during the backfill.
# Usage: scripts/bench-imap.sh [N=50] [M=1000]
# Needs: root, Debian dovecot-imapd (/usr/sbin/dovecot), openssl.
# PROFILE=dev runs an unoptimised build (faster to compile, slower to run).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/sbin/dovecot ]; then
    echo "bench-imap: /usr/sbin/dovecot is missing (apt-get install dovecot-imapd)" >&2
    exit 2
fi

profile="${PROFILE:-release}"
flags=()
if [ "$profile" = "release" ]; then
    flags+=(--release)
fi

echo "# IMAP watcher benchmark ($profile build, $(nproc) CPUs, $(/usr/sbin/dovecot --version | cut -d' ' -f1))"
exec cargo run --quiet "${flags[@]}" -p mp2-actors --example imap_bench -- "${1:-50}" "${2:-1000}"
