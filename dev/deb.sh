#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make deb: the patched kernel as Debian packages, the way an admin deploys
# a kernel (the kernel's own bindeb-pkg: linux-image-<release>, and
# linux-libc-dev), in build/deb/.
#
# By default the kernel is the distro test kernel (build/obj-distro:
# Debian's cloud-amd64 config less its modules, plus the series; what
# make check boots), so the package holds exactly the kernel the tests ran.
# DEBCONFIG=<config file, plain or .xz> builds another Debian config
# (e.g. /usr/src/linux-config-6.12/config.amd64_none_amd64.xz, modules
# and all) in build/obj-deb with the series' options added: hours on two
# cores.
set -euo pipefail
: "${TOP:?}" "${SRC:?}" "${BUILD:?}" "${OBJDST:?}" "${LOGS:?}"

out=$BUILD/deb
if [ -n "${DEBCONFIG:-}" ]; then
	obj=$BUILD/obj-deb
	OBJ=$obj BASECONFIG=$DEBCONFIG KEEP_MODULES=1 "$TOP/dev/make-config.sh" "$TOP/dev/deb.config"
else
	obj=$OBJDST
fi
mkdir -p "$out" "$LOGS"
release=$(make -s -C "$SRC" O="$obj" ARCH=x86_64 kernelrelease)
echo "  DEB     linux-image-$release (log: build/logs/deb-build.log)"

# bindeb-pkg writes the packages next to the object directory.
rm -f "$obj"/../*.deb "$obj"/../*.buildinfo "$obj"/../*.changes
if ! make -C "$SRC" O="$obj" ARCH=x86_64 -j"${JOBS:-2}" \
	${CCACHE:+CC="ccache gcc"} bindeb-pkg > "$LOGS/deb-build.log" 2>&1; then
	tail -n 30 "$LOGS/deb-build.log"
	echo "deb: bindeb-pkg failed" >&2
	exit 1
fi
rm -f "$out"/*.deb "$out"/*.buildinfo "$out"/*.changes
mv "$obj"/../*.deb "$obj"/../*.buildinfo "$obj"/../*.changes "$out"/
for d in "$out"/*.deb; do
	echo "  DEB     build/deb/$(basename "$d") ($(du -h "$d" | cut -f1))"
done

# luod and luoctl (tools/liveupdate, built for this Debian release) and
# luod's systemd unit, as liveupdate-tools: what an operator installs next
# to the kernel.
tools=$(mktemp -d)
mkdir -p "$tools/build"
trap 'rm -rf "$tools"' EXIT
make -s -C "$SRC/tools/liveupdate" OUTPUT="$tools/build/" \
	KHDR_INCLUDES="-isystem ${HDR:-$BUILD/headers}/include" \
	${CCACHE:+CC="ccache gcc"} DESTDIR="$tools/root" install >> "$LOGS/deb-build.log" 2>&1
mkdir -p "$tools/root/DEBIAN" "$tools/root/usr/share/doc/liveupdate-tools"
install -m 0644 "$TOP/README.md" "$tools/root/usr/share/doc/liveupdate-tools/README.md"
# The version of the kernel package it goes with.
version=$(dpkg-deb -f "$(ls "$out"/linux-image-*.deb | grep -v -- -dbg_ | head -n 1)" Version)
cat > "$tools/root/DEBIAN/control" <<CONTROL
Package: liveupdate-tools
Version: $version
Architecture: amd64
Maintainer: Live Update for Linux 6.12 <liveupdate@localhost>
Depends: libc6
Section: admin
Priority: optional
Description: live update agent (luod) and its command line (luoctl)
 luod owns /dev/liveupdate and hands live update sessions to the programs
 that keep memory across a kernel update; luoctl loads the next kernel,
 shows what will be carried over, and updates (luoctl exec). Needs
 linux-image-$release or another kernel with CONFIG_LIVEUPDATE.
CONTROL
pkg=$out/liveupdate-tools_${version}_amd64.deb
dpkg-deb --root-owner-group -Zxz --build "$tools/root" "$pkg" > /dev/null
echo "  DEB     build/deb/$(basename "$pkg") ($(du -h "$pkg" | cut -f1))"
