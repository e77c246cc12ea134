#!/usr/bin/env python3
"""Markdown table of benchmark results side by side, for docs/benchmarks.md; each column is
named after its file. Usage: benchmark_compare.py FIRST.json SECOND.json [MORE.json ...]"""
import json
import os
import sys


def get(data, *path):
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def fmt(value, digits=1, scale=1.0):
    return "-" if value is None else f"{value * scale:,.{digits}f}"


def main():
    paths = sys.argv[1:]
    results = [json.load(open(p)) for p in paths]
    after = results[-1]
    names = [os.path.splitext(os.path.basename(p))[0] for p in paths]
    rows = ["| Figure | " + " | ".join(names) + " | Target |", "| --- | " + " | ".join("---:" for _ in names) + " | --- |"]

    def row(name, path, target="", digits=1, scale=1.0):
        rows.append(f"| {name} | " + " | ".join(fmt(get(r, *path), digits, scale) for r in results) + f" | {target} |")

    targets = {("8", "p50"): "≤ 5", ("8", "p99"): "≤ 25", ("32", "p99"): "≤ 60"}
    for clients in ("1", "8", "32"):
        for p in ("p50", "p90", "p99", "max"):
            row(f"warm claim, {clients} client{'s' if clients != '1' else ''}, {p} (ms)", ("warm", clients, p), targets.get((clients, p), ""))
        row(f"warm claim, {clients} clients, service's own p50 (ms)", ("warm", clients, "server", "p50"))
        row(f"warm claim, {clients} clients, service's own p99 (ms)", ("warm", clients, "server", "p99"))
    for clients in ("1", "8"):
        for p in ("p50", "p99"):
            row(f"cold start, {clients} client{'s' if clients != '1' else ''}, {p} (ms)", ("cold", clients, p), digits=0)
    row("cold p50 / warm p50 (1 client)", ("ratios", "coldOverWarmP50"), "≥ 50", digits=0)
    row("burst 50 vs pool 10: all served (s)", ("burst", "allServedSeconds"), "≤ 2 cold starts", digits=2)
    row("… in cold starts", ("ratios", "burstServedInColdStarts"), "≤ 2", digits=2)
    row("burst: pool back to 10 after it (s)", ("burst", "poolBackSecondsAfterBurst"), "≤ 1.5 cold starts", digits=2)
    row("… in cold starts", ("ratios", "burstPoolBackInColdStarts"), "≤ 1.5", digits=2)
    for name, target in (("health", "≥ 5,000"), ("containers", "≥ 2,000"), ("live", "")):
        row(f"GET {get(after, 'http', name, 'path')} (req/s)", ("http", name, "rps"), target, digits=0)
        row(f"GET {get(after, 'http', name, 'path')} p99 (ms)", ("http", name, "p99"), digits=2)
    row("claim p50 / health p50", ("ratios", "claimP50OverHealthP50"), digits=1)
    for key, label, target in (("idleMB", "RSS idle, pool 10 (MB)", ""), ("records1000MB", "RSS with 1,000 records (MB)", "≤ 50"),
                               ("records10000MB", "RSS with 10,000 records (MB)", ""), ("afterRunsMB", "RSS after the runs (MB)", "")):
        row(label, ("memory", key), target)
    row("warm claim p50 at 8 clients, small store (ms)", ("records", "claimsSmall", "p50"))
    row("warm claim p50 at 8 clients, 10,000 records (ms)", ("records", "claimsLarge", "p50"))
    row("… records in the small store", ("records", "small"), digits=0)
    row("… change", ("ratios", "largeStoreClaimP50Change"), "≤ +10 %", digits=0, scale=100)
    row("reconcile pass, 200 services (ms)", ("scale", "reconcilePassSeconds"), "≤ 1,000", digits=0, scale=1000)
    row("idle CPU, 200 containers (% of a core)", ("scale", "idleCpuPercent"), "≤ 2", digits=2)
    print("\n".join(rows))


if __name__ == "__main__":
    main()
