#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""cache-report.py - tables from a bench-cache.sh run (on the host).

Usage: bench/cache-report.py DIR [--rst FILE]
  DIR   the guest's output directory (build/bench/cache/cache)
  --rst also write the reStructuredText tables for
        Documentation/performance.rst to FILE

Prints, per workload and stack: IOPS (median over the measured rounds,
[min-max]), p99 completion latency, the stack's own hit ratio from its
counters over all measured rounds, and the "fast-served" ratio: the
fraction of the job's reads that completed in less than FAST_MS (default
0.8 x the origin delay), which no read served by the dm-delay origin can
do (dm-delay holds a bio for at least its delay, less a jiffy of rounding).  Then the issue's targets, met or not, with per-round ratios.
"""
import json
import os
import re
import statistics
import sys

WORKLOADS = ["zipf", "scan", "hits", "mix", "randwrite"]
TITLES = {
    "zipf": "zipf:1.2 random reads, QD16",
    "scan": "zipf reads (QD8) during a 64 KiB sequential scan (QD4)",
    "hits": "read hits: uniform random reads over data every cache holds",
    "mix": "70/30 zipf:1.2 read/write mix, QD16",
    "randwrite": "uniform random writes over half the cache size, QD16",
}


def die(msg):
    sys.stderr.write("cache-report: %s\n" % msg)
    sys.exit(1)


def load_json(path):
    """fio may print warnings before its JSON document: skip to the '{'."""
    with open(path) as f:
        text = f.read()
    i = text.find("{")
    if i < 0:
        raise ValueError("%s: no JSON document" % path)
    return json.loads(text[i:])


def env_params(d):
    p = {}
    with open(os.path.join(d, "env.txt")) as f:
        for line in f:
            for m in re.finditer(r"(\w+)=(\S+)", line):
                p.setdefault(m.group(1), m.group(2))
    return p


# ------------------------------------------------------------ counters
def parse_status(line):
    """The stack's own counters as a dict (restack, dm-cache, writecache,
    bcache); {} for devices without any."""
    t = line.split()
    if len(t) >= 3 and t[2] == "restack":
        return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)\b", line)}
    if len(t) >= 3 and t[2] == "cache":
        a = t[3:]
        used, total = a[3].split("/")
        return {
            "kind": "dm-cache", "cache_blocks": int(total),
            "cached": int(used), "read_hits": int(a[4]),
            "read_misses": int(a[5]), "write_hits": int(a[6]),
            "write_misses": int(a[7]), "demotions": int(a[8]),
            "promotions": int(a[9]), "dirty": int(a[10]),
        }
    if len(t) >= 3 and t[2] == "writecache":
        a = [int(x) for x in t[3:]]
        names = ["error", "blocks", "free", "writeback", "reads", "read_hits",
                 "writes", "write_hits_uncommitted", "write_hits_committed",
                 "writes_around", "writes_allocate",
                 "writes_blocked_on_freelist", "flushes", "discards"]
        return dict(zip(names, a))
    if t and t[0] == "bcache":
        return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)\b", line)}
    return {}


def read_status(path):
    try:
        with open(path) as f:
            return parse_status(f.read().strip())
    except FileNotFoundError:
        return None


def delta(a, b):
    if a is None or b is None:
        return None
    return {k: b[k] - a[k] for k in b if k in a and isinstance(b[k], int)}


def read_hit_ratio(stack, d):
    """Read hit ratio from a counter delta, by each stack's own counters."""
    if not d:
        return None
    if stack.startswith("bc-"):
        h = d.get("cache_hits", 0) + d.get("cache_bypass_hits", 0)
        n = h + d.get("cache_misses", 0) + d.get("cache_bypass_misses", 0)
    elif stack == "wc":
        h, n = d.get("read_hits", 0), d.get("reads", 0)
    else:
        h = d.get("read_hits", 0)
        n = h + d.get("read_misses", 0)
    return (h / n, n) if n else None


def write_hit_ratio(stack, d):
    if not d or stack.startswith("bc-"):
        return None  # bcache counts reads only
    if stack == "wc":
        h = d.get("write_hits_uncommitted", 0) + d.get("write_hits_committed", 0)
        n = d.get("writes", 0)
    else:
        h = d.get("write_hits", 0)
        n = h + d.get("write_misses", 0)
    return (h / n, n) if n else None


# ------------------------------------------------------------ fio
def pct(job, ddir, p="99.000000"):
    c = job[ddir].get("clat_ns", {})
    v = c.get("percentile", {}).get(p)
    return v / 1e6 if v else None


def fast_served(job, ddir, limit_ms):
    """Fraction of the job's I/Os in this direction with clat < limit."""
    bins = job[ddir].get("clat_ns", {}).get("bins", {})
    if not bins:
        return None
    lim = limit_ms * 1e6
    n = sum(bins.values())
    fast = sum(c for v, c in bins.items() if float(v) < lim)
    return fast / n if n else None


def visit_metrics(doc, wl, limit_ms):
    jobs = {j["jobname"]: j for j in doc["jobs"]}
    j = jobs.get("zipf") or jobs.get(wl) or doc["jobs"][0]
    m = {
        "read_iops": j["read"]["iops"], "write_iops": j["write"]["iops"],
        "iops": j["read"]["iops"] + j["write"]["iops"],
        "p99r": pct(j, "read"), "p99w": pct(j, "write"),
        "fastr": fast_served(j, "read", limit_ms),
        "ios": j["read"]["total_ios"] + j["write"]["total_ios"],
        "runtime_s": j["job_runtime"] / 1000.0,
    }
    if "scan" in jobs:
        s = jobs["scan"]["read"]
        m["scan_mbs"] = s["bw_bytes"] / 1e6
    return m


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def spread(xs):
    xs = [x for x in xs if x is not None]
    return (min(xs), max(xs)) if xs else (None, None)


def fmt_iops(xs):
    m = med(xs)
    if m is None:
        return "-"
    lo, hi = spread(xs)
    return "%s [%s-%s]" % (f"{m:,.0f}", f"{lo:,.0f}", f"{hi:,.0f}")


def fmt_ms(xs):
    m = med(xs)
    return "-" if m is None else "%.2f" % m


def fmt_ratio(x):
    return "-" if x is None else "%.1f%%" % (100 * x)


def fmt_frac_range(xs):
    m = med(xs)
    if m is None:
        return "-"
    lo, hi = spread(xs)
    return "%.1f%% [%.1f-%.1f]" % (100 * m, 100 * lo, 100 * hi)


# ------------------------------------------------------------ workloads
def fio_workload(d, wl, limit_ms):
    """{stack: {"rounds": {r: metrics}, "counters": delta, "hit": ...}}"""
    wd = os.path.join(d, wl)
    if not os.path.isdir(wd):
        return None
    res = {}
    for fn in sorted(os.listdir(wd)):
        m = re.fullmatch(r"r(\d+)-(.+)\.json", fn)
        if not m or m.group(1) == "0":
            continue
        r, st = int(m.group(1)), m.group(2)
        try:
            doc = load_json(os.path.join(wd, fn))
        except (ValueError, json.JSONDecodeError) as e:
            sys.stderr.write("cache-report: %s/%s: %s\n" % (wl, fn, e))
            continue
        res.setdefault(st, {"rounds": {}})["rounds"][r] = visit_metrics(doc, wl, limit_ms)
    for st, v in res.items():
        rounds = sorted(v["rounds"])
        if st.startswith("bc-"):
            a = read_status(os.path.join(wd, "bcache-start-%s.txt" % st))
            b = read_status(os.path.join(wd, "bcache-end-%s.txt" % st))
        else:
            a = read_status(os.path.join(wd, "start-%s.status" % st))
            b = read_status(os.path.join(wd, "r%d-%s.status" % (rounds[-1], st)))
        v["counters"] = delta(a, b)
        v["end"] = b
        v["rhit"] = read_hit_ratio(st, v["counters"])
        v["whit"] = write_hit_ratio(st, v["counters"])
        # per-round read hit ratios from the counters (not for bcache,
        # whose stats_total lags by up to 13.6 s)
        prev = a
        per = []
        for r in rounds:
            cur = read_status(os.path.join(wd, "r%d-%s.status" % (r, st)))
            if not st.startswith("bc-"):
                h = read_hit_ratio(st, delta(prev, cur))
                per.append(h[0] if h else None)
            prev = cur
        v["rhit_rounds"] = per
    return res


def pair_ratios(res, a, b, key="iops"):
    """Per-round ratio a/b of a metric, over the rounds both ran."""
    if a not in res or b not in res:
        return []
    ra, rb = res[a]["rounds"], res[b]["rounds"]
    out = []
    for r in sorted(set(ra) & set(rb)):
        x, y = ra[r].get(key), rb[r].get(key)
        if x is not None and y:
            out.append(x / y)
    return out


def fmt_pair(xs):
    if not xs:
        return "-"
    lo, hi = spread(xs)
    return "%.3f [%.3f-%.3f]" % (med(xs), lo, hi)


def counters_note(st, c):
    if not c:
        return ""
    if st.startswith("rs"):
        keys = ["promotions", "demotions", "writebacks", "bypassed", "commits",
                "no_free_block", "promoting_hits", "promote_throttled"]
    elif st.startswith("dmc"):
        keys = ["promotions", "demotions"]
    elif st == "wc":
        keys = ["writes_around", "writes_allocate", "writes_blocked_on_freelist"]
    else:
        keys = ["cache_bypass_hits", "cache_bypass_misses", "cache_miss_collisions"]
    return " ".join("%s=%d" % (k, c[k]) for k in keys if k in c)


def hits_workload(d):
    p = os.path.join(d, "hits.json")
    if not os.path.exists(p):
        return None
    doc = load_json(p)
    res = {"doc": doc, "stacks": {}}
    wd = os.path.join(d, "hits")
    for dev in doc.get("devices", []):
        st = dev.get("label")
        if st.startswith("bc-"):
            a = read_status(os.path.join(wd, "bcache-start-%s.txt" % st))
            b = read_status(os.path.join(wd, "bcache-end-%s.txt" % st))
        else:
            a = read_status(os.path.join(wd, "start-%s.status" % st))
            b = read_status(os.path.join(wd, "end-%s.status" % st))
        res["stacks"][st] = {"dev": dev, "rhit": read_hit_ratio(st, delta(a, b))}
    return res


# ------------------------------------------------------------ output
def table(rows, header):
    """A reStructuredText simple table."""
    w = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    sep = "  ".join("=" * x for x in w)
    out = [sep, "  ".join(str(h).ljust(x) for h, x in zip(header, w)), sep]
    for r in rows:
        out.append("  ".join(str(c).ljust(x) for c, x in zip(r, w)).rstrip())
    out.append(sep)
    return "\n".join(out)


def main():
    args = sys.argv[1:]
    rst_out = None
    if "--rst" in args:
        i = args.index("--rst")
        if i + 1 >= len(args):
            die("--rst needs a file name")
        rst_out = args[i + 1]
        del args[i:i + 2]
    if len(args) != 1:
        die("usage: cache-report.py DIR [--rst FILE]")
    d = args[0]
    if not os.path.exists(os.path.join(d, "env.txt")):
        die("%s: no env.txt (not a bench-cache.sh output directory)" % d)
    env = env_params(d)
    delay = float(env.get("delay_ms", 5))
    limit_ms = float(os.environ.get("FAST_MS", 0.8 * delay))
    out = []
    results = {}
    for wl in WORKLOADS:
        if wl == "hits":
            h = hits_workload(d)
            if h is None:
                continue
            results[wl] = h
            rows = []
            for st, v in h["stacks"].items():
                dev = v["dev"]
                ratio = dev.get("ratio", {})
                ci = ratio.get("ci95", [None, None])
                rows.append([
                    st, f"{dev.get('iops_median', 0):,.0f}",
                    "baseline" if not ratio else "%.3f [%.3f, %.3f] (%.3f-%.3f)" % (
                        ratio["median"], ci[0], ci[1], ratio["p25"], ratio["p75"]),
                    fmt_ratio(v["rhit"][0]) if v["rhit"] else "-",
                ])
            out.append("%s\n(altio, median per-round ratio to the fast slice [95%% CI] (p25-p75))\n%s\n" % (
                TITLES[wl], table(rows, ["stack", "IOPS", "ratio to fast", "hit ratio"])))
            continue
        res = fio_workload(d, wl, limit_ms)
        if not res:
            continue
        results[wl] = res
        rows = []
        order = [s for s in ["origin", "fast", "rs-wt", "rs-wb", "rs-wa", "rs32-wt", "rs-wt-sc",
                             "dmc-wt", "dmc-wb", "bc-wt", "bc-wb", "wc"] if s in res]
        for st in order:
            v = res[st]
            R = [v["rounds"][r] for r in sorted(v["rounds"])]
            row = [st, len(R), fmt_iops([m["iops"] for m in R])]
            if wl in ("zipf", "scan", "mix"):
                row.append(fmt_ms([m["p99r"] for m in R]))
            if wl in ("mix", "randwrite"):
                row.append(fmt_ms([m["p99w"] for m in R]))
            if wl != "randwrite":
                row.append(fmt_ratio(v["rhit"][0]) if v["rhit"] else "-")
                row.append(fmt_frac_range([m["fastr"] for m in R]))
            if wl in ("mix", "randwrite"):
                row.append(fmt_ratio(v["whit"][0]) if v["whit"] else "-")
            if wl == "scan":
                row.append("%.0f" % med([m.get("scan_mbs") for m in R]))
            rows.append(row)
        hdr = ["stack", "rounds", "IOPS median [min-max]"]
        if wl in ("zipf", "scan", "mix"):
            hdr.append("p99 read ms")
        if wl in ("mix", "randwrite"):
            hdr.append("p99 write ms")
        if wl != "randwrite":
            hdr += ["read hit (counters)", "fast-served reads [min-max]"]
        if wl in ("mix", "randwrite"):
            hdr.append("write hit (counters)")
        if wl == "scan":
            hdr.append("scan MB/s")
        notes = "\n".join("  %s: %s" % (st, counters_note(st, res[st]["counters"]))
                          for st in order if counters_note(st, res[st]["counters"]))
        out.append("%s\n%s\ncounters over the measured rounds:\n%s\n" % (
            TITLES[wl], table(rows, hdr), notes))

    # ------------------------------------------------ targets
    tg = []

    def verdict(ok):
        return "met" if ok else "MISSED"

    z = results.get("zipf")
    if z and "rs-wt" in z and "dmc-wt" in z:
        pr = pair_ratios(z, "rs-wt", "dmc-wt")
        h_rs = z["rs-wt"]["rhit"][0] if z["rs-wt"]["rhit"] else None
        h_dm = z["dmc-wt"]["rhit"][0] if z["dmc-wt"]["rhit"] else None
        ok = bool(pr) and med(pr) >= 1.0 and h_rs is not None and h_dm is not None and h_rs >= h_dm
        tg.append(["zipf reads: rs-wt IOPS and hit ratio >= dm-cache wt",
                   "IOPS ratio %s; hit %s vs %s" % (fmt_pair(pr), fmt_ratio(h_rs), fmt_ratio(h_dm)),
                   verdict(ok)])
    s = results.get("scan")
    for mine in ("rs-wt", "rs-wt-sc"):
        if not s or mine not in s:
            continue
        rs = med([m["fastr"] for m in s[mine]["rounds"].values()])
        others = {k: med([m["fastr"] for m in s[k]["rounds"].values()])
                  for k in ("dmc-wt", "dmc-wb", "bc-wt", "bc-wb") if k in s}
        ok = rs is not None and all(v is not None and rs > v for v in others.values())
        tg.append(["scan mix: %s zipf-job fast-served > dm-cache and bcache" % mine,
                   "%s %s vs %s" % (mine, fmt_ratio(rs), ", ".join(
                       "%s %s" % (k, fmt_ratio(v)) for k, v in others.items())),
                   verdict(ok)])
    w = results.get("randwrite")
    if w and "rs-wb" in w and "wc" in w:
        pr = pair_ratios(w, "rs-wb", "wc")
        ok = bool(pr) and med(pr) >= 0.9
        tg.append(["random writes: rs-wb >= 0.9x dm-writecache IOPS",
                   "per-round ratio %s" % fmt_pair(pr), verdict(ok)])
    h = results.get("hits")
    if h and "rs-wt" in h["stacks"]:
        r = h["stacks"]["rs-wt"]["dev"].get("ratio", {})
        ram = h["stacks"].get("ram0", {}).get("dev", {}).get("ratio", {})
        if r:
            ok = r["median"] >= 0.9
            txt = "%.3f of the fast slice [CI %.3f, %.3f]" % (r["median"], r["ci95"][0], r["ci95"][1])
            if ram:
                txt += "; %.3f of raw /dev/ram0" % (r["median"] / ram["median"])
            tg.append(["read hits: rs-wt >= 0.9x the fast device", txt, verdict(ok)])
    out.append("targets\n%s\n" % table(tg, ["target", "measured", "verdict"]))
    out.append("fast-served = reads completing in < %.1f ms (origin delay %.0f ms)" % (limit_ms, delay))
    text = "\n".join(out)
    print(text)
    if rst_out:
        with open(rst_out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
