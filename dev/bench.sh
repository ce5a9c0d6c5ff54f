#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: run luo_bench (tools/testing/selftests/liveupdate/luo_bench.c)
# as a chain of kexecs in one QEMU VM and print its figures, plus the
# kexec-to-init time of every boot, taken from the host-side timestamps of
# the console ("bench: kexec <scenario>" to the next "vmtest: init"), with
# ratios to the boot that preserved nothing and to writing 1 GiB.
#
# BENCH_KERNEL (a bzImage; default the test kernel), BENCH_MEM (8G),
# BENCH_VM (more vmtest.sh options), BENCH_ARGS (kernel command line, e.g.
# bench.scenarios=none,8g-4k) and BENCH_LOGS (the log directory) select
# another run; make bench-distro uses them.
set -euo pipefail
: "${SRC:?}" "${OBJ:?}" "${STOUT:?}" "${LOGS:?}" "${STDIR:?}"

mem=${BENCH_MEM:-8G}
kernel=${BENCH_KERNEL:-$OBJ/arch/x86/boot/bzImage}
logs=${BENCH_LOGS:-$LOGS}
read -r -a vm <<< "${BENCH_VM:-}"
list=$(mktemp)
trap 'rm -f "$list"' EXIT
echo "luo_bench kho=on liveupdate=on ${BENCH_ARGS:-}" > "$list"
mkdir -p "$logs"

echo "  BENCH   luo_bench in one VM (${kernel#"${TOP:-}"/}, ${mem} ${BENCH_VM:-}, ${KVM:+KVM}${KVM:-TCG}; log: ${logs#"${TOP:-}"/}/luo_bench.log)"
"$SRC/$STDIR/vmtest.sh" -k "$kernel" -d "$STOUT" \
	-f "$list" -l "$logs" -m "$mem" -t 3600 ${KVM:+-K} "${vm[@]}" || {
	echo "bench: the VM run failed; see $logs/luo_bench.log" >&2
	exit 1
}

python3 - "$logs/luo_bench.log" <<'PY'
import re, sys
ts = lambda l: float(re.match(r'\[\s*([0-9.]+)\]', l).group(1))
lines = [l.rstrip('\n') for l in open(sys.argv[1], errors='replace')
         if re.match(r'\[\s*[0-9.]+\]', l)]
boot, pending, fig = {}, None, {}
for l in lines:
    m = re.search(r'bench: kexec (\S+)', l)
    if m:
        pending = (m.group(1), ts(l))
        continue
    if pending and 'vmtest: init stage=' in l:
        name = pending[0]
        while name in boot:
            name += "'"
        boot[name] = ts(l) - pending[1]
        pending = None
    m = re.search(r'bench: (write|preserve|retrieve|finish\+free) (\S+) ([0-9.]+) ms', l)
    if m:
        fig[(m.group(1), m.group(2))] = float(m.group(3))
    if 'bench: error' in l:
        print(l); sys.exit(1)
print()
for l in lines:
    if re.search(r'KHO: scratch:|preserved memory blocks reserved|deferred pages initialised in|froze', l):
        print("  " + l)
base = boot.get('none')
write = fig.get(('write', '1g'))
print()
print("  kexec to init of the next kernel (host console timestamps)")
for sc, t in boot.items():
    r = f"{t / base:5.2f}x" if base else "-"
    print(f"    {sc:12s} {t * 1000:8.0f} ms   {r} of 'none'")
print()
print(f"  write 1 GiB into a fresh memfd: {write:.1f} ms" if write else "  no write figure")
print()
print("  scenario      preserve ms   retrieve ms   finish ms   preserve/GiB  vs write(1GiB): preserve  retrieve")
sizes = {'1g-4k': 1, '4g-4k': 4, '4g-2m': 4, '1g-2m': 1, '16g-sparse': 16,
         '8g-4k': 8, '8g-2m': 8, 'frag-100k': 200000 / 262144,
         'frag-1m': 2000000 / 262144}
for sc, gib in sizes.items():
    p = fig.get(('preserve', sc)); r = fig.get(('retrieve', sc)); f = fig.get(('finish+free', sc))
    if p is None:
        continue
    per = p / gib
    rp = f"{p / write:7.3f}" if write else "-"
    rr = f"{r / write:7.3f}" if write and r is not None else "-"
    print(f"    {sc:12s} {p:10.1f} {r if r is not None else float('nan'):13.1f} {f if f is not None else float('nan'):11.1f} {per:13.1f}   {rp:>22s}  {rr:>8s}")

# Count scenarios: cost per item, and how it grows from 10k to 100k.
cur = None
for l in lines:
    m = re.search(r'bench: kexec (\S+)', l)
    if m:
        cur = m.group(1)
    m = re.search(r'froze (\d+) session\(s\) in (\d+) us', l)
    if m and cur:
        fig[('freeze', cur)] = int(m.group(2)) / 1000.0
    m = re.search(r'bench: (first open|create\+preserve) (\S+) ([0-9.]+) ms', l)
    if m:
        fig[(m.group(1), m.group(2))] = float(m.group(3))
items = {'sessions-10k': 10000, 'sessions-100k': 100000,
         'files-10k': 10000, 'files-100k': 100000}
phases = ['create+preserve', 'freeze', 'first open', 'retrieve', 'finish+free']
if any(('create+preserve', sc) in fig for sc in items):
    print()
    print("  per item, us       " + "".join(f"{p:>17s}" for p in phases))
    for sc, n in items.items():
        if ('create+preserve', sc) not in fig:
            continue
        row = [fig.get((p, sc)) for p in phases]
        print(f"    {sc:16s}" + "".join(f"{v * 1000 / n:17.2f}" if v is not None else f"{'-':>17s}" for v in row))
    for kind in ('sessions', 'files'):
        a, b = f"{kind}-10k", f"{kind}-100k"
        if ('create+preserve', a) in fig and ('create+preserve', b) in fig:
            r = [(fig.get((p, b)), fig.get((p, a))) for p in phases]
            print(f"    {kind + ' 100k/10k':16s}" + "".join(
                f"{(x / 100000) / (y / 10000):16.2f}x" if x and y else f"{'-':>17s}" for x, y in r))
PY
