#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The test command: check.sh all|kunit|kselftest|kselftest-debug|kselftest-distro|deb|fuzz|demo|checkpatch
#
#   kunit       the KUnit suites of kernel/liveupdate/.kunitconfig, built
#               into the test kernel (off at boot: dev/kunit.config), in
#               one QEMU boot with kunit.enable=1 kho=on liveupdate=on (the
#               KHO and LUO suites need them), parsed by kunit.py parse; one
#               result per test case
#   kselftest   every line of the selftests' vmtests.list, each in its own
#               QEMU VM through vmtest.sh (single boot or across kexec)
#   fuzz        dev/fuzz.sh (make fuzz) on the fixed seeds of
#               dev/fuzz-seeds.txt: one VM each, results fuzz/<seed>
#   kselftest-debug
#               the same runs on the debug kernel (build/obj-debug: KASAN,
#               KFENCE, lockdep, DEBUG_VM, DEBUG_LIST, DEBUG_ATOMIC_SLEEP;
#               dev/debug.config) with panic_on_warn=1, as
#               kselftest-debug/<test>: the slice of vmtests.list whose
#               lines end in the comment "# debug". Any
#               checker's report fails the run (vmtest.sh; its detection
#               is self-tested first: kselftest-debug/report-detection)
#   kselftest-distro
#               the slice of vmtests.list marked "distro" on the distro
#               kernel (build/obj-distro: Debian's cloud-amd64 config, so
#               deferred struct page init, KASLR, EFI stub) in a 4 GiB VM
#               with two NUMA nodes and a boot-time hugetlb pool, as
#               kselftest-distro/<test>; the lines marked "uefi" once more
#               booted through UEFI (OVMF), as kselftest-distro-uefi/<test>;
#               the memcached demo, as distro/demo; and the VM demo with
#               its guest RAM in one 1 GiB hugetlb page (the distro VM's
#               CPU has pdpe1gb), as demo/vm-live-update-1g
#   deb         the linux-image package of make deb (the distro kernel):
#               unpacked, its vmlinuz must carry the series and boot
#               through the live update of the lines marked "deb", as
#               kselftest-deb/<test>
#   demo        dev/demo.sh (make demo), both stories through luod and
#               luoctl: a VM under QEMU 10 keeps running (demo/vm-live-
#               update: same guest, counter on, pattern intact, at 128 MiB
#               and 1 GiB of guest RAM), and memcached's cache across a
#               live update (demo/memcached-live-update: every key)
#   kernel-doc  scripts/kernel-doc -none -Wall on our C files and headers,
#               and every kernel-doc directive of our rst pages resolves
#   checkpatch  export the series (make series; which also proves it applies
#               to a pristine base and reproduces build/linux), then
#               checkpatch.pl --strict --no-signoff on every patch
#
# Every result is one line "pass|fail|skip <name>" in build/logs/results.txt;
# the last line printed is "N passed, N failed[, N skipped]" and the exit
# status is non-zero if anything failed. A skip is never counted as a pass.
set -uo pipefail
: "${TOP:?}" "${BUILD:?}" "${SRC:?}" "${OBJ:?}" "${LOGS:?}" "${STDIR:?}" "${STOUT:?}"
OBJDBG=${OBJDBG:-$BUILD/obj-debug}
OBJDST=${OBJDST:-$BUILD/obj-distro}

RESULTS=$LOGS/results.txt
export VMTEST_JOBS=${VMTEST_JOBS:-2}
mkdir -p "$LOGS"

# A heading, with the time since the check started: where a CI run's time
# went.
step() {
	local t=$(($(date +%s) - start))

	printf '\n==== %s [+%dm%02ds]\n' "$*" $((t / 60)) $((t % 60))
}
record() { echo "$1 $2" >> "$RESULTS"; }

# The lines of vmtests.list whose comment names <word> ("# debug distro").
slice() {
	grep -E "^[^#]*[^#[:space:]][^#]*#.*\b$1\b" "$SRC/$STDIR/vmtests.list"
}

# vmtest.sh -k <kernel> -f <list> -l <logdir> <prefix> [vmtest.sh options]:
# one result per line of <list> as <prefix>/<test>, and a failure if a run
# gave no result (a runner that died half way must not shrink the count).
# VMTEST_JOBS VMs at once (vmtest.sh -j; default 2: under TCG a VM keeps
# about one host core busy).
run_slice() {
	local kernel=$1 list=$2 logdir=$3 prefix=$4 tmp rc want got
	shift 4
	tmp=$logdir/vmtest-results.txt
	mkdir -p "$logdir"
	rm -f "$tmp"
	"$SRC/$STDIR/vmtest.sh" -k "$kernel" -d "$STOUT" -f "$list" -l "$logdir" \
		-r "$tmp" -j "$VMTEST_JOBS" ${KVM:+-K} "$@"
	rc=$?
	touch "$tmp"
	sed "s#^\([a-z]*\) #\1 $prefix/#" "$tmp" >> "$RESULTS"
	want=$(sed 's/#.*//' "$list" | grep -c '[^[:space:]]')
	got=$(wc -l < "$tmp")
	if [ "$got" != "$want" ]; then
		echo "vmtest.sh (exit $rc) reported $got of $want runs"
		record fail "$prefix/missing-results ($got of $want)"
	fi
}

run_kunit() {
	local json=$LOGS/kunit.json log=$LOGS/kunit.log kernel=$OBJ/arch/x86/boot/bzImage
	# No CX16 under TCG, as in vmtest.sh (QEMU 7.2 corrupts its flags).
	local bios=() accel=(-accel tcg -cpu qemu64,-cx16) d rc

	step "KUnit (the suites built into the test kernel, x86_64 under QEMU; log: build/logs/kunit.log)"
	if [ ! -f "$kernel" ]; then
		echo "no $kernel: run 'make kernel'"
		record fail kunit/build
		return
	fi
	for d in /usr/share/qemu /usr/share/qemu-firmware; do
		[ -f "$d/qboot.rom" ] && bios=(-bios qboot.rom) && break
	done
	[ -n "${KVM:-}" ] && accel=(-accel kvm -cpu host)
	# No initramfs: the suites run before init, then the kernel reboots,
	# which ends QEMU (-no-reboot).
	rm -f "$json"
	timeout -k 5 900 qemu-system-x86_64 -nodefaults -no-reboot -display none \
		-monitor none -serial stdio "${accel[@]}" "${bios[@]}" -m 2G -smp 2 -kernel "$kernel" \
		-append "console=ttyS0 panic=-1 no_timer_check kunit.enable=1 kunit_shutdown=reboot kho=on liveupdate=on" \
		< /dev/null > "$log" 2>&1
	rc=$?
	# Only the KTAP output goes to the parser: its top-level lines and
	# every indented line (the suites' own, failure details included).
	# Kernel messages start in the first column; one between a "KTAP
	# version" line and its subtest's header (the clocksource watchdog
	# finding the TSC skewed under TCG on a busy host, say) made kunit.py
	# lose the nesting and report a crash in suites that had all passed.
	# A kernel report still fails the suites (below, on the whole log),
	# and a crash ends the KTAP output early.
	grep -E '^([[:space:]]|K?TAP version |# |[0-9]+\.\.[0-9]+|(not )?ok [0-9])' \
		"$log" > "$LOGS/kunit.ktap"
	(cd "$SRC" && ./tools/testing/kunit/kunit.py parse --json="$json" "$LOGS/kunit.ktap") |
		grep -E '^\[..:..:..\] (\[|=|Testing complete)' | sed 's/^\[..:..:..\] //'
	if [ ! -s "$json" ]; then
		echo "no KUnit results (qemu exit $rc); log: build/logs/kunit.log"
		tail -n 30 "$log"
		record fail kunit
		return
	fi
	python3 - "$json" "$RESULTS" <<-'EOF'
	import json, sys
	data = json.load(open(sys.argv[1]))
	verdicts = {"PASS": "pass", "SKIP": "skip"}
	def walk(tests, prefix):
	    for t in tests:
	        name = prefix + t["name"]
	        if t.get("sub_groups") or t.get("test_cases"):
	            yield from walk(t.get("sub_groups", []) + t.get("test_cases", []), name + ".")
	        else:
	            yield verdicts.get(t["status"], "fail"), name
	rows = list(walk(data.get("sub_groups", []) + data.get("test_cases", []), "kunit/"))
	if not rows:
	    rows = [("fail", "kunit/(no test cases ran)")]
	with open(sys.argv[2], "a") as out:
	    for verdict, name in rows:
	        out.write(f"{verdict} {name}\n")
	EOF
	# The kernel must reboot once the suites are done (QEMU exits 0).
	[ $rc = 0 ] || grep -q '^fail kunit/' "$RESULTS" || record fail "kunit/qemu (exit $rc)"
	# A checker's report or a warning during the suites fails them too.
	if grep -qE 'Oops|BUG:|WARNING:|Call Trace:|Kernel panic' "$log"; then
		grep -m 3 -E 'Oops|BUG:|WARNING:|Call Trace:|Kernel panic' "$log"
		record fail kunit/kernel-reports
	fi
}

run_kselftest() {
	local list=$LOGS/vmtests-main.list

	step "kselftests in QEMU (${KVM:+KVM}${KVM:-TCG}; logs: build/logs/<test>.log)"
	if [ ! -x "$STOUT/vmtest_init" ]; then
		echo "no $STOUT/vmtest_init: run 'make selftests'"
		record fail kselftest/build
		return
	fi
	# Every line but those marked "only" (for other kernels).
	grep -vE '^[^#]*[^#[:space:]][^#]*#.*\bonly\b' "$SRC/$STDIR/vmtests.list" > "$list"
	run_slice "$OBJ/arch/x86/boot/bzImage" "$list" "$LOGS" kselftest
}

run_fuzz() {
	step "handover fuzzer, seeds of dev/fuzz-seeds.txt (logs: build/logs/fuzz/)"
	if [ ! -x "$STOUT/fuzz_kexec_test" ]; then
		echo "no $STOUT/fuzz_kexec_test: run 'make selftests'"
		record fail fuzz/build
		return
	fi
	FUZZ_SEEDS=$(sed 's/#.*//' "$TOP/dev/fuzz-seeds.txt" | xargs) \
		FUZZ_RESULTS=$RESULTS "$TOP/dev/fuzz.sh"
}

# The debug kernel's settings for vmtest.sh. Guest RAM: KASAN takes 1/8
# of it for shadow and its quarantine and redzones add to every slab
# allocation. Every kernel of a kexec chain must show that KASAN, KFENCE
# and lockdep are on (a KHO boot allocates KASAN shadow and the KFENCE pool
# from the scratch areas only).
# kho_scratch: the default (200% of the kernel's memblock reservations,
# once for lowmem and once per node) counts KASAN's shadow (1/8 of RAM)
# and asks for more than a 2 GiB guest has: "KHO: failed to reserve
# scratch memory, disabling kexec handover". 512M+64M+64M holds the next
# kernel's shadow, memmap and image (374 MiB reserved in all at boot).
DEBUG_MEM=${DEBUG_MEM:-2G}
DEBUG_TIMEOUT=${DEBUG_TIMEOUT:-600}
DEBUG_APPEND=${DEBUG_APPEND:-panic_on_warn=1 kho_scratch=512M,64M,64M}
DEBUG_EXPECT=('KernelAddressSanitizer initialized' 'kfence: initialized'
	      'Lock dependency validator')

run_kselftest_debug() {
	local list=$LOGS/vmtests-debug.list e args=()

	step "kselftests on the debug kernel (${KVM:+KVM}${KVM:-TCG}; logs: build/logs/debug/<test>.log)"
	if "$SRC/$STDIR/vmtest.sh" -S; then
		record pass kselftest-debug/report-detection
	else
		record fail kselftest-debug/report-detection
	fi
	if [ ! -f "$OBJDBG/arch/x86/boot/bzImage" ] || [ ! -x "$STOUT/vmtest_init" ]; then
		echo "no debug kernel or selftests: run 'make kernel-debug selftests'"
		record fail kselftest-debug/build
		return
	fi
	# The slice: a run on the debug kernel takes 4-10 times as long as on
	# the test kernel.
	slice debug > "$list"
	echo "$(grep -c . "$list") of $(sed 's/#.*//' "$SRC/$STDIR/vmtests.list" | grep -c '[^[:space:]]') runs of vmtests.list (those marked \"# debug\")"
	for e in "${DEBUG_EXPECT[@]}"; do
		args+=(-e "$e")
	done
	run_slice "$OBJDBG/arch/x86/boot/bzImage" "$list" "$LOGS/debug" kselftest-debug \
		-m "$DEBUG_MEM" -t "$DEBUG_TIMEOUT" -a "$DEBUG_APPEND" "${args[@]}"
}

# The distro kernel's machine: what a small host looks like to it. 4 GiB
# over two NUMA nodes and two CPUs with 1 GiB pages; a boot-time pool of
# 64 2 MiB hugetlb pages; KASLR on (Debian's default). vmtest.deferred=1: memfd_kexec_test
# requires that KHO initialised the struct pages of some preserved pages in
# the deferred range itself; vmtest.kaslr=1: kho_kexec_test requires that
# two KHO boots put the kernel at different addresses in scratch. Through
# UEFI without hugepages=, which makes the EFI stub turn physical KASLR off.
DISTRO_VM=${DISTRO_VM:--m 4G -s 2 -n 2 -c qemu64,+pdpe1gb}
DISTRO_APPEND=${DISTRO_APPEND:-hugepagesz=2M hugepages=64 vmtest.deferred=1 vmtest.kaslr=1}
DISTRO_UEFI_APPEND=${DISTRO_UEFI_APPEND:-vmtest.deferred=1 vmtest.kaslr=1}
DISTRO_TIMEOUT=${DISTRO_TIMEOUT:-600}

run_kselftest_distro() {
	local kernel=$OBJDST/arch/x86/boot/bzImage vm
	read -r -a vm <<< "$DISTRO_VM"

	step "kselftests on the distro kernel (${KVM:+KVM}${KVM:-TCG}, $DISTRO_VM; logs: build/logs/distro/)"
	if [ ! -f "$kernel" ] || [ ! -x "$STOUT/vmtest_init" ]; then
		echo "no distro kernel or selftests: run 'make kernel-distro selftests'"
		record fail kselftest-distro/build
		return
	fi
	slice distro > "$LOGS/vmtests-distro.list"
	slice uefi > "$LOGS/vmtests-distro-uefi.list"
	echo "$(grep -c . "$LOGS/vmtests-distro.list") runs marked \"distro\", $(grep -c . "$LOGS/vmtests-distro-uefi.list") of them again through UEFI"
	run_slice "$kernel" "$LOGS/vmtests-distro.list" "$LOGS/distro" kselftest-distro \
		"${vm[@]}" -t "$DISTRO_TIMEOUT" -a "$DISTRO_APPEND"
	run_slice "$kernel" "$LOGS/vmtests-distro-uefi.list" "$LOGS/distro-uefi" \
		kselftest-distro-uefi -u "${vm[@]}" -t "$DISTRO_TIMEOUT" -a "$DISTRO_UEFI_APPEND"

	echo "the memcached demo on the distro kernel (log: build/logs/distro/demo.txt)"
	if DEMO_STORIES=memcached DEMO_KERNEL=$kernel DEMO_VM="$DISTRO_VM" \
	   DEMO_APPEND=$DISTRO_APPEND DEMO_LOGS=$LOGS/distro/demo \
	   "$TOP/dev/demo.sh" > "$LOGS/distro/demo.txt" 2>&1; then
		record pass distro/demo
	else
		record fail distro/demo
	fi
	grep -E 'keys verified|missing or different|FAIL|Blackout|result:' \
		"$LOGS/distro/demo.txt" | sed 's/^/  /'

	# The VM demo with its guest RAM in one 1 GiB page: the test kernel
	# has no SPARSEMEM_VMEMMAP (make demo-vm-1g).
	echo "the VM demo on 1 GiB pages on the distro kernel (log: build/logs/distro/demo-vm-1g.txt)"
	if DEMO_STORIES=vm VMDEMO_RUNS=1g DEMO_KERNEL=$kernel DEMO_VM="$DISTRO_VM" \
	   DEMO_LOGS=$LOGS/distro/vmdemo "$TOP/dev/demo.sh" > "$LOGS/distro/demo-vm-1g.txt" 2>&1; then
		record pass demo/vm-live-update-1g
	else
		record fail demo/vm-live-update-1g
	fi
	grep -E 'guest continued|FAIL|Blackout|result:|Run time|MiB .* KiB .* ms' \
		"$LOGS/distro/demo-vm-1g.txt" | sed 's/^/  /'
}

run_deb() {
	local deb tmp vmlinuz cfg vm
	read -r -a vm <<< "$DISTRO_VM"

	step "the distro kernel's Debian package (make deb; logs: build/logs/deb/)"
	deb=$(ls "$BUILD"/deb/linux-image-*.deb 2>/dev/null | grep -v -- -dbg_ | head -n 1)
	if [ -z "$deb" ]; then
		echo "no build/deb/linux-image-*.deb: run 'make deb'"
		record fail deb/package
		return
	fi
	tmp=$(mktemp -d)
	dpkg-deb -x "$deb" "$tmp"
	vmlinuz=$(ls "$tmp"/boot/vmlinuz-* 2>/dev/null | head -n 1)
	cfg=$(ls "$tmp"/boot/config-* 2>/dev/null | head -n 1)
	echo "$(basename "$deb"): $(cd "$tmp" && ls boot | tr '\n' ' ')"
	if [ -n "$vmlinuz" ] && [ -n "$cfg" ] &&
	   grep -qx CONFIG_LIVEUPDATE_MEMFD=y "$cfg" &&
	   grep -qx CONFIG_DEFERRED_STRUCT_PAGE_INIT=y "$cfg"; then
		record pass deb/package
	else
		record fail deb/package
		rm -rf "$tmp"
		return
	fi
	slice deb > "$LOGS/vmtests-deb.list"
	run_slice "$vmlinuz" "$LOGS/vmtests-deb.list" "$LOGS/deb" kselftest-deb \
		"${vm[@]}" -t "$DISTRO_TIMEOUT" -a "$DISTRO_APPEND"
	rm -rf "$tmp"
	run_deb_tools
}

# The liveupdate-tools package: luod, luoctl and luod's unit where Debian
# puts them, and both programs run on this host.
run_deb_tools() {
	local deb tmp f ok=1
	deb=$(ls "$BUILD"/deb/liveupdate-tools_*.deb 2>/dev/null | head -n 1)
	if [ -z "$deb" ]; then
		echo "no build/deb/liveupdate-tools_*.deb: run 'make deb'"
		record fail deb/tools-package
		return
	fi
	tmp=$(mktemp -d)
	dpkg-deb -x "$deb" "$tmp"
	for f in usr/sbin/luod usr/sbin/luoctl lib/systemd/system/luod.service; do
		[ -e "$tmp/$f" ] || { echo "$(basename "$deb"): no /$f"; ok=0; }
	done
	if [ "$ok" = 1 ]; then
		"$tmp/usr/sbin/luoctl" --help 2>&1 | grep -q '^Usage: luoctl' || { echo "luoctl --help fails"; ok=0; }
		"$tmp/usr/sbin/luod" --help 2>&1 | grep -q '^Usage: luod' || { echo "luod --help fails"; ok=0; }
		grep -qx 'ExecStart=/usr/sbin/luod $LUOD_ARGS' "$tmp/lib/systemd/system/luod.service" || { echo "luod.service: no ExecStart"; ok=0; }
	fi
	echo "$(basename "$deb"): $(dpkg-deb -f "$deb" Package Version | tr '\n' ' ')"
	if [ "$ok" = 1 ]; then
		record pass deb/tools-package
	else
		record fail deb/tools-package
	fi
	rm -rf "$tmp"
}

run_demo() {
	step "live update demo (make demo; logs: build/logs/demo-vm.txt, demo.txt)"
	if DEMO_STORIES=vm "$TOP/dev/demo.sh" > "$LOGS/demo-vm.txt" 2>&1; then
		record pass demo/vm-live-update
	else
		record fail demo/vm-live-update
	fi
	grep -E 'guest continued|FAIL|Blackout|result:|MiB .* KiB .* ms' \
		"$LOGS/demo-vm.txt" | sed 's/^/  /'
	if DEMO_STORIES=memcached "$TOP/dev/demo.sh" > "$LOGS/demo.txt" 2>&1; then
		record pass demo/memcached-live-update
	else
		record fail demo/memcached-live-update
	fi
	grep -E 'keys verified|missing or different|FAIL|Blackout|result:' \
		"$LOGS/demo.txt" | sed 's/^/  /'
}

run_checkpatch() {
	local p out

	step "series export and checkpatch.pl --strict --no-signoff"
	# checkpatch's SPDX check runs "python3" and needs python3-ply and
	# python3-git from Debian: prefer the system python over any other.
	local PATH=/usr/bin:$PATH
	if ! "$TOP/dev/export-series.sh"; then
		record fail series/export
		return
	fi
	record pass series/applies-and-matches-build-linux
	# Two at a time (checkpatch.pl is one slow perl process), from the
	# series' git tree (the SPDX check needs a git work tree); each one's
	# output and status in $out/<patch>, recorded in series order.
	out=$(mktemp -d)
	ls "$BUILD"/series/*.patch | grep -v /0000-cover-letter.patch |
		(cd "$BUILD/series-git" && xargs -P "${JOBS:-2}" -I{} sh -c \
			'./scripts/checkpatch.pl --strict --no-signoff --terse \
				--show-types "$1" > "$2/$(basename "$1")" 2>&1
			 echo $? >> "$2/$(basename "$1")"' sh {} "$out")
	for p in "$BUILD"/series/*.patch; do
		p=$(basename "$p")
		[ "$p" = 0000-cover-letter.patch ] && continue
		if [ "$(tail -n 1 "$out/$p" 2>/dev/null)" = 0 ]; then
			record pass "checkpatch/$p"
		else
			echo "checkpatch: $p:"
			sed '$d; s/^/    /' "$out/$p" 2>/dev/null
			record fail "checkpatch/$p"
		fi
	done
	rm -rf "$out"
	echo "checkpatch: $(grep -c '^pass checkpatch/' "$RESULTS") patches clean," \
	     "$(grep -c '^fail checkpatch/' "$RESULTS") with findings"
}

# scripts/kernel-doc -none -Wall on every C source and header the series
# adds (tests under tools/ excepted): one result per file with findings,
# or one pass for all.
run_kerneldoc() {
	local f out bad=0

	step "kernel-doc -none -Wall on our kernel files"
	while IFS= read -r f; do
		case $f in
		tools/*) continue ;;
		*.c|*.h) ;;
		*) continue ;;
		esac
		out=$(cd "$SRC" && ./scripts/kernel-doc -none -Wall "$f" 2>&1)
		if [ -n "$out" ]; then
			echo "$out"
			record fail "kernel-doc/$f"
			bad=1
		fi
	done < "$SRC/.lu-overlay"
	[ $bad = 0 ] && record pass "kernel-doc/all-files"

	# Every kernel-doc directive of our rst pages must find its text
	# (Sphinx is not needed for that; the HTML build is not run).
	if (cd "$SRC" && grep '^Documentation/.*\.rst$' .lu-overlay |
	    python3 -c '
import re, subprocess, sys
bad = 0
for rst in sys.stdin.read().split():
    for m in re.finditer(r"\.\. kernel-doc:: (\S+)\n(?:   :(\w+):(?: (.*))?\n)?", open(rst).read()):
        f, opt, arg = m.groups()
        cmd = ["scripts/kernel-doc", "-rst"] + {"doc": ["-function", arg or "-"], "export": ["-export"],
               "internal": ["-internal"]}.get(opt, []) + [f]
        out = subprocess.run(cmd, capture_output=True, text=True).stdout
        if not out.strip():
            print(rst + ": kernel-doc:: " + f, opt, arg, ": nothing found")
            bad = 1
sys.exit(bad)'); then
		record pass "docs/kernel-doc-directives"
	else
		record fail "docs/kernel-doc-directives"
	fi
}

what=${1:-all}
rm -f "$RESULTS"
start=$(date +%s)
stamp=$LOGS/.check-start
touch "$stamp"
case $what in
all)		run_kunit; run_kselftest; run_kselftest_debug; run_kselftest_distro
		run_deb; run_fuzz; run_demo; run_checkpatch; run_kerneldoc ;;
kunit)		run_kunit ;;
kselftest)	run_kselftest ;;
kselftest-debug) run_kselftest_debug ;;
kselftest-distro) run_kselftest_distro ;;
deb)		run_deb ;;
fuzz)		run_fuzz ;;
demo)		run_demo ;;
checkpatch)	run_checkpatch; run_kerneldoc ;;
*)		echo "usage: $0 all|kunit|kselftest|kselftest-debug|kselftest-distro|deb|fuzz|demo|checkpatch" >&2
		exit 2 ;;
esac

passed=$(grep -c '^pass ' "$RESULTS")
failed=$(grep -c '^fail ' "$RESULTS")
skipped=$(grep -c '^skip ' "$RESULTS")
step "summary ($(( $(date +%s) - start ))s; every result in build/logs/results.txt)"
grep -E '^(fail|skip) ' "$RESULTS" | sed 's/^/  /'
# Runs vmtest.sh ran twice: TCG trapped on a stale int3 (vmtest.sh).
find "$LOGS" -name '*.int3.log' -newer "$stamp" 2>/dev/null | sort |
	sed "s#^$LOGS/#  retried after a stale int3 under TCG: #"
line="$passed passed, $failed failed"
[ "$skipped" != 0 ] && line="$line, $skipped skipped"
echo "$line"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
