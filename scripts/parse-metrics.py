#!/usr/bin/env python3
"""Parses Prometheus text exposition from stdin with prometheus_client's strict parser and
prints every sample as JSON: [{"family", "type", "name", "labels", "value"}]. Exits 1 on any
parse error. Used by the integration tests (scripts/install-test-deps.sh installs the parser)."""
import json
import math
import sys

from prometheus_client.parser import text_string_to_metric_families


def main() -> int:
    text = sys.stdin.read()
    samples = []
    try:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                value = sample.value
                samples.append({
                    "family": family.name,
                    "type": family.type,
                    "name": sample.name,
                    "labels": sample.labels,
                    "value": None if math.isnan(value) else value,
                })
    except Exception as error:  # the parser raises ValueError and friends on malformed text
        print(f"parse error: {error}", file=sys.stderr)
        return 1
    json.dump(samples, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
