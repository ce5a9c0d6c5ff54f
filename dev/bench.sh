#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: run luo_bench (tools/testing/selftests/liveupdate/luo_bench.c)
# as a chain of kexecs in one QEMU VM and print its figures, plus the
# kexec-to-init time of every boot, taken from the host-side timestamps of
# the console ("bench: kexec <scenario>" to the next "vmtest: init"), with
# ratios to the boot that preserved nothing and to writing 1 GiB. With
# hugetlb scenarios (make bench-hugetlb), their preserve, retrieve and
# kexec-to-init times against writing into a fresh hugetlb memfd, and a
# line per ratio with its target (1/50) and whether it is met; those
# preserves and retrieves follow a warm-up of one 2 MiB page (luo_bench.c).
# A kexec-to-init difference within the spread of the boots that preserved
# nothing is reported as not measurable; the kernel's own reservation time
# of the preserved memory (KHO's log line) is compared instead.
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
boot, kern, pending, fig, skipped, kho, khosp, khol = {}, {}, None, {}, {}, {}, {}, {}
for l in lines:
    m = re.search(r'bench: kexec (\S+)', l)
    if m:
        pending, linux, khous, khospus, lateus = (m.group(1), ts(l)), None, None, None, None
        continue
    if pending and 'Linux version' in l:
        linux = ts(l)
    m = re.search(r'preserved memory blocks reserved.*, ([0-9]+) us(?: \(([0-9]+) us of it struct pages\))?', l)
    if pending and m:
        khous = int(m.group(1))
        khospus = int(m.group(2)) if m.group(2) else None
    m = re.search(r'struct pages of [0-9]+ preserved pages initialised in ([0-9]+) us', l)
    if pending and m:
        lateus = int(m.group(1))
    if pending and 'vmtest: init stage=' in l:
        name = pending[0]
        while name in boot:
            name += "'"
        boot[name] = ts(l) - pending[1]
        if linux is not None:
            kern[name] = ts(l) - linux
        if khous is not None:
            kho[name] = khous / 1000
        if khospus is not None:
            khosp[name] = khospus / 1000
        if lateus is not None:
            khol[name] = lateus / 1000
        pending = None
    m = re.search(r'bench: (write|preserve|retrieve|finish\+free) (\S+) ([0-9.]+) ms', l)
    if m:
        name = m.group(2)
        while (m.group(1), name) in fig:
            name += "'"
        fig[(m.group(1), name)] = float(m.group(3))
    m = re.search(r'bench: (?:skipped (\S+)|write (\S+) skipped): (.*)', l)
    if m:
        name = m.group(1) or 'write ' + m.group(2)
        while name in skipped:
            name += "'"
        skipped[name] = m.group(3)
    if 'bench: error' in l:
        print(l); sys.exit(1)
print()
stalls = [l for l in lines if re.search(r'soft lockup|self-detected stall|detected stalls on CPU', l)]
nboots = sum('Linux version' in l for l in lines)
print(f"  soft-lockup or RCU-stall reports in the {nboots} boots: {len(stalls) or 'none'}")
for l in stalls[:5]:
    print("    " + l)
for l in lines:
    if re.search(r'KHO: scratch:|preserved memory blocks reserved|preserved pages initialised in|deferred pages initialised in|froze', l):
        print("  " + l)
cs = [l.split('clocksource ')[-1] for l in lines if 'Switched to clocksource' in l]
if any('jiffies' in c for c in cs):
    print(f"  (guest clocksources: {', '.join(sorted(set(cs)))}; jiffies go in 1 ms steps:"
          " figures of a few ms are +-1 ms)")
base = boot.get('none')
write = fig.get(('write', '1g'))
print()
print("  kexec to init of the next kernel (host console timestamps; in brackets")
print("  from its first line, 'Linux version', to init)")
for sc, t in boot.items():
    r = f"{t / base:5.2f}x" if base else "-"
    k = f"({kern[sc] * 1000:5.0f} ms)" if sc in kern else ""
    why = f"   (skipped: {skipped[sc]})" if sc in skipped else ""
    print(f"    {sc:14s} {t * 1000:8.0f} ms {k:>10s}   {r} of 'none'{why}")
# Issue 13: 8 GiB preserved should cost at most 5% of the boot over one
# that preserved nothing; against the mean of the 'none' boots, end to end
# and from the kernel's first line, and what KHO's own work in the kernel
# (its log line) is of that kernel time.
nones = [sc for sc in boot if sc.rstrip("'") == 'none']
big = [sc for sc in boot if sc.rstrip("'") in ('8g-4k', '8g-2m') and sc not in skipped]
if nones and big:
    print()
    print("  target (issue 13): 8 GiB preserved costs <= 5% over nothing preserved")
    for sc in big:
        for what, d in (('kexec-to-init', boot), ("'Linux version'-to-init", kern)):
            b = [d[n] for n in nones if n in d]
            if sc not in d or not b:
                continue
            m = sum(b) / len(b)
            spread = max(b) - min(b)
            extra = d[sc] - m
            verdict = ("met" if extra <= 0.05 * m else "NOT met" if extra > spread else
                       f"not measurable here: the 'none' boots spread over {spread * 1000:.0f} ms")
            print(f"    {sc:8s} {what}: {extra * 1000:+.0f} ms over 'none' ({m * 1000:.0f} ms,"
                  f" mean of {len(b)}): {extra / m * 100:+.1f}%, {verdict}")
        # KHO's serial work in early boot, plus the struct pages it sets up
        # on all CPUs once deferred init has run (the wall time of that step).
        b = [kern[n] for n in nones if n in kern]
        if sc in kho and b:
            m = sum(b) / len(b)
            sp = f" ({khosp[sc]:.1f} ms of it struct pages)" if sc in khosp else ""
            late = khol.get(sc, 0.0)
            lt = f" + {late:.1f} ms of struct pages after deferred init" if sc in khol else ""
            r = (kho[sc] + late) / 1000 / m
            print(f"    {sc:8s} KHO in the kernel: walk and reservation {kho[sc]:.1f} ms{sp}{lt},"
                  f" {r * 100:.1f}% of the 'none' kernel boot: {'met' if r <= 0.05 else 'NOT met'}")

huge = [sc for sc in ('hugetlb-2m', 'hugetlb-1g', 'hugetlb-2g-2m', 'hugetlb-2g-1g')
        if ('preserve', sc) in fig or sc in skipped]
print()
if write or not huge:
    print(f"  write 1 GiB into a fresh memfd: {write:.1f} ms" if write else "  no write figure")
sizes = {'1g-4k': 1, '4g-4k': 4, '4g-2m': 4, '1g-2m': 1, '16g-sparse': 16,
         '8g-4k': 8, '8g-2m': 8, 'frag-100k': 200000 / 262144,
         'frag-1m': 2000000 / 262144}
if any(('preserve', sc) in fig for sc in sizes):
    print()
    print("  scenario      preserve ms   retrieve ms   finish ms   preserve/GiB  vs write(1GiB): preserve  retrieve")
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

# hugetlb: preserve and retrieve vs writing the same size into a fresh
# hugetlb memfd of the same page size; kexec-to-init with 2 GiB preserved
# over the boots that preserved nothing (means), vs writing 2 GiB. The
# chain may repeat a scenario: its later runs are named <scenario>'.
if huge:
    target = 1 / 50
    ok = lambda r: "met" if r <= target else "NOT met"
    nan = float('nan')
    num = lambda v, w, d: f"{v:{w}.{d}f}" if v is not None else f"{'-':>{w}s}"
    huge = [sc for sc in boot if sc.rstrip("'") in huge]
    print("  hugetlb: writing 1 GiB (every byte, through mmap) into a fresh hugetlb memfd,")
    print("  the faster of two passes")
    for ps in ('2m', '1g'):
        w = fig.get(('write', 'hugetlb-' + ps))
        why = skipped.get('write hugetlb-' + ps)
        passes = [re.search(r'in ([0-9.]+) ms', l).group(1) for l in lines
                  if f'bench: hugetlb-{ps}: pass' in l]
        if w or why:
            print(f"    {ps} pages: " + (f"{w:.1f} ms (passes: {', '.join(passes)} ms)"
                                         if w else f"skipped: {why}"))
    print()
    print("  scenario         preserve ms   retrieve ms   finish ms   preserve/write  retrieve/write")
    ratios = []
    for sc in huge:
        ps = sc.rstrip("'")[-2:]
        w = fig.get(('write', 'hugetlb-' + ps))
        ref = w * (2 if '-2g-' in sc else 1) if w else None
        if sc in skipped:
            print(f"    {sc:15s} skipped: {skipped[sc]}")
            ratios.append((sc, None, None, "skipped: " + skipped[sc]))
            continue
        p, r, f = (fig.get((k, sc)) for k in ('preserve', 'retrieve', 'finish+free'))
        rp = p / ref if ref and p is not None else None
        rr = r / ref if ref and r is not None else None
        print(f"    {sc:15s} {num(p, 10, 1)} {num(r, 13, 1)} {num(f, 11, 1)}"
              f"   {num(rp, 14, 4)}  {num(rr, 14, 4)}")
        ratios.append((sc, rp, rr, None if ref else "no write figure"))
    cold = {}
    for l in lines:
        m = re.search(r'bench: cold (preserve|retrieve) .* ([0-9.]+) ms', l)
        if m:
            cold.setdefault(m.group(1), []).append(float(m.group(2)))
    if cold:
        print("  each after a warm-up in the same kernel (a memfd of one 2 MiB page, preserved")
        print("  and retrieved just before: under TCG a kernel path costs ms the first time")
        print("  it runs); the warm-ups themselves took " + ", ".join(
            f"{k} {min(v):.1f}-{max(v):.1f} ms" for k, v in sorted(cold.items())))
    print()
    print(f"  targets (issue 16): <= 1/50 = {target:.3f} of writing as much into a fresh hugetlb memfd")
    for sc, rp, rr, why in ratios:
        if why:
            print(f"    {sc:15s} preserve/write, retrieve/write: {why}")
            continue
        for what, r in (('preserve/write', rp), ('retrieve/write', rr)):
            print(f"    {sc:15s} {what}: " +
                  (f"{r:.4f} {ok(r)}" if r is not None else "no figure"))
    mean = lambda d, names: sum(d[n] for n in names) / len(names) if names else None
    nones = [sc for sc in boot if sc.rstrip("'") == 'none']
    for base in ('hugetlb-2g-2m', 'hugetlb-2g-1g'):
        runs = [sc for sc in boot if sc.rstrip("'") == base]
        if not runs:
            continue
        done = [sc for sc in runs if sc not in skipped]
        if not done:
            print(f"    {base:15s} kexec-to-init: skipped: {skipped[runs[0]]}")
            continue
        w = fig.get(('write', 'hugetlb-' + base[-2:]))
        if not nones or not w:
            print(f"    {base:15s} kexec-to-init: no 'none' boot or no write figure")
            continue
        # A difference smaller than the spread of the boots that preserved
        # nothing says nothing: TCG boots of one kernel vary by seconds.
        for what, d in (('kexec-to-init', boot), ("'Linux version'-to-init", kern)):
            a = [sc for sc in done if sc in d]
            b = [sc for sc in nones if sc in d]
            if not a or not b:
                continue
            extra = mean(d, a) - mean(d, b)
            spread = max(d[n] for n in b) - min(d[n] for n in b)
            r = extra * 1000 / (2 * w)
            verdict = (ok(r) if abs(extra) > spread else
                       f"not measurable here: the 'none' boots spread over {spread * 1000:.0f} ms")
            print(f"    {base:15s} {what}: {mean(d, a) * 1000:.0f} ms (mean of {len(a)}),"
                  f" {extra * 1000:+.0f} ms over 'none' ({mean(d, b) * 1000:.0f} ms, mean of {len(b)}):"
                  f" {r:+.4f} of writing 2 GiB, {verdict}")
        # The kernel's own work on the preserved memory before init: KHO's
        # walk and reservation, including the struct pages it initialises
        # itself where deferred init has not reached (which deferred init
        # then skips): an upper bound of what preserving costs the boot.
        # The faster run counts, as the faster pass of the write does (the
        # first KHO boot of a VM pays for translating that code).
        a = [kho[sc] for sc in done if sc in kho]
        b = [kho[sc] for sc in nones if sc in kho]
        if a:
            r = min(a) / (2 * w)
            print(f"    {base:15s} KHO reservation in the kernel's log: {', '.join(f'{x:.1f}' for x in a)} ms"
                  f" (nothing preserved: {', '.join(f'{x:.1f}' for x in b) or '-'} ms):"
                  f" the faster {r:.4f} of writing 2 GiB {ok(r)}")
PY
