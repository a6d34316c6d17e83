#!/usr/bin/env bash
# Builds the Debian package target/debian/mp2_VERSION_ARCH.deb with dpkg-deb
# from a staging tree: stripped binaries, man pages and shell completions
# generated from the binaries' own clap definitions, the hardened unit, the
# example configuration as a conffile, copyright and changelog.
#
#   packaging/deb/build.sh                 release build, then package it
#   packaging/deb/build.sh --bin-dir DIR   package binaries already built in DIR
#                                          (the test suite packages its debug build)
#   --out DIR                              where the .deb goes (default target/debian)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
bin_dir=""
out="$root/target/debian"
while [ $# -gt 0 ]; do
  case "$1" in
    --bin-dir) bin_dir=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "build.sh: unknown argument $1 (see the header of this file)" >&2; exit 2 ;;
  esac
done
if [ -z "$bin_dir" ]; then
  # Without the fixture generators (the demo's): the library the daemon runs.
  cargo build --release --locked -p mp2-actors --no-default-features --bin mp2d
  cargo build --release --locked -p mp2 --no-default-features --bin mp2ctl
  bin_dir="$root/target/release"
fi
version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)-1
arch=$(dpkg --print-architecture)
mkdir -p "$out"
stage=$(mktemp -d "$out/stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
chmod 0755 "$stage"

d() { install -d -m 0755 "$stage/$1"; }
d DEBIAN; d usr/bin; d usr/share/doc/mp2; d usr/share/man/man1; d usr/share/man/man5
d usr/lib/systemd/system; d etc/mp2; d usr/share/lintian/overrides
d usr/share/bash-completion/completions; d usr/share/zsh/vendor-completions
d usr/share/fish/vendor_completions.d

for b in mp2d mp2ctl; do
  install -m 0755 "$bin_dir/$b" "$stage/usr/bin/$b"
  # Symbols are not shipped: a backtrace still names functions (unwind tables stay).
  strip --strip-unneeded --remove-section=.comment --remove-section=.note "$stage/usr/bin/$b"
done

gen=$(mktemp -d)
"$bin_dir/mp2ctl" generate-docs "$gen"
"$bin_dir/mp2d" --generate-man "$gen/man1"
for m in "$gen"/man1/*.1; do gzip -9n -c "$m" > "$stage/usr/share/man/man1/$(basename "$m").gz"; done
gzip -9n -c packaging/man/mp2.toml.5 > "$stage/usr/share/man/man5/mp2.toml.5.gz"
install -m 0644 "$gen/completions/bash/mp2ctl.bash" "$stage/usr/share/bash-completion/completions/mp2ctl"
install -m 0644 "$gen/completions/zsh/_mp2ctl" "$stage/usr/share/zsh/vendor-completions/_mp2ctl"
install -m 0644 "$gen/completions/fish/mp2ctl.fish" "$stage/usr/share/fish/vendor_completions.d/mp2ctl.fish"
rm -rf "$gen"

install -m 0644 packaging/systemd/mp2d.service "$stage/usr/lib/systemd/system/mp2d.service"
# 0640: the configuration names the crew, their phones and home addresses
# (personal data); postinst gives it to group mp2. Overridden for lintian.
install -m 0640 config/mp2.example.toml "$stage/etc/mp2/mp2.toml"
install -m 0644 packaging/deb/lintian-overrides "$stage/usr/share/lintian/overrides/mp2"
install -m 0644 packaging/deb/copyright "$stage/usr/share/doc/mp2/copyright"
install -m 0644 README.md "$stage/usr/share/doc/mp2/README.md"
gzip -9n -c packaging/deb/changelog > "$stage/usr/share/doc/mp2/changelog.Debian.gz"
chmod 0644 "$stage/usr/share/doc/mp2/changelog.Debian.gz" "$stage"/usr/share/man/man*/*.gz

for s in postinst prerm postrm; do install -m 0755 "packaging/deb/$s" "$stage/DEBIAN/$s"; done
echo /etc/mp2/mp2.toml > "$stage/DEBIAN/conffiles"
(cd "$stage" && find usr -type f -print0 | sort -z | xargs -0 md5sum) > "$stage/DEBIAN/md5sums"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
# The newest glibc symbol version the binaries use is the libc6 they need.
glibc=$(objdump -T "$stage"/usr/bin/* | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -1)
libc="libc6 (>= $glibc), libgcc-s1 (>= 4.2), "
cat > "$stage/DEBIAN/control" <<CTRL
Package: mp2
Version: $version
Architecture: $arch
Maintainer: mp2 developers <plan@produkcja-mp2.pl>
Installed-Size: $size
Depends: ${libc}adduser, poppler-utils, tesseract-ocr, tesseract-ocr-pol
Section: mail
Priority: optional
Homepage: https://example.invalid/mp2
Description: film-production schedule daemon: call sheets to crew calendars
 mp2 watches the production office's mailbox for schedule e-mails (call
 sheets, weekly schedules, revisions), reads the PDFs, plans each crew
 member's day (travel, departure, wake-up), writes it to their calendar and
 notifies them by e-mail and SMS.
CTRL
deb="$out/mp2_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "$deb"
