#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the host packages the workspace needs, quietly, and only when one
# is missing (a dpkg query is all a warm run costs).
set -euo pipefail

pkgs=(
	build-essential bc bison flex libelf-dev libssl-dev cpio xz-utils
	python3 python3-ply python3-git rsync perl git ccache quilt
	# make deb (the kernel's bindeb-pkg)
	dpkg-dev debhelper kmod
	qemu-system-x86 kexec-tools
	# memcached's libraries: make demo unpacks memcached itself
	libevent-2.1-7 libsasl2-2 libssl3
	linux-source-6.12 linux-config-6.12
	# the distro test kernel boots through UEFI too
	ovmf
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "  DEPS    installing: ${missing[*]}"
if [ "$(id -u)" != 0 ]; then
	echo "deps: need root to install ${missing[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null || apt-get update
# The downloaded .debs are not kept: a CI disk holds the build, not them.
apt-get install -y -qq --no-install-recommends \
	-o APT::Keep-Downloaded-Packages=false "${missing[@]}" >/dev/null
