#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The VM demo, narrated: a VM keeps running across the host kernel update.
# Inside the test VM (the "host" of this story) unmodified QEMU 10 runs a
# small bare-metal guest whose RAM is a memfd; QEMU's cpr-reboot saves only
# the device state into a second memfd, both are preserved in a LUO
# session across kexec, and a new QEMU in the new kernel takes the VM back
# (see vm_demo.c in tools/testing/selftests/liveupdate/).
#
# Runs: 128 MiB of guest RAM, then 1 GiB (256 MiB of it written by the
# guest), to show that the guest RAM is not copied: the state file and the
# restore time do not grow with it.
#
# The third is the first again with the guest RAM on a hugetlb memfd of
# 2 MiB pages (a pool of 80 in the test VM).
#
# VMDEMO_RUNS="<ram MiB>:<fill MiB>:<VM memory>[:<pool>[:<page size>]] ..."
# changes the runs: a pool (of 2M pages, or of 1G pages) puts the guest RAM
# on a hugetlb memfd. A run on 1 GiB pages needs a CPU with pdpe1gb (added
# to the VM) and a kernel with SPARSEMEM_VMEMMAP: the distro kernel (make
# kernel-distro), its default when DEMO_KERNEL is not set.
# VMDEMO_RUNS=1g is the run of make demo-vm-1g: 1 GiB of guest RAM in one
# 1 GiB page (256 MiB written by the guest) in a 4 GiB VM.
# DEMO_VM (more vmtest.sh options, e.g. "-s 2 -n 2") and DEMO_APPEND (kernel
# command line) shape the VM; dev/check.sh runs the 1g run on the distro
# kernel's VM. VMDEMO_VARIANT=cpr runs the one-kernel variant instead.
set -euo pipefail
: "${TOP:?}" "${SRC:?}" "${OBJ:?}" "${LOGS:?}" "${STDIR:?}" "${STOUT:?}" "${BUILD:?}"

test=vm_demo
variant=${VMDEMO_VARIANT:-kexec}
kernel=${DEMO_KERNEL:-$OBJ/arch/x86/boot/bzImage}
logdir=${DEMO_LOGS:-$LOGS/vmdemo}
runs=${VMDEMO_RUNS:-128:16:2G 1024:256:3G 128:16:2G:80}
[ "$runs" = 1g ] && runs=1024:256:4G:1:1G
read -r -a runs <<< "$runs"
read -r -a vm <<< "${DEMO_VM:-}"
mkdir -p "$logdir"

"$TOP/dev/qemu10.sh"
list=$BUILD/vmdemo/qemu10.list
for f in vm_demo vm_demo_guest; do
	[ -f "$STOUT/$f" ] || { echo "vmdemo: no $STOUT/$f: run 'make selftests'" >&2; exit 1; }
done
added=$(awk '$1 == "file" { print $3 }' "$list" | xargs du -cbL | tail -n 1 | cut -f1)

echo "Kernel:   ${kernel#"$TOP"/} ($(du -h "$kernel" | cut -f1)), booted and kexec'd into again"
echo "VMM:      $(cat "$BUILD/vmdemo/version"), unmodified; +$((added / 1048576)) MiB in the initramfs" \
	"($(grep -c '^file' "$list") files: QEMU, its libraries, 3 firmware files)"
echo "Guest:    vm_demo_guest, $(stat -c %s "$STOUT/vm_demo_guest") bytes (bare-metal multiboot, qboot)"
echo "VM:       QEMU ${KVM:+KVM}${KVM:-TCG} on the host, TCG inside it; logs in ${logdir#"$TOP"/}"

rc=0
summary=()
for r in "${runs[@]}"; do
	IFS=: read -r ram fill mem pool psize <<< "$r"
	psize=${psize:-2M}
	# A fourth field: guest RAM on a hugetlb memfd, with a pool of that
	# many pages of the fifth field's size (2M, 1G) in the test VM.
	huge="" tag="" what="" runkernel=$kernel cpu=()
	if [ -n "$pool" ]; then
		case $psize in
		2M)	huge="vm_demo.hugetlb=2m" tag=h what="2 MiB pages" ;;
		1G)	huge="vm_demo.hugetlb=1g" tag=g what="1 GiB pages"
			# pdpe1gb, and SPARSEMEM_VMEMMAP: the distro kernel.
			cpu=(-c qemu64,+pdpe1gb)
			runkernel=${DEMO_KERNEL:-$OBJDST/arch/x86/boot/bzImage}
			[ -f "$runkernel" ] || { echo "vmdemo: no $runkernel: run 'make kernel-distro'" >&2; rc=1; continue; } ;;
		*)	echo "vmdemo: page size $psize: 2M or 1G" >&2; rc=1; continue ;;
		esac
		huge="$huge hugepagesz=$psize hugepages=$pool"
	fi
	name=$variant-${ram}M${pool:+-hugetlb}${psize/2M/}
	echo
	echo "== guest RAM $ram MiB${pool:+ on a hugetlb memfd ($what)} ($fill MiB written by the guest), test VM $mem =="
	[ "$runkernel" = "$kernel" ] || echo "Kernel:   ${runkernel#"$TOP"/} ($(du -h "$runkernel" | cut -f1))"
	# tsc=reliable: under the nested QEMU's load, the clocksource watchdog
	# of the test VM drops the TSC for jiffies, whose clock loses time when
	# TCG starves the vCPU, and the demo's own ms figures with it.
	t0=$SECONDS
	"$SRC/$STDIR/vmtest.sh" -k "$runkernel" -d "$STOUT" -l "$logdir/$name" -i "$list" \
		-t 400 "${vm[@]}" "${cpu[@]}" -m "$mem" ${KVM:+-K} \
		${DEMO_APPEND:+-a "$DEMO_APPEND"} \
		"$test:$variant kho=on liveupdate=on tsc=reliable vm_demo.ram=$ram vm_demo.fill=$fill${huge:+ $huge}" \
		> "$logdir/$name.summary" || rc=1
	echo "Run time: $((SECONDS - t0)) s (the whole test VM run)"
	log=$logdir/$name/$test-$variant.log
	line=$(python3 - "$log" "$ram$tag" <<'PY'
import re, sys

lines = []
for l in open(sys.argv[1], errors='replace'):
    m = re.match(r'\[\s*([0-9.]+)\] (.*)', l.rstrip('\n'))
    if m:
        lines.append((float(m.group(1)), m.group(2)))

s, f = {}, {}
restored = False
for t, l in lines:
    show = None
    if l.startswith('vm_demo: '):
        show = l[len('vm_demo: '):]
        if show.startswith('QEMU saved'):
            s.setdefault('save', t)
            f['save'] = re.search(r'in (\d+) ms', show).group(1)
        elif show.startswith('state file'):
            f['state'] = show.split()[2]
        elif show == 'luoctl exec':
            s['kexec'] = t
        elif show.startswith('running in the new kernel'):
            s['stage2'] = t
        elif show.startswith('QEMU restored'):
            restored = True
            f['restore'] = re.search(r'in (\d+) ms', show).group(1)
            f['incoming'] = re.search(r'migrate-incoming (\d+)', show).group(1)
        elif show.startswith('guest: id=') and 'stage2' in s and 'back' not in s:
            s['back'] = t
        elif show.startswith('guest:') and not restored and 'kexec' not in s:
            s['saving'] = t
    elif 'kexec_core: Starting new kernel' in l:
        show = 'old kernel: "Starting new kernel"'
    elif l.startswith('Linux version'):
        show = 'kernel boots: ' + ' '.join(l.split()[:3])
    elif l.startswith('vmtest: RESULT'):
        show = 'result: ' + ' '.join(l.split()[3:])
    if show is not None:
        print(f'[{t:7.2f}s] {show}', file=sys.stderr)

need = ('saving', 'kexec', 'stage2', 'back')
if all(k in s for k in need) and 'save' in f:
    print(f'Blackout {s["back"] - s["saving"]:.2f} s from the last guest report before '
          f'the save to the first one after the restore:', file=sys.stderr)
    print(f'  QEMU save   {int(f["save"]) / 1000:5.2f} s  (migrate, cpr-reboot, '
          f'x-ignore-shared; then quit, preserve, luoctl exec)', file=sys.stderr)
    print(f'  kexec boot  {s["stage2"] - s["kexec"]:5.2f} s  luoctl exec until the agent '
          'runs in the new kernel', file=sys.stderr)
    print(f'  restore     {s["back"] - s["stage2"]:5.2f} s  retrieve, new QEMU, '
          f'migrate-incoming, cont, until the guest reports (QEMU: {f["restore"]} ms, '
          f'of which migrate-incoming {f["incoming"]} ms)', file=sys.stderr)
    print(f'{sys.argv[2]} {f["state"]} {f["save"]} {f["restore"]} {f["incoming"]} '
          f'{s["stage2"] - s["kexec"]:.2f} {s["back"] - s["saving"]:.2f}')
PY
) || rc=1
	sed 's/^/Runner: /' "$logdir/$name.summary"
	[ -n "$line" ] && summary+=("$line")
done

echo
if [ ${#summary[@]} -gt 0 ]; then
	echo "Guest RAM   state file   QEMU save   QEMU restore (migrate-incoming)   kexec boot   blackout"
	for l in "${summary[@]}"; do
		read -r ram state save restore incoming boot black <<< "$l"
		printf '%5s MiB   %6s KiB   %6s ms   %6s ms (%4s ms)                 %6s s   %6s s\n' \
			"$ram" "$state" "$save" "$restore" "$incoming" "$boot" "$black"
	done
	echo "(h: guest RAM on a hugetlb memfd of 2 MiB pages; g: of 1 GiB pages)"
fi
exit $rc
