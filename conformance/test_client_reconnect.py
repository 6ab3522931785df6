"""Nothing is lost across a server restart: two twilio-chat 6.0.0 clients
(conformance/node/reconnect_client.js) talk, the server is restarted mid-conversation on the
same address and database, messages are written through REST (twilio-python) while the clients
are away, and the listening client must report every message exactly once, in index order:
those sent before, those written while it was away (replayed from the database when its SDK
re-subscribes from its last event ids), and those sent after it reconnected.
"""

import json
import subprocess

import pytest

from access_tokens import NODE_DIR
from conftest import BanterServer, make_client, unique
from end_users import python_token, signing_key


@pytest.fixture
def own_server(tmp_path):
    """A server of this test's own, which it may restart."""
    server = BanterServer(tmp_path)
    server.start()
    yield server
    server.stop()


def test_a_client_gets_every_message_once_across_a_server_restart(own_server):
    # Arrange
    server = own_server
    client = make_client(server.account_sid, server.auth_token, server.url)
    service = client.chat.v2.services.create(friendly_name=unique("restart"))
    key = signing_key(server)
    request = {
        "uri": server.url.replace("http://", "ws://", 1) + "/v3/wsconnect",
        "alice": python_token(server, key, service.sid, "alice"),
        "bob": python_token(server, key, service.sid, "bob"),
        "unique_name": unique("room"),
    }
    proc = subprocess.Popen(["node", str(NODE_DIR / "reconnect_client.js")], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
    try:
        proc.stdin.write(json.dumps(request) + "\n")
        proc.stdin.flush()
        ready = json.loads(proc.stdout.readline() or "null")
        assert ready and ready["phase"] == "ready", proc.stderr.read()

        # Act: restart mid-conversation; write while the clients are away.
        server.restart()
        messages = make_client(server.account_sid, server.auth_token, server.url) \
            .chat.v2.services(service.sid).channels(ready["channel"]).messages
        for i in range(5):
            messages.create(body="while away %d" % i, from_="rest")
        proc.stdin.write("restarted\n")
        proc.stdin.flush()
        done = json.loads(proc.stdout.readline() or "null")
        assert done and done["phase"] == "done", proc.stderr.read()
    finally:
        proc.kill()
        proc.wait(timeout=10)

    # Assert: every message once, in order, from every phase.
    got = [(m["index"], m["body"]) for m in done["received"]]
    expected = [(i, "before %d" % i) for i in range(3)] \
        + [(3 + i, "while away %d" % i) for i in range(5)] \
        + [(8 + i, "after %d" % i) for i in range(2)]
    assert got == expected, done
    assert [m["author"] for m in done["received"][3:8]] == ["rest"] * 5
    # Both clients really lost their connection and came back.
    for name in ("alice", "bob"):
        states = done["states"][name]
        assert states[-1] == "connected" and ("connecting" in states or "disconnected" in states), states
