"""The agent port: token, transport limits and the assignment (docs/agent-contract.md)."""

import socket
import time

from conftest import TOKEN, eventually

UNAUTHORIZED = {"status": "error", "message": "missing or wrong agent token"}


def raw_request(agent, data, read_timeout=5):
    with socket.create_connection(("127.0.0.1", agent.port), timeout=read_timeout) as s:
        if data:
            s.sendall(data)
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


def test_every_route_refuses_a_missing_or_wrong_token(make_agent, moto, bucket):
    agent = make_agent()
    for method, path in (("GET", "/health"), ("HEAD", "/health"), ("POST", "/assign-s3-bucket"), ("POST", "/flush"),
                         ("POST", "/credentials"), ("GET", "/nowhere"), ("DELETE", "/health")):
        for token in (None, "wrong", TOKEN + "x", TOKEN[:-1]):
            status, headers, answer = agent.request(method, path, {"bucket": bucket}, token=token)
            assert status == 401, (method, path, token)
            assert headers["content-type"] == "application/json"
            if method != "HEAD":
                assert answer == UNAUTHORIZED
    status, _, answer = agent.request("GET", "/health", token=None, headers={"Authorization": f"Basic {TOKEN}"})
    assert status == 401
    # Nothing changed: still unassigned, no activity.
    health = agent.health()
    assert health["assigned"] is False and health["lastActivityAt"] is None and health["sync"]["state"] == "idle"
    # The scheme is case-insensitive; the token file's trailing newline is not part of the token.
    status, _, answer = agent.request("GET", "/health", token=None, headers={"Authorization": f"bEaReR {TOKEN}"})
    assert status == 200 and answer["assigned"] is False


def test_health_answers_the_v2_shape(make_agent):
    agent = make_agent()
    assert agent.health() == {"status": "ok", "assigned": False, "bucket": None, "lastActivityAt": None,
                              "sync": {"state": "idle", "lastPushAt": None, "lastPullAt": None, "pendingChanges": 0,
                                       "conflicts": 0, "error": None}}
    status, headers, answer = agent.request("HEAD", "/health")
    assert status == 200 and answer is None and int(headers["content-length"]) > 0
    assert headers["connection"] == "close"


def test_without_a_token_file_every_route_is_open(make_agent):
    agent = make_agent(token=None)
    status, _, answer = agent.request("GET", "/health", token=None)
    assert status == 200 and answer["status"] == "ok"


def test_a_token_file_without_a_token_stops_the_agent(make_agent):
    for content in (b"", b" \n\t\r\n", b"x" * 4097):
        agent = make_agent(token_file_content=content, start=False)
        agent.start(wait=False)
        assert agent.process.wait(10) != 0
        assert "refusing to start" in agent.log()


def test_transport_limits_and_methods(make_agent):
    agent = make_agent()
    status, headers, answer = agent.request("GET", "/flush")
    assert (status, headers.get("allow"), answer) == (405, "POST", {"status": "error", "message": "method not allowed"})
    status, headers, _ = agent.request("POST", "/health", {})
    assert (status, headers.get("allow")) == (405, "GET, HEAD")
    status, _, answer = agent.request("GET", "/nowhere")
    assert status == 404 and answer["status"] == "error"
    status, _, answer = agent.request("POST", "/assign-s3-bucket", b"x" * (64 * 1024 + 1))
    assert (status, answer) == (413, {"status": "error", "message": "request body too large"})
    reply = raw_request(agent, f"POST /flush HTTP/1.1\r\nAuthorization: Bearer {TOKEN}\r\n"
                               "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n".encode())
    assert reply.startswith(b"HTTP/1.1 411 ")
    assert raw_request(agent, b"garbage\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    # A request that does not arrive within 2 s gets 408; a silent client is dropped (both at once).
    started = time.monotonic()
    silent = socket.create_connection(("127.0.0.1", agent.port), timeout=5)
    reply = raw_request(agent, b"GET /health HTTP/1.1\r\nHost: x\r\n")
    assert reply.startswith(b"HTTP/1.1 408 ") and 1.5 < time.monotonic() - started < 4
    assert b'"request timeout"' in reply
    assert silent.recv(100) == b""
    silent.close()


def test_assignment_first_valid_request_wins(make_agent, moto, bucket):
    agent = make_agent()
    for bad in (b"{", b"[]", b'{"bucket":""}', b'{"bucket":7}', b'{"region":"x"}', b'{"bucket":NaN}'):
        status, _, answer = agent.request("POST", "/assign-s3-bucket", bad)
        assert (status, answer) == (400, {"status": "error", "message": "bucket is required"}), bad
    status, _, answer = agent.assign(moto, bucket, containerId="c1", userId="u", someFutureField={"x": [1]})
    assert (status, answer) == (200, {"status": "success", "bucket": bucket})
    status, _, answer = agent.assign(moto, bucket, accessKeyId="other")
    assert (status, answer) == (200, {"status": "already_assigned", "bucket": bucket})
    status, _, answer = agent.assign(moto, bucket.upper())
    assert (status, answer) == (409, {"status": "error", "message": "already assigned to another bucket"})
    health = agent.wait_ready()
    assert health["assigned"] is True and health["bucket"] == bucket and health["lastActivityAt"]


def test_assignment_refuses_malformed_new_fields(make_agent, moto, bucket):
    agent = make_agent()
    for extra, message in (({"workspacePrefix": 3}, "workspacePrefix must be a string"),
                           ({"workspacePrefix": "a/../b"}, "workspacePrefix"),
                           ({"s3Endpoint": "ftp://x"}, "s3Endpoint"),
                           ({"credentialsExpireAt": "tomorrow"}, "credentialsExpireAt")):
        status, _, answer = agent.assign(moto, bucket, **extra)
        assert status == 400 and message in answer["message"], extra
    assert agent.health()["assigned"] is False


def test_flush_and_credentials_before_assignment(make_agent):
    agent = make_agent()
    assert agent.request("POST", "/flush")[0::2] == (200, {"status": "nothing_to_flush"})
    assert agent.request("POST", "/flush", {})[0::2] == (200, {"status": "nothing_to_flush"})
    status, _, answer = agent.request("POST", "/credentials", {"accessKeyId": "a", "secretAccessKey": "b"})
    assert (status, answer) == (409, {"status": "error", "message": "not assigned"})


def test_credentials_body_is_checked(make_agent, moto, bucket):
    agent = make_agent()
    agent.assign(moto, bucket)
    for bad in (b"nope", {"accessKeyId": "a"}, {"accessKeyId": "a", "secretAccessKey": ""},
                {"accessKeyId": "a", "secretAccessKey": "b", "expiration": "soon"},
                {"accessKeyId": "a", "secretAccessKey": "b", "sessionToken": 5}):
        status, _, answer = agent.request("POST", "/credentials", bad)
        assert status == 400 and answer["status"] == "error", bad


def test_logs_hold_no_secret(make_agent, moto, bucket):
    import boto3
    sts = boto3.client("sts", endpoint_url=moto["endpoint"], region_name=moto["region"],
                       aws_access_key_id=moto["accessKeyId"], aws_secret_access_key=moto["secretAccessKey"])
    temporary = sts.assume_role(RoleArn=moto["roleArn"], RoleSessionName="agent-test")["Credentials"]
    agent = make_agent()
    # Temporary credentials (with a session token) from moto's STS work like the key pair.
    agent.assign(moto, bucket, accessKeyId=temporary["AccessKeyId"], secretAccessKey=temporary["SecretAccessKey"],
                 sessionToken=temporary["SessionToken"], activityToken="ACTIVITY-SECRET-2")
    agent.wait_ready()
    agent.request("POST", "/credentials", {"accessKeyId": moto["accessKeyId"], "secretAccessKey": "WRONG-SECRET-3"})
    agent.write("a.txt", b"a")
    eventually(lambda: agent.sync()["state"] == "error", 10, "the push with a wrong key to fail")
    log = agent.log()
    for secret in (TOKEN, moto["secretAccessKey"], temporary["SecretAccessKey"], temporary["SessionToken"],
                   "ACTIVITY-SECRET-2", "WRONG-SECRET-3"):
        assert secret not in log
