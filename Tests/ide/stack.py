"""The reference IDE image's test stack on the private Swarm: the image, Traefik and a moto S3 that
checks SigV4 and that the containers reach (scripts/setup-local.sh's local stack, named for the
run), and the real service binary handing out the image.

Everything is named for the run and removed again by `close()`.
"""
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import boto3
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "browser"))
from service import ROOT, Service, eventually, free_port  # noqa: E402


def run(*args, env=None, check=True):
    result = subprocess.run(list(args), env=env, capture_output=True, text=True, cwd=ROOT)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}): {result.stderr[-2000:]}")
    return result


class Stack:
    """Image, Traefik, S3 and service for one run; `buckets` are created empty. With
    `launch=False` no service is started: `settings` holds what one needs to reach the stack."""

    def __init__(self, buckets, launch=True, **service_settings):
        self.docker_host = os.environ["IDE_TEST_DOCKER_HOST"]
        self.name = f"ide{uuid.uuid4().hex[:6]}"
        self.directory = Path(tempfile.mkdtemp(prefix=f"{self.name}-"))
        self.env = {**os.environ, "DOCKER_HOST": self.docker_host}
        self.traefik_env = {**self.env, "LOCAL_TRAEFIK_SERVICE": f"{self.name}-traefik", "TRAEFIK_NETWORK": f"{self.name}-traefik",
                            "SWARM_NETWORK": os.environ.get("IDE_TEST_NETWORK", "ide-network"),
                            "LOCAL_S3_DIR": str(self.directory / "s3")}
        self.service = None
        try:
            self._start(buckets, service_settings, launch)
        except BaseException:
            self.close()
            raise

    def _start(self, buckets, service_settings, launch):
        self.image = run("scripts/build-images.sh", "ide", env=self.env).stdout.strip().splitlines()[-1]
        # The check listener Traefik calls for every IDE request, on a port of this run.
        self.traefik_env["IDE_AUTH_PORT"] = str(free_port())
        lines = run("scripts/setup-local.sh", "up", env={**self.traefik_env, "IDE_CONTAINER_IMAGE": self.image}).stdout.splitlines()
        stack = dict(line.split("=", 1) for line in lines if "=" in line)
        self.http_port = int(stack["HTTP_PORT"])
        # The local S3 of the stack (moto checking SigV4, on an address the containers reach).
        self.s3 = boto3.client("s3", endpoint_url=stack["S3_ENDPOINT"], region_name=stack["AWS_REGION"],
                               aws_access_key_id=stack["AWS_ACCESS_KEY_ID"], aws_secret_access_key=stack["AWS_SECRET_ACCESS_KEY"],
                               config=Config(retries={"max_attempts": 2}, s3={"addressing_style": "path"}))
        for bucket in buckets:
            self.s3.create_bucket(Bucket=bucket)
        self.settings = {
            "IDE_CONTAINER_IMAGE": self.image,
            "TRAEFIK_NETWORK": stack["TRAEFIK_NETWORK"],
            # Traefik's task reaches the check listener on the docker_gwbridge gateway.
            "HOST": "0.0.0.0",
            "IDE_AUTH_PORT": self.traefik_env["IDE_AUTH_PORT"],
            "IDE_AUTH_URL": stack["IDE_AUTH_URL"],
            "HTTP_PORT": str(self.http_port),
            **{name: stack[name] for name in ("S3_ENDPOINT", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION")},
            "PRE_WARMED_QUEUE_SIZE": "1",
            "CONTAINER_MEMORY_LIMIT": "1GB",
            "CONTAINER_CPU_LIMIT": "1",
            "CONTAINER_READY_TIMEOUT": "180s",
            "COLD_START_TIMEOUT": "120s",
            "WORKSPACE_FLUSH_TIMEOUT": "30s",
            **service_settings,
        }
        if launch:
            self.service = Service(self.name, **self.settings)
            self.service.launch()

    def traefik_url(self, path):
        return f"http://127.0.0.1:{self.http_port}{path}"

    def objects(self, bucket):
        """Key -> bytes of every object in `bucket`."""
        keys = [item["Key"] for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket) for item in page.get("Contents", [])]
        return {key: self.s3.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys}

    def kill_container(self, container_id):
        ids = run("docker", "ps", "-q", "--filter", f"label=ide-orchestrator.id={container_id}", env=self.env).stdout.split()
        assert ids, f"no running container for {container_id}"
        run("docker", "kill", *ids, env=self.env)

    def close(self):
        if self.service:
            self.service.tear_down()
        run("scripts/setup-local.sh", "down", env=self.traefik_env, check=False)


__all__ = ["Stack", "eventually"]
