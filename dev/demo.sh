#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The main job, narrated: a live update of an unmodified memcached whose
# cache lives in memfds that survive a kexec (see memcached_demo.c in
# tools/testing/selftests/liveupdate/ for the agent).
#
# memcached comes from Debian's archive (apt-get download, unpacked into
# build/demo/root; no memcached service runs on the host) and goes into the
# VM's initramfs with kexec-tools' /usr/sbin/kexec and the shared libraries
# ldd lists for both. The VM is the selftests' vmtest.sh: stage 1 in the
# first kernel, stage 2 in the kernel that kexec -e started.
#
# Timings come from the host: vmtest.sh stamps every console line with the
# host time when it was read, one clock for both kernels. The agent's own
# figures (in ms) are measured inside one kernel with CLOCK_MONOTONIC.
set -euo pipefail
: "${TOP:?}" "${SRC:?}" "${OBJ:?}" "${LOGS:?}" "${STDIR:?}" "${STOUT:?}" "${BUILD:?}"

test=memcached_demo
demo=$BUILD/demo
logdir=$LOGS/demo
log=$logdir/$test.log
mkdir -p "$demo" "$logdir"

# memcached from Debian, unpacked, never installed.
mc=$demo/root/usr/bin/memcached
if [ ! -x "$mc" ]; then
	echo "  DEMO    apt-get download memcached -> build/demo/root"
	rm -f "$demo"/memcached_*.deb
	(cd "$demo" && { apt-get download -q memcached 2>/dev/null ||
		{ apt-get update -qq >/dev/null && apt-get download -q memcached; }; }) >/dev/null
	dpkg-deb -x "$demo"/memcached_*.deb "$demo/root"
fi
[ -x "$STOUT/$test" ] || { echo "demo: no $STOUT/$test: run 'make selftests'" >&2; exit 1; }

# Extra initramfs entries: both programs, their libraries, /etc/passwd for
# memcached's -u root, and the directories they live in.
list=$demo/initramfs.list
{
	printf 'root:x:0:0:root:/root:/bin/sh\n' > "$demo/passwd"
	printf 'root:x:0:\n' > "$demo/group"
	echo "file /etc/passwd $demo/passwd 0644 0 0"
	echo "file /etc/group $demo/group 0644 0 0"
	echo "file /usr/bin/memcached $mc 0755 0 0"
	echo "file /usr/sbin/kexec /usr/sbin/kexec 0755 0 0"
	for f in $( (ldd "$mc"; ldd /usr/sbin/kexec) | grep -oE '/[^ ]+' | sort -u); do
		echo "file $f $(readlink -f "$f") 0755 0 0"
	done
} > "$list.files"
{
	echo "dir /run 0755 0 0"
	# Every directory above a file, parents first.
	awk '{ n = split($2, p, "/"); d = "";
	       for (i = 2; i < n; i++) { d = d "/" p[i]; print d } }' "$list.files" |
		sort -u | awk '{ print "dir " $0 " 0755 0 0" }'
	cat "$list.files"
} > "$list"

echo "Base:     $(sed -n 2p "$TOP/build/base-version.txt") + $(grep -cEv '^[[:space:]]*(#|$)' "$TOP/patches/series") patch(es) + our tree"
echo "Kernel:   build/obj/arch/x86/boot/bzImage ($(du -h "$OBJ/arch/x86/boot/bzImage" | cut -f1)), booted and kexec'd into again"
echo "Workload: $("$mc" -V 2>/dev/null || echo memcached) from Debian ($(basename "$demo"/memcached_*.deb 2>/dev/null || echo unpacked)), unmodified"
echo "Loader:   kexec-tools $(/usr/sbin/kexec -v 2>/dev/null | grep -oE '[0-9][0-9.]+' | head -n 1) (/usr/sbin/kexec -s -l, kexec -e)"
echo "VM:       QEMU ${KVM:+KVM}${KVM:-TCG}, 2 CPUs, 2 GiB; console log: build/logs/demo/$test.log"
echo

rc=0
"$SRC/$STDIR/vmtest.sh" -k "$OBJ/arch/x86/boot/bzImage" -d "$STOUT" \
	-l "$logdir" -i "$list" -t 180 ${KVM:+-K} \
	"$test kho=on liveupdate=on" > "$logdir/summary.txt" || rc=$?

# Narrate from the console log; "[  t]" is the host time since QEMU started.
python3 - "$log" <<'PY' || rc=$?
import re, sys

lines = []
for l in open(sys.argv[1], errors='replace'):
    m = re.match(r'\[\s*([0-9.]+)\] (.*)', l.rstrip('\n'))
    if m:
        lines.append((float(m.group(1)), m.group(2)))

stamps = {}
def mark(name, t):
    stamps.setdefault(name, t)

kernel = 0
for t, l in lines:
    show = None
    if l.startswith('Linux version'):
        kernel += 1
        show = f'kernel {kernel} boots: {" ".join(l.split()[:3])}'
    elif l.startswith('vmtest: init stage='):
        show = f'init runs the agent, {l.split()[2].replace("=", " ")}'
        if kernel == 2:
            mark('init2', t)
    elif l.startswith('memcached_demo: '):
        show = l[len('memcached_demo: '):]
        if show.startswith('SIGUSR1'):
            mark('sigusr1', t)
        elif show == 'kexec -e':
            mark('kexec', t)
        elif show.startswith('agent running in the new kernel'):
            mark('agent', t)
        elif show.startswith('memcached serving again'):
            mark('serving', t)
    elif 'kexec_core: Starting new kernel' in l:
        show = 'old kernel: "Starting new kernel" (sessions frozen)'
        mark('jump', t)
    elif l.startswith('[restart]') or l == 'Gracefully stopping':
        show = 'memcached: ' + l
    elif l.startswith('vmtest: RESULT'):
        show = 'result: ' + ' '.join(l.split()[3:])
    if show is not None:
        print(f'[{t:7.2f}s] {show}')

print()
need = ('sigusr1', 'kexec', 'jump', 'agent', 'serving')
if not all(k in stamps for k in need):
    print('blackout: not measured (the run did not get that far)')
    sys.exit(1)
s = stamps
print('Blackout, on the host clock (timestamps of the serial console lines):')
print(f'  kexec -e -> memcached serving again      {s["serving"] - s["kexec"]:6.2f} s')
print(f'    freeze   kexec -e -> "Starting new kernel" (old kernel)  {s["jump"] - s["kexec"]:6.2f} s')
print(f'    boot     -> agent running in the new kernel              {s["agent"] - s["jump"]:6.2f} s')
print(f'    restore  retrieve, restart memcached -> it answers       {s["serving"] - s["agent"]:6.2f} s')
print(f'  memcached down (SIGUSR1 -> serving again) {s["serving"] - s["sigusr1"]:6.2f} s')
PY

echo
sed 's/^/Runner: /' "$logdir/summary.txt"
if ! grep -qE "memcached_demo: all [0-9]+ keys verified" "$log"; then
	echo "demo: the keys were not all verified" >&2
	rc=1
fi
exit $rc
