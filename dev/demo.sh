#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The main job, narrated: two live updates of the host kernel.
#
# 1. A VM keeps running (dev/vmdemo.sh): unmodified QEMU 10 with its guest
#    RAM in a preserved memfd.
# 2. An unmodified memcached keeps its cache, which lives in memfds that
#    survive the kexec (see memcached_demo.c in
#    tools/testing/selftests/liveupdate/ for the program that runs it).
#
# Both go through the agent, luod and luoctl (tools/liveupdate), as a host
# would. DEMO_STORIES="vm memcached" (the default, in that order) picks
# the stories; make demo-vm and make demo-memcached run one each.
#
# memcached comes from Debian's archive (apt-get download, unpacked into
# build/demo/root; no memcached service runs on the host) and goes into the
# VM's initramfs with the shared libraries ldd lists for it. The VM is the
# selftests' vmtest.sh: stage 1 in the first kernel, stage 2 in the kernel
# that luoctl exec started.
#
# Timings come from the host: vmtest.sh stamps every console line with the
# host time when it was read, one clock for both kernels. The agent's own
# figures (in ms) are measured inside one kernel with CLOCK_MONOTONIC.
#
# DEMO_KERNEL (a bzImage), DEMO_VM (more vmtest.sh options, e.g. "-m 4G
# -n 2 -u"), DEMO_APPEND (kernel command line) and DEMO_LOGS (the log
# directory) run it on another kernel or machine shape; dev/check.sh does
# so with the distro kernel.
set -euo pipefail
: "${TOP:?}" "${SRC:?}" "${OBJ:?}" "${LOGS:?}" "${STDIR:?}" "${STOUT:?}" "${BUILD:?}"

read -r -a stories <<< "${DEMO_STORIES:-vm memcached}"
vm_rc=0
for story in "${stories[@]}"; do
	case $story in
	vm)	echo "==== 1. A VM survives the host kernel update"
		echo
		"$TOP/dev/vmdemo.sh" || vm_rc=1
		echo ;;
	memcached) ;;
	*)	echo "demo: unknown story $story (vm, memcached)" >&2
		exit 2 ;;
	esac
done
[[ " ${stories[*]} " = *" memcached "* ]] || exit $vm_rc
echo "==== 2. memcached keeps its cache across the host kernel update"
echo

test=memcached_demo
demo=$BUILD/demo
kernel=${DEMO_KERNEL:-$OBJ/arch/x86/boot/bzImage}
read -r -a vm <<< "${DEMO_VM:-}"
logdir=${DEMO_LOGS:-$LOGS/demo}
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

# Extra initramfs entries: memcached, its libraries, /etc/passwd for
# memcached's -u root, and the directories they live in.
list=$demo/initramfs.list
{
	printf 'root:x:0:0:root:/root:/bin/sh\n' > "$demo/passwd"
	printf 'root:x:0:\n' > "$demo/group"
	echo "file /etc/passwd $demo/passwd 0644 0 0"
	echo "file /etc/group $demo/group 0644 0 0"
	echo "file /usr/bin/memcached $mc 0755 0 0"
	for f in $(ldd "$mc" | grep -oE '/[^ ]+' | sort -u); do
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
echo "Kernel:   ${kernel#"$TOP"/} ($(du -h "$kernel" | cut -f1)), booted and kexec'd into again"
echo "Workload: $("$mc" -V 2>/dev/null || echo memcached) from Debian ($(basename "$demo"/memcached_*.deb 2>/dev/null || echo unpacked)), unmodified"
echo "Agent:    luod and luoctl (tools/liveupdate): luoctl load (kexec_file_load), luoctl exec"
echo "VM:       QEMU ${KVM:+KVM}${KVM:-TCG}, ${DEMO_VM:-2 CPUs, 2 GiB}; console log: ${log#"$TOP"/}"
echo

rc=0
"$SRC/$STDIR/vmtest.sh" -k "$kernel" -d "$STOUT" \
	-l "$logdir" -i "$list" -t 180 ${KVM:+-K} "${vm[@]}" \
	${DEMO_APPEND:+-a "$DEMO_APPEND"} \
	"$test kho=on liveupdate=on" > "$logdir/summary.txt" || rc=$?

# Narrate from the console log; "[  t]" is the host time since QEMU started.
python3 - "$log" "${KVM:-}" <<'PY' || rc=$?
import re, sys

lines = []
for l in open(sys.argv[1], errors='replace'):
    m = re.match(r'\[\s*([0-9.]+)\] (.*)', l.rstrip('\n'))
    if m:
        # The kernel's own timestamp, if it prints one (PRINTK_TIME).
        lines.append((float(m.group(1)), re.sub(r'^\[\s*[0-9.]+\] ', '', m.group(2))))

stamps = {}
def mark(name, t):
    stamps.setdefault(name, t)

kernel = 0
facts = {}
for t, l in lines:
    show = None
    if l.startswith('Linux version'):
        kernel += 1
        show = f'kernel {kernel} boots: {" ".join(l.split()[:3])}'
        if kernel == 2:
            mark('linux2', t)
    elif l.startswith('vmtest: init stage='):
        show = f'init runs the agent, {l.split()[2].replace("=", " ")}'
    elif l.startswith('memcached_demo: '):
        show = l[len('memcached_demo: '):]
        m = re.match(r'set (\d+) keys \(([0-9.]+ MiB)', show)
        if m:
            facts['keys'], facts['values'] = m.groups()
        m = re.match(r'\s+(cache|metadata) memfd: (.*)', show)
        if m and 'sigusr1' in stamps:
            facts.setdefault(m.group(1), m.group(2))
        m = re.match(r'memcached stopped \((\d+) ms\)', show)
        if m:
            facts['stop'] = int(m.group(1)) / 1000
        if show.startswith('SIGUSR1'):
            mark('sigusr1', t)
        elif show == 'luoctl exec':
            mark('kexec', t)
        elif show.startswith('agent running in the new kernel'):
            mark('agent', t)
        elif show.startswith('memcached serving again'):
            mark('serving', t)
        elif re.match(r'all \d+ keys verified', show):
            facts['verified'] = show.split()[1]
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
need = ('sigusr1', 'kexec', 'jump', 'linux2', 'agent', 'serving')
if not all(k in stamps for k in need):
    print('Blackout: not measured (the run did not get that far)')
    sys.exit(1)
s = stamps
print(f'Preserved:  cache memfd {facts.get("cache", "?")}, metadata memfd '
      f'{facts.get("metadata", "?")}; {facts.get("keys", "?")} keys, '
      f'{facts.get("values", "?")} of values')
print(f'Blackout:   {s["serving"] - s["kexec"]:.2f} s from luoctl exec until memcached '
      'answers in the new kernel')
print(f'  freeze    {s["jump"] - s["kexec"]:4.2f} s  old kernel: luoctl exec until '
      '"Starting new kernel" (reboot() freezes the session)')
print(f'  boot      {s["agent"] - s["jump"]:4.2f} s  until the agent runs in the new '
      f'kernel ({s["linux2"] - s["jump"]:.2f} s of it before the first console line)')
print(f'  restore   {s["serving"] - s["agent"]:4.2f} s  retrieve the session and memfds, '
      'restart memcached, until it answers')
stop = facts.get('stop')
print(f'Downtime:   {s["serving"] - s["sigusr1"]:.2f} s from SIGUSR1 until memcached answers '
      f'again' + (f' (its graceful stop: {stop:.2f} s)' if stop is not None else ''))
print('Clock:      host time at which each console line arrived (one clock for both '
      'kernels; QEMU ' + ('KVM' if sys.argv[2] else 'TCG') + ')')
if 'verified' in facts:
    print(f'Verified:   all {facts["verified"]} keys, byte for byte, in the new kernel')
PY

echo
sed 's/^/Runner: /' "$logdir/summary.txt"
if ! grep -qE "memcached_demo: all [0-9]+ keys verified" "$log"; then
	echo "demo: the keys were not all verified" >&2
	rc=1
fi
[ $vm_rc = 0 ] || rc=1
exit $rc
