#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# QEMU 10 for the VM demo, from Debian's bookworm-backports, never installed
# on the host: apt-get download with an apt configuration of our own
# (build/apt: sources.list, lists, cache), unpacked into build/vmdemo/root.
#
# Writes build/vmdemo/qemu10.list: the initramfs entries (vmtest.sh -i
# format) for qemu-system-x86_64, the shared libraries ldd lists for it,
# the firmware the demo's QEMU command line loads, and their directories.
# The libraries keep their host paths; a library that comes from an
# unpacked package goes to /usr/lib/x86_64-linux-gnu, where the loader
# finds it.
#
# A no-op when the list is there and newer than this script.
set -euo pipefail
: "${BUILD:?}"

suite=bookworm-backports
# The packages of the demo's QEMU. qemu-system-x86 depends on seabios and
# ipxe-qemu as well, but the demo boots qboot (from qemu-system-data) with
# -nodefaults, so it needs neither.
pkgs=(qemu-system-x86 qemu-system-data)
# Firmware the demo loads (seen with strace -e openat): qboot as the BIOS,
# the multiboot option ROM for -kernel, and the TPR patching ROM that the
# PC machine always loads.
firmware=(qboot.rom multiboot_dma.bin kvmvapic.bin)

apt=$BUILD/apt
vm=$BUILD/vmdemo
root=$vm/root
list=$vm/qemu10.list
qemu=$root/usr/bin/qemu-system-x86_64
libdir=/usr/lib/x86_64-linux-gnu

if [ -s "$list" ] && [ "$list" -nt "$0" ] && [ -x "$qemu" ]; then
	exit 0
fi

mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$vm/debs"
# The host's archive and its suites, plus backports; apt picks the bookworm
# version by default, so the QEMU packages are asked for by suite.
key=/usr/share/keyrings/debian-archive-keyring.gpg
cat > "$apt/sources.list" <<EOF
deb [signed-by=$key] http://deb.debian.org/debian bookworm main
deb [signed-by=$key] http://deb.debian.org/debian bookworm-updates main
deb [signed-by=$key] http://deb.debian.org/debian-security bookworm-security main
deb [signed-by=$key] http://deb.debian.org/debian $suite main
EOF
aptopts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o "Dir::Etc::SourceParts=-"
	 -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
	 -o "Acquire::Languages=none" -o "Debug::NoLocking=1"
	 -o "APT::Sandbox::User=root")

fetch() {
	(cd "$vm/debs" && apt-get -q "${aptopts[@]}" download "$@") >/dev/null
}

# Fetch the lists once a day at most.
stamp=$apt/updated
if [ -z "$(find "$stamp" -mmin -1440 2>/dev/null)" ]; then
	echo "  QEMU10  apt-get update (build/apt/sources.list: bookworm + $suite)"
	apt-get -qq "${aptopts[@]}" update >/dev/null
	touch "$stamp"
fi

rm -rf "$root" "$vm"/debs/*.deb
echo "  QEMU10  apt-get download ${pkgs[*]} ($suite) -> build/vmdemo/root"
fetch "${pkgs[@]/%//$suite}"
for d in "$vm"/debs/*.deb; do
	dpkg-deb -x "$d" "$root"
done

lddpath=$root$libdir:$root/lib/x86_64-linux-gnu
qldd() { LD_LIBRARY_PATH=$lddpath ldd "$qemu"; }

# Libraries this host lacks: fetch the library packages QEMU depends on
# that dpkg does not have installed (from bookworm, or backports when only
# backports has a version recent enough: apt-get download picks the
# candidate, and ldd/--version below tell if it does not do).
if qldd | grep -q 'not found'; then
	missing=()
	deps=$(apt-cache "${aptopts[@]}" depends "qemu-system-x86/$suite" 2>/dev/null |
		sed -n 's/^ *Depends: \(lib[^ <]*\).*/\1/p' | sort -u)
	for p in $deps; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "  QEMU10  apt-get download ${missing[*]} (not on this host)"
		fetch "${missing[@]}"
		for p in "${missing[@]}"; do
			dpkg-deb -x "$vm/debs/${p}"_*.deb "$root"
		done
	fi
fi
if qldd | grep 'not found'; then
	echo "qemu10: libraries missing for $qemu" >&2
	exit 1
fi
LD_LIBRARY_PATH=$lddpath "$qemu" --version | head -n 1 > "$vm/version"

{
	echo "file /usr/bin/qemu-system-x86_64 $qemu 0755 0 0"
	for f in "${firmware[@]}"; do
		echo "file /usr/share/qemu/$f $root/usr/share/qemu/$f 0644 0 0"
	done
	for f in $(qldd | grep -oE '/[^ ]+' | sort -u); do
		case $f in
		"$root"/*) echo "file $libdir/$(basename "$f") $(readlink -f "$f") 0755 0 0" ;;
		*) echo "file $f $(readlink -f "$f") 0755 0 0" ;;
		esac
	done
} > "$list.files"
{
	# Every directory above a file, parents first.
	awk '{ n = split($2, p, "/"); d = "";
	       for (i = 2; i < n; i++) { d = d "/" p[i]; print d } }' "$list.files" |
		sort -u | awk '{ print "dir " $0 " 0755 0 0" }'
	cat "$list.files"
} > "$list.tmp"
mv "$list.tmp" "$list"
rm -f "$list.files"
size=$(awk '$1 == "file" { print $3 }' "$list" | xargs du -cbL | tail -n 1 | cut -f1)
echo "  QEMU10  $(cat "$vm/version"): $(grep -c '^file' "$list") files," \
	"$((size / 1024)) KiB in the initramfs (build/vmdemo/qemu10.list)"
