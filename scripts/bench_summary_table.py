#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# bench_summary_table.py DIR - the Markdown table of scripts/bench-summary.sh from the
# Google Benchmark JSON files it left in DIR: per figure, this build ("new") and the
# earlier build ("base", when it was given), each the median over the passes of the
# in-process benchmarks. Prints "-" for a figure a build's benchmarks do not measure.
import json
import os
import statistics
import sys

d = sys.argv[1]


def load(name):
    path = os.path.join(d, name)
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return {b["name"]: b for b in json.load(f).get("benchmarks", [])}


def passes(tag, bench):
    names = sorted(f for f in os.listdir(d)
                   if f.startswith(tag) and f.endswith(f"-{bench}.json") and f[len(tag)].isdigit())
    return [r for r in (load(n) for n in names) if r]


def find(runs, prefix):
    return [b for r in runs for n, b in r.items() if n.startswith(prefix)]


def cpu_ns(tag, bench, prefix):
    got = [b["cpu_time"] for b in find(passes(tag, bench), prefix)]
    return statistics.median(got) if got else None


def cpu_diff_ns(tag, bench, a, b):
    """Median over the passes of a - b, both measured in the same process."""
    got = []
    for r in passes(tag, bench):
        x = [v["cpu_time"] for n, v in r.items() if n.startswith(a)]
        y = [v["cpu_time"] for n, v in r.items() if n.startswith(b)]
        if x and y:
            got.append(x[0] - y[0])
    return statistics.median(got) if got else None


def counter(tag, bench, prefix, key):
    got = [b[key] for b in find(passes(tag, bench), prefix) if key in b]
    return statistics.median(got) if got else None


def real_ms(tag, bench, prefix):
    got = [b["real_time"] for b in find(passes(tag, bench), prefix)]
    return statistics.median(got) if got else None


def diff(a, b):
    return None if a is None or b is None else a - b


def fmt(v, unit, signed=False):
    if v is None:
        return "-"
    text = f"{v:+.2f}" if signed else f"{v:.2f}"
    if unit == "KiB":
        text = f"{v:+.0f}" if signed else f"{v:.0f}"
    return f"{text} {unit}"


def call_rows(tag):
    core = "BM_core_steady_state"
    if cpu_ns(tag, "bench_redirect", core) is None:
        core = "BM_detour_stub"  # before the core chose direct mode itself
    return {
        "patched call, steady state, replacement within ±2 GiB (direct mode), over a direct call": fmt(
            cpu_diff_ns(tag, "bench_redirect", core, "BM_direct_call"), "ns", True),
        "patched call through the stub (2 jumps: a PIE executable's function, module out of reach)": fmt(
            cpu_diff_ns(tag, "bench_redirect", "BM_detour_stub", "BM_direct_call"), "ns", True),
        "the replacement called directly (baseline of the next two)": fmt(
            cpu_ns(tag, "bench_transition", "BM_DirectCallOfReplacement"), "ns"),
        "call in transition, thread that switched": fmt(
            cpu_ns(tag, "bench_transition", "BM_CallInTransitionSwitched"), "ns"),
        "call in transition, thread held by an old frame": fmt(
            cpu_ns(tag, "bench_transition", "BM_CallInTransitionUnswitched"), "ns"),
        "Boost.Context switch tracked, over jump_fcontext": fmt(
            counter(tag, "bench_fibers", "BM_FiberSwitch", "added_ns"), "ns", True),
    }


def enable_rows(tag):
    rows = {}
    for threads in (0, 64, 256, 1024):
        prefix = f"BM_EnableToComplete/1000/{threads}/"
        wall = real_ms(tag, "bench_transition", prefix)
        cpu = counter(tag, "bench_transition", prefix, "start_cpu_ms")
        text = fmt(wall, "ms")
        if cpu is not None:
            text += f" (enable call's CPU {cpu:.2f} ms)"
        rows[f"enable 1,000 functions, {threads} idle threads, to complete"] = text
    return rows


def startup_rows():
    idle, busy = load("startup-idle.json"), load("startup-busy.json")

    def c(runs, name, key):
        b = runs.get(name)
        return b.get(key) if b else None

    rows = {}
    for label, runs in (("no other load", idle), ("two busy loops", busy)):
        name = "BM_StartupVsBaseline/real_time"
        new = c(runs, name, "graft_extra_ms")
        base = c(runs, name, "baseline_extra_ms")
        if new is None:
            new = c(runs, "BM_StartupPair/real_time", "extra_ms")
        rows[f"start-up with the runtime preloaded, {label}"] = (
            fmt(new, "ms", True), fmt(base, "ms", True))
        floor = c(runs, "BM_StartupVsStubFloor/real_time", "baseline_extra_ms")
        rows[f"start-up, floor of a preloaded stub, {label}"] = (fmt(floor, "ms", True), "-")
    mem = "BM_MemoryVsBaseline/iterations:5/real_time"
    alone = "BM_Memory/iterations:5/real_time"
    rss, pss = c(idle, mem, "graft_extra_rss_KiB"), c(idle, mem, "graft_extra_pss_KiB")
    if rss is None:
        rss, pss = c(idle, alone, "extra_rss_KiB"), c(idle, alone, "extra_pss_KiB")
    rows["VmRSS of an idle program (Pss)"] = (
        fmt(rss, "KiB", True) + f" ({fmt(pss, 'KiB', True)})",
        fmt(c(idle, mem, "baseline_extra_rss_KiB"), "KiB", True) +
        f" ({fmt(c(idle, mem, 'baseline_extra_pss_KiB'), 'KiB', True)})")
    fl = "BM_MemoryVsStubFloor/iterations:5/real_time"
    rows["VmRSS, floor of a preloaded stub (Pss)"] = (
        fmt(c(idle, fl, "baseline_extra_rss_KiB"), "KiB", True) +
        f" ({fmt(c(idle, fl, 'baseline_extra_pss_KiB'), 'KiB', True)})", "-")
    th = "BM_StartupThreadFloor/real_time"
    rows["of the start-up, the control thread"] = (fmt(c(idle, th, "extra_ms"), "ms", True), "-")
    cli = "BM_CliHelp/real_time"
    rows["`graft --help` over a trivial C program"] = (
        fmt(c(idle, cli, "graft_help_extra_ms"), "ms", True),
        fmt(c(idle, cli, "baseline_help_extra_ms"), "ms", True))
    return rows


with open(os.path.join(d, "machine.txt")) as f:
    print(f.read().strip())
print()
print("| figure | base | new |")
print("|---|---|---|")
new_rows = {**call_rows("new"), **enable_rows("new")}
base_rows = {**call_rows("base"), **enable_rows("base")}
for k, v in new_rows.items():
    print(f"| {k} | {base_rows[k]} | {v} |")
for k, (n, b) in startup_rows().items():
    print(f"| {k} | {b} | {n} |")
