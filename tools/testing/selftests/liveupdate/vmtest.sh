#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run live update selftests in QEMU, one VM per test, across kexec.
#
# The initramfs holds vmtest_init as /init, the test and its helpers in
# /tests and the kernel image in /boot, so the init can kexec into the same
# kernel (the initramfs itself is kept by "retain_initrd"). The serial
# console, with host-side timestamps, goes to <logdir>/<test>.log. A test
# fails when its VM times out, when the kernel oopses, panics or warns, or
# reports a memory or locking bug (KASAN, KFENCE, lockdep, DEBUG_LIST,
# DEBUG_ATOMIC_SLEEP, SLUB, UBSAN), when the init reports no result, or when
# the number of kernel boots differs from the stages the test ran.
#
# Usage: vmtest.sh -k <bzImage> -d <test-bin-dir> [options] [<test>...]
#        vmtest.sh -S   (self-test of the report detection, no VM)
#   -f <file>   run the tests listed in <file>, one per line:
#               <test>[:<variant>] [extra kernel command line]
#               (the test sees vmtest.variant=<variant>; '#' starts a comment)
#   -l <dir>    log directory (default: ./vmtest-logs)
#   -t <secs>   timeout per VM run (default: 300)
#   -m <size>   guest memory (default: 2G)
#   -s <n>      guest CPUs (default: 2)
#   -n <n>      NUMA nodes (default: 1): memory and CPUs split evenly
#   -c <model>  QEMU CPU model under TCG (default: qemu64; e.g.
#               qemu64,+pdpe1gb for 1 GiB pages); CX16 is always taken
#               away from it (see "cmpxchg16b" below)
#   -u          boot through UEFI firmware (OVMF, Debian's ovmf package)
#               instead of the default BIOS
#   -a <args>   extra kernel command line
#   -i <file>   more initramfs entries, in gen_init_cpio's list format
#               (e.g. "file /usr/bin/foo /usr/bin/foo 0755 0 0")
#   -r <file>   append "<pass|fail|skip> <test>" lines to <file>
#   -e <ERE>    every kernel boot must print a console line matching <ERE>
#               (repeatable; e.g. that KASAN was initialized in each kernel
#               of a kexec chain)
#   -j <n>      run up to <n> VMs at once (default: 1); the results are
#               printed in list order. Under TCG a VM keeps about one host
#               core busy, whatever its vCPUs: -j 2 on two cores takes
#               about three quarters of the time of -j 1
#   -K          use KVM instead of TCG
#   -C          also show the console on the terminal
#
# Exit status: 0 if every test passed or skipped, 1 otherwise.

set -u

srctree=$(cd "$(dirname "$0")/../../../.." && pwd)
kernel="" bindir="" list="" logdir=./vmtest-logs timeout=300 mem=2G smp=2
append="" results="" kvm=0 console=0 extra="" selftest=0 nodes=1 uefi=0 cpu=""
jobs=1
expect=()

usage() { sed -n '/^# Usage/,/^# Exit/p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }

while getopts "k:d:f:l:t:m:s:n:c:a:r:i:e:j:uKCSh" opt; do
	case $opt in
	k) kernel=$OPTARG ;;
	d) bindir=$OPTARG ;;
	f) list=$OPTARG ;;
	l) logdir=$OPTARG ;;
	t) timeout=$OPTARG ;;
	m) mem=$OPTARG ;;
	s) smp=$OPTARG ;;
	n) nodes=$OPTARG ;;
	c) cpu=$OPTARG ;;
	u) uefi=1 ;;
	a) append=$OPTARG ;;
	r) results=$OPTARG ;;
	i) extra=$OPTARG ;;
	e) expect+=("$OPTARG") ;;
	j) jobs=$OPTARG ;;
	K) kvm=1 ;;
	C) console=1 ;;
	S) selftest=1 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
# One entry per VM run: "<test>[:<variant>] [kernel args]".
runs=()
for t in "$@"; do
	runs+=("$t")
done
if [ -n "$list" ]; then
	while read -r line; do
		line=${line%%#*}
		[ -n "${line// /}" ] && runs+=("$(echo $line)")
	done < "$list"
fi
# Console lines that fail a test whatever its result. Most checkers print
# "BUG:" or "WARNING:" (KASAN, KFENCE, lockdep, "sleeping function called
# from invalid context", bad page state, DEBUG_LIST's list corruption WARN);
# the others are listed by their own words. "kernel BUG at" is followed by
# an Oops, SLUB's "BUG <cache> (Tainted...)" has no colon.
kernel_trouble='Kernel panic|Oops|BUG:|WARNING:|general protection fault'
kernel_trouble+='|UBSAN:|KASAN:|KFENCE:|Call Trace:|kernel BUG at'
kernel_trouble+='|BUG [^ ]+ \((Not t|T)ainted|list_(add|del) corruption'
kernel_trouble+='|possible (circular|recursive) locking|inconsistent lock state'
kernel_trouble+='|suspicious RCU usage|called from invalid context'
kernel_trouble+='|scheduling while atomic|non-static key|lockdep is turned off'
kernel_trouble+='|page dumped because'

# judge <log> <test> <qemu exit status>: sets $why (empty if the run passed
# or skipped), $verdict, $stage and $boots from a console log.
judge() {
	local log=$1 test=$2 rc=$3 result inits trouble pat n

	result=$(grep -oE "vmtest: RESULT $test (pass|fail|skip) stage=[0-9]+.*" \
		"$log" | tail -n 1)
	verdict=$(echo "$result" | awk '{ print $4 }')
	stage=$(echo "$result" | sed -n 's/.* stage=\([0-9]*\).*/\1/p')
	boots=$(grep -c 'Linux version ' "$log")
	inits=$(grep -c 'vmtest: init stage=' "$log")
	trouble=$(grep -m 3 -E "$kernel_trouble" "$log")
	why=""
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		why="timed out after ${timeout}s"
	elif [ -n "$trouble" ]; then
		why="kernel reported: $(echo "$trouble" | head -n 1 | cut -c12-)"
	elif [ -z "$verdict" ]; then
		why="no result from the VM (qemu exit $rc)"
	elif [ "$boots" != "$stage" ] || [ "$inits" != "$stage" ]; then
		why="$boots kernel boots and $inits inits for $stage stages"
	elif [ "$verdict" = fail ]; then
		why="test failed in stage $stage${result#*stage=[0-9]}"
	fi
	[ -n "$why" ] && return
	for pat in ${expect[@]+"${expect[@]}"}; do
		n=$(grep -cE -- "$pat" "$log")
		if [ "$n" != "$boots" ]; then
			why="$n of $boots kernel boots printed '$pat'"
			return
		fi
	done
}

# stale_int3 <log>: true if the kernel died of a breakpoint that is no
# longer in its code. Jump labels and static calls are patched through a
# temporary int3, and the kernel's int3 handler claims a trap on a site
# only while that site is being patched. Under TCG, a vCPU can still run a
# translation of the code made while the int3 was there after patching has
# finished: the handler then finds no patch in progress, and the kernel
# dies with "Oops: int3" although the byte before the trapping address
# (RIP points after an int3) is no int3 any more. Real hardware cannot do
# that; an int3 byte that is really there (0xcc) is a kernel bug.
stale_int3() {
	local code

	[ $kvm = 0 ] || return 1
	code=$(grep -m 1 -A 12 'Oops: int3' "$1" | grep -m 1 ' Code: ') || return 1
	[[ $code =~ \ ([0-9a-f]{2})\ \<[0-9a-f]{2}\> ]] || return 1
	[ "${BASH_REMATCH[1]}" != cc ]
}

# -S: the detection must fail a run for each sample report below (real
# first lines of each checker's report, as 6.12 prints them) and must let
# a clean run pass, also with those checkers' boot banners in it.
self_test() {
	local dir log line bad=0 clean
	local -a reports=(
		'BUG: KASAN: slab-use-after-free in luo_session_release+0x1c/0x80'
		'BUG: KFENCE: out-of-bounds read in kho_restore_folio+0x2a/0x90'
		'WARNING: possible circular locking dependency detected'
		'WARNING: possible recursive locking detected'
		'WARNING: inconsistent lock state'
		'WARNING: suspicious RCU usage'
		'WARNING: bad unlock balance detected!'
		'INFO: trying to register non-static key.'
		'BUG: sleeping function called from invalid context at mm/slub.c:4156'
		'BUG: scheduling while atomic: vmtest_init/1/0x00000002'
		'list_add corruption. next->prev should be prev (ffff88800a1b2c00), but was 0'
		'list_del corruption, ffff88800a1b2c00->next is LIST_POISON1 (dead000000000100)'
		'WARNING: CPU: 1 PID: 42 at kernel/liveupdate/luo_core.c:120 luo_reboot+0x30/0x60'
		'kernel BUG at mm/memfd_luo.c:300!'
		'BUG kmalloc-64 (Not tainted): Redzone overwritten'
		'BUG: Bad page state in process vmtest_init  pfn:0a1b2'
		'page dumped because: VM_BUG_ON_PAGE(PageTail(page))'
		'Kernel panic - not syncing: kernel: panic_on_warn set ...'
		'Oops: general protection fault 0xdffffc0000000001'
		'UBSAN: shift-out-of-bounds in kernel/liveupdate/kho_radix_tree.c:88:9'
	)

	dir=$(mktemp -d)
	clean=(
		'Linux version 6.12.117 (gcc) #1 SMP'
		'KernelAddressSanitizer initialized'
		'kfence: initialized - using 2097152 bytes for 255 objects at 0x(____ptrval____)'
		'Lock dependency validator: Copyright (c) 2006 Red Hat, Inc., Ingo Molnar'
		'... MAX_LOCKDEP_SUBCLASSES:  8'
		'kho: scratch: 0x10000000-0x20000000'
		'vmtest: init stage=1'
		'vmtest: RESULT selftest pass stage=1'
	)
	log=$dir/clean.log
	printf '[   0.100] %s\n' "${clean[@]}" > "$log"
	expect=('KernelAddressSanitizer initialized' '^\[ *[0-9.]+\] kfence: initialized')
	judge "$log" selftest 0
	if [ -n "$why" ]; then
		echo "FAIL self-test: a clean run failed: $why"
		bad=1
	fi
	for line in "${reports[@]}"; do
		printf '[   0.100] %s\n' "${clean[@]:0:7}" "$line" "${clean[7]}" > "$log"
		judge "$log" selftest 0
		if [ -z "$why" ]; then
			echo "FAIL self-test: not detected: $line"
			bad=1
		fi
	done
	# A kernel of the chain without KASAN must fail the -e check.
	printf '[   0.100] %s\n' "${clean[@]:0:3}" 'Linux version 6.12.117 (gcc) #1 SMP' \
		"${clean[2]}" 'vmtest: init stage=1' 'vmtest: init stage=2' \
		'vmtest: RESULT selftest pass stage=2' > "$log"
	judge "$log" selftest 0
	if [ -z "$why" ]; then
		echo "FAIL self-test: a boot without KASAN passed"
		bad=1
	fi
	# A trap on an int3 patched away since is retried; a real int3 is not.
	printf '[   0.100] %s\n' "${clean[@]:0:7}" 'Oops: int3: 0000 [#1] PREEMPT SMP NOPTI' \
		'RIP: 0010:sched_clock_cpu+0x9/0x190' \
		'Code: f3 0f 1e fa 41 54 55 53 66 <90> e8 f1 2f f1 ff 48 03 05' > "$log"
	if ! stale_int3 "$log"; then
		echo "FAIL self-test: a stale int3 trap is not retried"
		bad=1
	fi
	sed -i 's/ 66 <90>/ cc <90>/' "$log"
	if stale_int3 "$log"; then
		echo "FAIL self-test: an int3 in the code is retried"
		bad=1
	fi
	rm -rf "$dir"
	[ $bad = 0 ] && echo "PASS self-test: ${#reports[@]} sample reports detected," \
		"clean run passes, only a stale int3 trap is retried"
	return $bad
}

if [ $selftest = 1 ]; then
	self_test
	exit
fi
[ -n "$kernel" ] && [ -n "$bindir" ] && [ ${#runs[@]} -gt 0 ] || usage
[[ $jobs =~ ^[1-9][0-9]*$ ]] || usage
[ -f "$kernel" ] || { echo "vmtest: no kernel image $kernel" >&2; exit 1; }
[ -x "$bindir/vmtest_init" ] || { echo "vmtest: no $bindir/vmtest_init" >&2; exit 1; }

mkdir -p "$logdir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The initramfs, one per test binary: /init, the kernel image, the test and
# the helpers the tests start from /tests (luod and luoctl: luo_test_utils.h;
# vm_demo_guest: vm_demo.c). Every kexec_file_load() hashes the whole
# retained initramfs and every boot unpacks it, so the other tests' binaries
# (about 1 MiB each) would cost seconds per kernel under TCG: 11 s instead
# of 4.5 s per kexec load on the KASAN kernel. Built with the kernel's own
# gen_init_cpio, so no root privileges are needed for /dev/console.
helpers=(luod luoctl vm_demo_guest)
cc -O2 -o "$work/gen_init_cpio" "$srctree/usr/gen_init_cpio.c" || exit 1

# build_initramfs <test>: write $work/initramfs-<test>.cpio, once.
build_initramfs() {
	local cpio=$work/initramfs-$1.cpio h

	[ -f "$cpio" ] && return
	{
		echo "dir /dev 0755 0 0"
		echo "nod /dev/console 0600 0 0 c 5 1"
		for d in /proc /sys /tmp /boot /tests; do echo "dir $d 0755 0 0"; done
		echo "file /init $bindir/vmtest_init 0755 0 0"
		echo "file /boot/bzImage $(readlink -f "$kernel") 0644 0 0"
		for h in "$1" "${helpers[@]}"; do
			[ -f "$bindir/$h" ] && [ -x "$bindir/$h" ] || continue
			echo "file /tests/$h $(readlink -f "$bindir/$h") 0755 0 0"
		done
		if [ -n "$extra" ]; then cat "$extra"; fi
	} > "$cpio.list"
	"$work/gen_init_cpio" "$cpio.list" > "$cpio" || { rm -f "$cpio"; return 1; }
}

if [ $kvm = 1 ]; then
	accel=(-accel kvm -cpu host)
else
	# QEMU 7.2 (Debian 12) under TCG computes the flags cmpxchg16b leaves
	# from a stale record of the last flag-setting instruction: after
	# "add %rdi,%rax; cmpxchg16b" in one translation block, EFLAGS can
	# hold the low 32 bits of %rdi. SLUB's per-CPU fast path runs that
	# sequence in kernels with SLAB_FREELIST_HARDENED (Debian's config),
	# and the next interrupt saves and restores those flags (TF, NT, AC,
	# VM...). Now and then a boot of that kernel died of a double fault
	# in __kmalloc_node_noprof(), the saved EFLAGS a slab address
	# (01060b4a with RDI ffff8adc01060908). QEMU 10 (bookworm-backports)
	# gets the flags right. Without CX16 the kernel uses its emulation
	# of this_cpu_cmpxchg128() and a lock for the slab freelist; nothing
	# the live update code does depends on it.
	accel=(-accel tcg -cpu "${cpu:-qemu64},-cx16")
fi
bios=()
if [ $uefi = 1 ]; then
	# QEMU hands the kernel to OVMF, which starts it through its EFI stub.
	ovmf=/usr/share/OVMF
	if [ ! -f $ovmf/OVMF_CODE_4M.fd ]; then
		echo "vmtest: -u needs $ovmf/OVMF_CODE_4M.fd (package ovmf)" >&2
		exit 1
	fi
	# The variable store is written: each run gets its own copy (run_one).
	bios=(-drive "if=pflash,format=raw,readonly=on,file=$ovmf/OVMF_CODE_4M.fd")
else
	for d in /usr/share/qemu /usr/share/qemu-firmware; do
		[ -f "$d/qboot.rom" ] && bios=(-bios qboot.rom) && break
	done
fi

# The guest's memory in MiB (QEMU reads a bare number as MiB).
if [[ $mem =~ ^[0-9]+$ ]]; then
	mem_mib=$mem
else
	mem_mib=$(($(numfmt --from=iec "$mem") / 1048576))
fi

# set_topo <MiB>: NUMA: one memory backend per node, the CPUs dealt out
# in turn.
set_topo() {
	local mib=$1 n c

	topo=(-smp "$smp")
	[ "$nodes" -gt 1 ] || return 0
	if [ $((mib % nodes)) -ne 0 ] || [ "$smp" -lt "$nodes" ]; then
		echo "vmtest: -n $nodes needs memory divisible by it and as many CPUs" >&2
		exit 1
	fi
	for ((n = 0; n < nodes; n++)); do
		topo+=(-object "memory-backend-ram,id=ram$n,size=$((mib / nodes))M"
		       -numa "node,nodeid=$n,memdev=ram$n")
	done
	for ((c = 0; c < smp; c++)); do
		topo+=(-numa "cpu,node-id=$((c % nodes)),socket-id=$c")
	done
	topo[1]="$smp,sockets=$smp,cores=1,threads=1"
}

# Prefix every console line with the host time since QEMU started.
stamp() {
	perl -MTime::HiRes=time -e '$t0 = time; $| = 1;' -e \
		'while (<STDIN>) { s/\r//g; printf "[%8.3f] %s", time - $t0, $_ }'
}

# The console log goes to a file, and to the terminal as well with -C.
save_log() {
	if [ $console = 1 ]; then
		tee "$1"
	else
		cat > "$1"
	fi
}

# Print "<seconds>" between "vmtest: kexec stage=N" and the next
# "vmtest: init stage=N" for every kexec in a log, one per line.
kexec_times() {
	awk '
	/vmtest: kexec stage=/ { t = substr($2, 1, length($2) - 1) + 0; pending = 1 }
	/vmtest: init stage=/ && pending {
		sub(/^\[ */, ""); printf "%.1f\n", ($1 + 0) - t; pending = 0
	}' "$1"
}

# run_one <n>: run <n> of the list, one VM ("<test>[:<variant>] [kernel
# args]"). Prints its PASS/FAIL/SKIP line (and the end of the log on a
# failure) and writes its result, "pass|fail|skip <test>", to $work/res.<n>.
run_one() {
	local run=${runs[$1]} res=$work/res.$1 spec args test variant name log
	local cmdline run_mib memopt dimm
	local dmib attempt start rc secs first at kx detail vars

	spec=${run%% *}
	args=${run#"$spec"}
	test=${spec%%:*}
	variant=""
	[ "$spec" != "$test" ] && variant=${spec#*:}
	name=$test${variant:+:$variant}
	log="$logdir/$test${variant:+-$variant}.log"
	if [ ! -x "$bindir/$test" ]; then
		echo "FAIL $name: no such test binary in $bindir"
		echo "fail $name" > "$res"
		return
	fi

	# no_timer_check: under TCG on a loaded host the boot-time check of
	# the IO-APIC timer can fail and panic the guest ("IO-APIC + timer
	# doesn't work"); it tests QEMU's timing, not the kernel under test.
	cmdline="console=ttyS0 panic=-1 no_timer_check retain_initrd vmtest.test=$test"
	cmdline+="${variant:+ vmtest.variant=$variant}$args $append"
	# vmtest.mem=<MiB> on a test's line: more guest memory than -m.
	run_mib=$mem_mib
	if [[ " $args " =~ \ vmtest\.mem=([^ ]*)\  ]]; then
		run_mib=${BASH_REMATCH[1]}
		if ! [[ $run_mib =~ ^[0-9]+$ ]]; then
			echo "FAIL $name: vmtest.mem=$run_mib: give the size in MiB"
			echo "fail $name" > "$res"
			return
		fi
	fi
	set_topo "$run_mib"
	memopt=("$run_mib") dimm=()
	# vmtest.dimm=<MiB> on a test's line: a DIMM of that size the kernel
	# hot-adds at boot (ACPI memory hotplug, outside the firmware map).
	if [[ " $args " =~ \ vmtest\.dimm=([^ ]*)\  ]]; then
		dmib=${BASH_REMATCH[1]}
		if ! [[ $dmib =~ ^[0-9]+$ ]]; then
			echo "FAIL $name: vmtest.dimm=$dmib: give the size in MiB"
			echo "fail $name" > "$res"
			return
		fi
		memopt=("$run_mib,slots=1,maxmem=$((run_mib + dmib))M")
		dimm=(-object "memory-backend-ram,id=dimm0,size=${dmib}M"
		      -device "pc-dimm,id=dimm0,memdev=dimm0")
	fi
	vars=()
	if [ $uefi = 1 ]; then
		cp /usr/share/OVMF/OVMF_VARS_4M.fd "$log.vars"
		vars=(-drive "if=pflash,format=raw,file=$log.vars")
	fi
	rm -f "${log%.log}.int3.log"
	for attempt in 1 2; do
		start=$(date +%s.%N)
		timeout -k 5 "$timeout" qemu-system-x86_64 -nodefaults -no-reboot \
			-display none -monitor none -serial stdio "${accel[@]}" "${bios[@]}" \
			"${vars[@]}" -m "${memopt[@]}" "${topo[@]}" "${dimm[@]}" \
			-kernel "$kernel" -initrd "$work/initramfs-$test.cpio" \
			-append "$cmdline" \
			< /dev/null 2>&1 | stamp | save_log "$log"
		rc=${PIPESTATUS[0]}
		secs=$(echo "$(date +%s.%N) - $start" | bc)

		judge "$log" "$test" "$rc"
		# Once, and said: see stale_int3().
		[ -n "$why" ] && [ $attempt = 1 ] && stale_int3 "$log" || break
		first=${log%.log}.int3.log
		mv "$log" "$first"
		at=$(grep -m 1 -A 4 'Oops: int3' "$first" | grep -m 1 -o 'RIP: [^ ]*' |
		     cut -d: -f3)
		echo "RETRY $name: TCG ran an int3 that text patching had removed" \
			"(at $at); first log: $first"
	done
	rm -f "$log.vars"

	kx=$(kexec_times "$log" | paste -sd, -)
	detail="$boots boot(s)${kx:+, kexec->init ${kx}s}, $(printf '%.1f' "$secs")s"
	if [ -n "$why" ]; then
		echo "FAIL $name: $why ($detail)"
		echo "---- last lines of $log ----"
		tail -n 40 "$log" | sed 's/^/    /'
		echo "fail $name" > "$res"
	elif [ "$verdict" = skip ]; then
		echo "SKIP $name ($detail)"
		echo "skip $name" > "$res"
	else
		echo "PASS $name ($detail)"
		echo "pass $name" > "$res"
	fi
}

# report <n>: the output of run <n> and its result, in list order.
fails=0
report() {
	local result

	[ -f "$work/out.$1" ] && cat "$work/out.$1"
	result=$(cat "$work/res.$1" 2>/dev/null)
	if [ -z "$result" ]; then
		echo "FAIL ${runs[$1]%% *}: the runner gave no result"
		result="fail ${runs[$1]%% *}"
	fi
	[ -n "$results" ] && echo "$result" >> "$results"
	[ "${result%% *}" = fail ] && fails=$((fails + 1))
}

# Every initramfs before the first VM, so runs in the background only read
# them (a run whose test binary is missing fails in run_one()).
for run in "${runs[@]}"; do
	spec=${run%% *}
	[ -x "$bindir/${spec%%:*}" ] || continue
	build_initramfs "${spec%%:*}" || {
		echo "vmtest: cannot build the initramfs of ${spec%%:*}" >&2
		exit 1
	}
done

# Up to $jobs runs at once, each in the background; the output of a run
# is printed once it and every run before it have finished. With -C the
# console goes to the terminal, so one run at a time.
[ $console = 1 ] && jobs=1
next=0
for ((i = 0; i < ${#runs[@]}; i++)); do
	if [ "$jobs" = 1 ]; then
		run_one $i
		report $i
		continue
	fi
	{ run_one $i > "$work/out.$i.tmp" 2>&1; mv "$work/out.$i.tmp" "$work/out.$i"; } &
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
		wait -n
	done
	while [ $next -le $i ] && [ -f "$work/out.$next" ]; do
		report $next
		next=$((next + 1))
	done
done
wait
if [ "$jobs" != 1 ]; then
	for ((; next < ${#runs[@]}; next++)); do
		report $next
	done
fi

[ $fails = 0 ]
