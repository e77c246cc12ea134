#!/usr/bin/env python3
"""Draws the benchmark's claim latency percentiles by concurrency (results.json -> PNG).
Usage: benchmark_chart.py RESULTS.json OUT.png [BEFORE.json]"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

PERCENTILES = ("p50", "p90", "p99", "max")


def bars(ax, results, title):
    warm = results.get("warm", {})
    levels = list(warm)
    width = 0.2
    for i, p in enumerate(PERCENTILES):
        values = [warm[c].get(p) or 0 for c in levels]
        positions = [x + (i - 1.5) * width for x in range(len(levels))]
        drawn = ax.bar(positions, values, width, label=p)
        ax.bar_label(drawn, fmt="%.1f", fontsize=7)
    ax.set_xticks(range(len(levels)), [f"{c} client{'s' if c != '1' else ''}" for c in levels])
    ax.set_ylabel("warm claim, ms (client side)")
    cold = results.get("cold", {}).get("1", {}).get("p50")
    ax.set_title(title + (f"\ncold start p50 at 1 client: {cold:.0f} ms" if cold else ""), fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)


def main():
    results = json.load(open(sys.argv[1]))
    panels = [(results, "after" if len(sys.argv) > 3 else "warm claim latency by concurrency")]
    if len(sys.argv) > 3:
        panels.insert(0, (json.load(open(sys.argv[3])), "before"))
    fig, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 4.5), squeeze=False, sharey=True)
    for ax, (data, title) in zip(axes[0], panels):
        bars(ax, data, title)
    fig.suptitle(f"ide-orchestrator: POST /api/containers/start, warm pool ({results['machine'].get('cores')} cores)")
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=110)
    print(f"wrote {sys.argv[2]}")


if __name__ == "__main__":
    main()
