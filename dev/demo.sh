#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The main job, narrated. Until live update itself lands this shows the
# plumbing every later demo builds on: boot the patched kernel in QEMU, run
# a first stage, kexec into the same kernel and initramfs with
# kexec_file_load(), and prove in the second stage that a new kernel runs.
set -euo pipefail
: "${TOP:?}" "${SRC:?}" "${OBJ:?}" "${LOGS:?}" "${STDIR:?}" "${STOUT:?}"

test=kexec_harness_test

echo "Base:   $(sed -n 2p "$TOP/build/base-version.txt") + $(grep -cEv '^[[:space:]]*(#|$)' "$TOP/patches/series") patch(es) + our tree"
echo "Kernel: build/obj/arch/x86/boot/bzImage ($(du -h "$OBJ/arch/x86/boot/bzImage" | cut -f1))"
echo "VM:     QEMU ${KVM:+KVM}${KVM:-TCG}, 2 CPUs, 2 GiB; console log: build/logs/demo/$test.log"
echo
mkdir -p "$LOGS/demo"
rc=0
"$SRC/$STDIR/vmtest.sh" -k "$OBJ/arch/x86/boot/bzImage" -d "$STOUT" \
	-l "$LOGS/demo" ${KVM:+-K} "$test" > "$LOGS/demo/summary.txt" || rc=$?
log=$LOGS/demo/$test.log

# Narrate from the timestamped console log.
awk '
{
	t = $0; sub(/^\[ */, "", t); sub(/\].*/, "", t); t = sprintf("%6.2fs", t)
	line = $0; sub(/^\[[^]]*\] /, "", line); n = split(line, f, " ")
}
line ~ /^Linux version/           { print t, "kernel boots:", f[1], f[3] }
line ~ /^vmtest: init stage=/     { print t, "init runs", f[3], "of", substr(f[4], 6) }
line ~ /^(not )?ok [0-9]/          { print "        ", line }
line ~ /^vmtest: kexec stage=/    { print t, "kexec_file_load() done, reboot(LINUX_REBOOT_CMD_KEXEC)" }
line ~ /^kexec_core: Starting new/ { print t, "the old kernel jumps into the new one" }
line ~ /^vmtest: RESULT/          { print t, "result:", f[4], "(" f[5] ")" }
' "$log"
echo
sed 's/^/Runner: /' "$LOGS/demo/summary.txt"
exit $rc
