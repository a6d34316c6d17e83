#!/usr/bin/env bash
# Builds the .deb (target/debian/mp2_*.deb) with cargo-deb, installing it
# from crates.io when missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v cargo-deb >/dev/null || cargo install --locked cargo-deb
cargo build --release --locked --workspace --bins
cargo deb -p mp2-actors --no-build --no-strip "$@"
ls -1 target/debian/*.deb
