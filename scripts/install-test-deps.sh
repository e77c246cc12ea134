#!/usr/bin/env bash
# Installs, when missing, what the test command (scripts/test.sh) and the benchmark need on top of
# scripts/install-deps.sh: Debian's Chromium and its driver for the browser tests, wrk for the
# benchmark, and the Python test tools, each in its own venv outside the work tree.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
source scripts/lib/install.sh

apt_packages chromium chromium-driver wrk

cache="$HOME/.cache/ide-orchestrator"
# Selenium for the dashboard's browser test (Tests/browser/run.sh).
venv_package "${IDE_BROWSER_VENV:-$cache/browser-venv}" selenium 4.50.0
# boto3 for the reference image's workspace test (Tests/ide/run.sh), which shares that venv.
venv_package "${IDE_BROWSER_VENV:-$cache/browser-venv}" boto3 1.43.11
# schemathesis for the API fuzz run (Tests/fuzz/run.sh).
venv_package "${IDE_FUZZ_VENV:-$cache/fuzz-venv}" schemathesis 4.32.5
# matplotlib for the benchmark's chart (scripts/benchmark.sh).
venv_package "${IDE_BENCH_VENV:-$cache/bench-venv}" matplotlib 3.11.2
# The strict Prometheus text parser the metrics integration test uses (scripts/parse-metrics.py).
python_modules prometheus_client 'prometheus-client==0.26.0'
