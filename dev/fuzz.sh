#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make fuzz [N=<count>] [SEED=<first>]: the handover fuzzer. One QEMU VM per
# seed runs fuzz_kexec_test (tools/testing/selftests/liveupdate/): stage 1
# builds a handover (KHO test module, memfds, test-handler files, FLB) and
# arms kho_fuzz.seed, the old kernel damages the outgoing data right before
# the jump (CONFIG_KEXEC_HANDOVER_FUZZ, kernel/liveupdate/kho_fuzz.c), and
# the next kernel must boot, stay free of warnings and oopses, and give back
# every piece intact or fail it with an errno. Prints a verdict per seed
# with the damage that was done, then a summary.
#
# FUZZ_SEEDS="<list>" runs these seeds instead (dev/check.sh does);
# FUZZ_RESULTS=<file> appends "pass|fail fuzz/<seed>" lines to it.
# Logs: build/logs/fuzz/fuzz_kexec_test-<seed>.log.
set -uo pipefail
: "${SRC:?}" "${OBJ:?}" "${STOUT:?}" "${LOGS:?}" "${STDIR:?}"

n=${N:-100}
first=${SEED:-1}
seeds=${FUZZ_SEEDS:-$(seq "$first" $((first + n - 1)))}
logdir=$LOGS/fuzz
mem=${FUZZ_MEM:-384M}
list=$(mktemp) res=$(mktemp) out=$(mktemp)
trap 'rm -f "$list" "$res" "$out"' EXIT
mkdir -p "$logdir"

for s in $seeds; do
	echo "fuzz_kexec_test:$s kho=on liveupdate=on" >> "$list"
done
count=$(wc -l < "$list")
echo "  FUZZ    $count seed(s) ($(echo $seeds | cut -c1-60)...), one VM each (${mem}, ${KVM:+KVM}${KVM:-TCG}; logs: build/logs/fuzz/)"

start=$(date +%s)
"$SRC/$STDIR/vmtest.sh" -k "$OBJ/arch/x86/boot/bzImage" -d "$STOUT" \
	-f "$list" -l "$logdir" -r "$res" -m "$mem" -t "${FUZZ_TIMEOUT:-60}" \
	-j "${VMTEST_JOBS:-2}" ${KVM:+-K} > "$out" 2>&1
secs=$(( $(date +%s) - start ))

clean=0 failed=0 bad="" wrong=""
for s in $seeds; do
	log=$logdir/fuzz_kexec_test-$s.log
	v=$(awk -v t="fuzz_kexec_test:$s" '$2 == t { print $1 }' "$res")
	[ -z "$v" ] && v=fail
	verdict=$(grep -o "fuzz: seed $s verdict: .*" "$log" 2>/dev/null | tail -n 1)
	if [ "$v" = pass ]; then
		clean=$((clean + 1))
		case $verdict in *"WRONG DATA"*) wrong+=" $s" ;; esac
		echo "PASS seed $s: ${verdict#fuzz: seed $s verdict: }"
	else
		failed=$((failed + 1))
		bad+=" $s"
		why=$(grep -m 1 "^FAIL fuzz_kexec_test:$s:" "$out" | sed 's/^FAIL [^:]*:[^:]*: //')
		echo "FAIL seed $s: ${why:-no result}"
		grep -E "fuzz: .*(WRONG|verdict)" "$log" 2>/dev/null | sed 's/^/    /'
		grep -m 3 -E 'Kernel panic|Oops|BUG:|WARNING:|general protection|KASAN:|UBSAN:' \
			"$log" 2>/dev/null | sed 's/^/    /'
	fi
	grep -o "KHO fuzz: seed $s damage .*" "$log" 2>/dev/null | sed 's/^/    /'
	[ -n "${FUZZ_RESULTS:-}" ] && echo "$v fuzz/$s" >> "$FUZZ_RESULTS"
done

echo "fuzz: $count seed(s) in ${secs}s ($(( secs / (count ? count : 1) ))s per seed): $clean clean, $failed failed${bad:+ (seeds$bad)}"
# Wrong data at the first read: damage to a field no format can check
# (e.g. a memfd size shrunk inside its last page); reported, not failed.
[ -n "$wrong" ] && echo "fuzz: wrong data delivered (unchecked field damaged) with seeds$wrong"
[ "$failed" = 0 ]
