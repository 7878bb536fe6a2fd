#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# validate-model.sh - the analyzer's performance model against measured
# latencies and IOPS (Documentation/analyzer.rst, "Predicted against
# measured").  Boots a guest that runs bench/validate-model-guest.sh (a
# slow dm-delay origin, a brd fast device, three fio workloads on the
# detached volume, on the fast device alone and through the cache policy
# in wt, wb and wa at two sizes, every run traced), then for each
# workload:
#   - runs `restack recommend --all --json --warmup <s>` on the detached
#     run's trace, with the fast-alone run's trace as fast_profile and the
#     cache sizes and modes of the guest's stacks (full-rate simulation);
#   - measures each stack over the same window (the second half of the
#     requests) from its own trace: hit ratio, read and write p50/p99, IOPS;
#   - prints predicted against measured, medians over the rounds.
#
# Usage: scripts/validate-model.sh [--no-run] [VAR=value ...]
#    or: make validate-model [VALIDATE_MODEL_ARGS="[--no-run] VAR=value ..."]
#   VAR: DELAY_MS QD NIOS ROUNDS WORKLOADS SIZES_MB MODES (see the guest script)
#   --no-run: compare the results of the last run again
#   VALIDATE_MODEL_OUT: results directory (default build/validate-model)
set -euo pipefail
# Measurements use both host cores (multi-threaded TCG), as they were
# recorded; the guest tests run single-threaded (scripts/guest-run.sh).
export RESTACK_TCG_THREAD=${RESTACK_TCG_THREAD:-multi}
cd "$(dirname "$0")/.."
out=${VALIDATE_MODEL_OUT:-build/validate-model}
run=1
env=()
for a in "$@"; do
	case $a in
	--no-run) run=0 ;;
	*=*) env+=("$a") ;;
	*) echo "usage: $0 [--no-run] [VAR=value ...]" >&2; exit 2 ;;
	esac
done
if [ "$run" = 1 ]; then
	rm -rf "$out"
	mkdir -p "$out"
	printf '%s\n' "${env[@]+"${env[@]}"}" >"$out/validate-model.env"
	scripts/guest-run.sh -o "$out" bench/validate-model-guest.sh
fi
exec python3 - "$out/validate-model" tools/restack <<'EOF'
import json, os, re, statistics, subprocess, sys

d, restack = sys.argv[1], sys.argv[2]
params = dict(kv.split('=', 1) for kv in open(f'{d}/params.txt').read().split()
              if '=' in kv and not kv.startswith('sizes_mb'))
nios, rounds = int(params['nios']), int(params['rounds'])
sizes_mb = open(f'{d}/params.txt').read().split('sizes_mb=')[1].split()
workloads = []
for f in sorted(os.listdir(d)):
    m = re.match(r'(.+)\.origin\.r1\.rtr$', f)
    if m:
        workloads.append(m.group(1))
order = ['zipf-read', 'mix-70-30', 'rand-write']
workloads.sort(key=lambda w: order.index(w) if w in order else 99)

def records(path):
    """Data records in file (submit) order: (ts, op, lat_ns, result)."""
    out = subprocess.run([restack, 'dump', path, '--csv'], check=True,
                         capture_output=True, text=True).stdout.splitlines()
    recs = []
    for line in out[1:]:
        f = line.split(',')
        if f[1] in ('R', 'W'):
            recs.append((int(f[0]), f[1], int(f[6]), f[7]))
    return recs

def pct(v, q):
    """Nearest-rank percentile (the model's histogram quantile is too)."""
    if not v:
        return float('nan')
    v = sorted(v)
    return v[min(len(v) - 1, max(0, int(q * len(v) + 0.999999) - 1))]

def measure(path):
    recs = records(path)
    win = recs[nios // 2:]
    rd = [r[2] for r in win if r[1] == 'R']
    wr = [r[2] for r in win if r[1] == 'W']
    t0 = win[0][0]
    t1 = max(r[0] + r[2] for r in win)
    hits = sum(1 for r in win if r[1] == 'R' and r[3] == 'hit')
    rmiss = sum(1 for r in win if r[1] == 'R' and r[3] == 'miss')
    return {
        'hit': hits / (hits + rmiss) if hits + rmiss else float('nan'),
        'r50': pct(rd, .5) / 1e3, 'r99': pct(rd, .99) / 1e3,
        'w50': pct(wr, .5) / 1e3, 'w99': pct(wr, .99) / 1e3,
        'iops': len(win) / ((t1 - t0) / 1e9),
    }

def slots_bytes(w, mb):
    st = open(f'{d}/{w}.wt-{mb}.r1.status').read()
    blocks = int(re.search(r' blocks=(\d+)', st).group(1))
    # the cache's slots: its blocks less the 1/32 reserve
    return (blocks - blocks // 32) * 4096

def fmt(x, nd=0):
    if x != x:
        return '-'
    return f'{x:.{nd}f}'

def err(p, m):
    if p != p or m != m or m == 0:
        return '-'
    return f'{100 * (p - m) / m:+.0f}%'

print(f'# {params}; sizes {sizes_mb} MiB; measured: median of {rounds} rounds '
      f'(min..max), over requests {nios // 2 + 1}..{nios}')
for w in workloads:
    origin = f'{d}/{w}.origin.r1.rtr'
    recs = records(origin)
    warm = (recs[nios // 2][0] - recs[0][0]) / 1e9
    sizes = {mb: slots_bytes(w, mb) for mb in sizes_mb}
    sla = f'{d}/{w}.sla.ini'
    with open(sla, 'w') as f:
        f.write(f'''[volume vol]
fast_device = /dev/mapper/fast
max_cache_bytes = {max(sizes.values())}
cache_sizes = {",".join(str(s) for s in sizes.values())}
modes = wt,wb,wa
replacements = s3fifo
block_sizes = 4K
promote_hits = 0
seq_cutoffs = 0
sample_rate = 1
fast_profile = {d}/{w}.fast.r1.rtr
read_p999_us = 10000000
''')
    js = subprocess.run([restack, 'recommend', origin, '--sla', sla, '--json',
                         '--all', '--warmup', f'{warm:.9f}'],
                        check=True, capture_output=True, text=True).stdout
    with open(f'{d}/{w}.predicted.json', 'w') as f:
        f.write(js)
    rec = json.loads(js)
    pred = {}
    for c in rec['all']:
        if not c['cache']:
            key = 'detached'
        else:
            mb = [k for k, v in sizes.items() if v == c['cache_bytes']][0]
            key = f"{c['mode']}-{mb}"
        pred[key] = {'hit': c.get('read_hit_ratio', 0.0),
                     'r50': c['read_us']['p50'] or float('nan'),
                     'r99': c['read_us']['p99'] or float('nan'),
                     'w50': c['write_us']['p50'] or float('nan'),
                     'w99': c['write_us']['p99'] or float('nan'),
                     'iops': c['iops']}
    wl = rec['workload']
    print(f"\n## {w}: model input {wl['read_iops']:.0f} read + {wl['write_iops']:.0f} "
          f"write IOPS, queue depth {wl['queue_depth']:.2f}, warm-up {warm:.2f} s")
    print(f"{'stack':<9} {'metric':<6} {'predicted':>9} {'measured':>9} "
          f"{'(min..max)':>16} {'error':>6}")
    stacks = ['detached'] + [f'{m}-{mb}' for mb in sizes_mb
                             for m in ('wt', 'wb', 'wa')]
    rst = []
    for s in stacks:
        name = 'origin' if s == 'detached' else s
        ms = []
        for r in range(1, rounds + 1):
            p = f'{d}/{w}.{name}.r{r}.rtr'
            o = f'{d}/{w}.origin.r{r}.rtr'
            if os.path.exists(p) and os.path.exists(o):
                m = measure(p)
                # IOPS over the detached volume's in the same round: the
                # guest's speed (a shared host) drifts between rounds
                m['gain'] = m['iops'] / measure(o)['iops']
                ms.append(m)
        if not ms or s not in pred:
            continue
        cells = []
        pred[s]['gain'] = pred[s]['iops'] / pred['detached']['iops']
        for k, nd in (('hit', 3), ('r50', 0), ('r99', 0), ('w50', 0), ('w99', 0),
                      ('iops', 0), ('gain', 2)):
            vals = [m[k] for m in ms if m[k] == m[k]]
            if not vals or (k in ('hit', 'gain') and s == 'detached'):
                cells.append('')
                continue
            med = statistics.median(vals)
            cells.append(f'{fmt(pred[s][k], nd)} / {fmt(med, nd)}')
            spread = f'({fmt(min(vals), nd)}..{fmt(max(vals), nd)})'
            e = f'{pred[s][k] - med:+.3f}' if k == 'hit' else err(pred[s][k], med)
            print(f'{s:<9} {k:<6} {fmt(pred[s][k], nd):>9} {fmt(med, nd):>9} '
                  f'{spread:>16} {e:>6}')
        rst.append([s] + cells)
    # the same as a reStructuredText table (predicted / measured)
    head = ['stack', 'read hit', 'read p50 us', 'read p99 us', 'write p50 us',
            'write p99 us', 'IOPS', 'x detached']
    keep = [i for i in range(len(head)) if i == 0 or any(r[i] for r in rst)]
    rows = [[head[i] for i in keep]] + [[r[i] for i in keep] for r in rst]
    wid = [max(len(r[i]) for r in rows) for i in range(len(keep))]
    line = '  '.join('=' * w for w in wid)
    print(f'\n{w} (predicted / measured, measured = median of {rounds} rounds)\n')
    print(line)
    print('  '.join(c.ljust(wid[i]) for i, c in enumerate(rows[0])).rstrip())
    print(line)
    for r in rows[1:]:
        print('  '.join(c.ljust(wid[i]) for i, c in enumerate(r)).rstrip())
    print(line)
EOF
