"""Nothing is lost when a client's connection goes away, for both client SDKs (twilio-chat 6.0.0
and @twilio/conversations 3.0.1, driven step by step through conformance/node/reconnect_client.js):
alice talks, bob listens through a TCP proxy (conformance/tcp_proxy.py), and bob's connection
goes away mid-conversation: cut (both TCP sides reset) or ended by a server restart on the same
address and database. While bob is away the proxy refuses his SDK's reconnect attempts, so it
really goes through a failed one, and messages are written through alice's SDK and through REST
(twilio-python), and earlier ones edited and removed. Once bob's SDK is let back in (with its
continuation token, re-subscribing from its last event ids) and more messages are sent, the
events it reported must be exactly what was done, each once and in order: every message added
in index order with its body and author, the edit and the removal.
"""

import pytest

from conftest import BanterServer, make_client, unique
from end_users import python_token, signing_key
from node_steps import NodeSteps
from tcp_proxy import TcpProxy, twilsock_headers

SDKS = ["chat", "conversations"]
BEFORE = ["before 0", "before 1", "before 2"]
AFTER = ["after 0", "after 1"]


@pytest.fixture
def own_server(tmp_path):
    """A server of this test's own, which it may restart."""
    server = BanterServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def proxy(request):
    """A TCP proxy in front of the server of the test (its `banter` or `own_server`)."""
    server = request.getfixturevalue("own_server" if "own_server" in request.fixturenames else "banter")
    host, port = server.url.split("://", 1)[1].rsplit(":", 1)
    p = TcpProxy(host, int(port))
    p.port = p.start()
    yield p
    p.stop()


def ws_uri(http_url):
    return http_url.replace("http://", "ws://", 1) + "/v3/wsconnect"


def start_pair(server, service_sid, proxy, sdk):
    """alice connected to the server, bob through the proxy, in one channel with three messages
    that bob has received; returns (steps, the channel's sid, alice's identity)."""
    key = signing_key(server)
    alice, bob = unique("alice"), unique("bob")
    steps = NodeSteps("reconnect_client.js")
    try:
        setup = steps.step("setup", sdk=sdk, uri=ws_uri(server.url),
                           bob_uri=ws_uri("http://127.0.0.1:%d" % proxy.port),
                           alice=python_token(server, key, service_sid, alice),
                           bob=python_token(server, key, service_sid, bob),
                           unique_name=unique("room"))
        assert setup["alice"] == alice
        assert steps.step("send", bodies=BEFORE)["indices"] == [0, 1, 2]
        steps.step("wait_bob", body=BEFORE[-1])
        steps.step("mark")
    except BaseException:
        steps.close()
        raise
    return steps, setup["channel"], alice


def come_back(steps, who, first_index):
    """Waits until the clients named in `who` are connected again, has alice send AFTER (at
    first_index on) and returns the report of what bob's SDK reported."""
    steps.step("wait_back", who=who)
    assert steps.step("send", bodies=AFTER)["indices"] == [first_index, first_index + 1]
    steps.step("wait_bob", body=AFTER[-1])
    return steps.step("report")


def assert_resumed(proxy):
    """bob's SDK connected twice through the proxy, and the second time it presented the
    continuation token the server issued the first time, and the server resumed its endpoint."""
    assert proxy.accepted == 2, "bob connected once and reconnected once"
    first, second = [next(h for h in twilsock_headers(kept["up"]) if h["method"] == "init")
                     for kept in proxy.transcripts]
    first_reply, second_reply = [next(h for h in twilsock_headers(kept["down"]) if h["id"] == init["id"])
                                 for kept, init in zip(proxy.transcripts, (first, second))]
    assert first["continuation_token"] is None, first
    assert second["continuation_token"] == first_reply["continuation_token"], (first_reply, second)
    assert second_reply["continuation_token_status"]["reissued"] is False, second_reply


def assert_every_event_once(events, alice, away):
    """bob's SDK reported BEFORE from alice, the messages written while he was away (`away`:
    (bodies, author) runs, in index order), the edit of message 1 and the removal of message 2,
    then AFTER from alice: each once, in that order."""
    edited = [e for e in events if e["event"] == "messageUpdated"]
    assert len(edited) == 1 and "body" in edited[0]["reasons"], events
    expected, index = [], 0
    for bodies, author in [(BEFORE, alice), *away]:
        expected += [{"event": "messageAdded", "index": index + i, "body": b, "author": author}
                     for i, b in enumerate(bodies)]
        index += len(bodies)
    expected += [dict(edited[0], index=1, body="before 1 (edited)", author=alice),
                 {"event": "messageRemoved", "index": 2}]
    expected += [{"event": "messageAdded", "index": index + i, "body": b, "author": alice}
                 for i, b in enumerate(AFTER)]
    assert events == expected, events


@pytest.mark.parametrize("sdk", SDKS)
def test_a_client_gets_every_event_once_across_a_cut_connection(banter, client, service, proxy, sdk):
    # Arrange
    steps, channel, alice = start_pair(banter, service.sid, proxy, sdk)
    rest = client.chat.v2.services(service.sid).channels(channel).messages
    try:
        # Act: cut bob off; while his SDK cannot get back in, alice and REST write.
        with proxy.refusing():
            assert proxy.cut() == 1, "bob's one socket goes through the proxy"
            steps.step("wait_away", who=["bob"])
            assert steps.step("send", bodies=["away 0", "away 1"])["indices"] == [3, 4]
            for i in range(2):
                assert rest.create(body="rest %d" % i, from_="rest").index == 5 + i
            steps.step("edit", index=1, body="before 1 (edited)")
            steps.step("remove", index=2)
            assert proxy.wait_refused(1), "bob's SDK tried to reconnect while refused"
        report = come_back(steps, ["bob"], 7)
    finally:
        steps.close()

    # Assert: every event once, in order; alice never lost her connection.
    assert_every_event_once(report["events"], alice,
                            [(["away 0", "away 1"], alice), (["rest 0", "rest 1"], "rest")])
    assert_resumed(proxy)
    assert report["states"]["alice"] == [], report["states"]
    assert report["states"]["bob"][-1] == "connected" and "connecting" in report["states"]["bob"], report["states"]


@pytest.mark.parametrize("sdk", SDKS)
def test_a_client_gets_every_event_once_across_a_server_restart(own_server, proxy, sdk):
    # Arrange
    server = own_server
    operator = make_client(server.account_sid, server.auth_token, server.url)
    service = operator.chat.v2.services.create(friendly_name=unique("restart"))
    steps, channel, alice = start_pair(server, service.sid, proxy, sdk)
    try:
        # Act: restart mid-conversation; write, edit and remove through REST while bob is away.
        with proxy.refusing():
            server.restart()
            messages = make_client(server.account_sid, server.auth_token, server.url) \
                .chat.v2.services(service.sid).channels(channel).messages
            for i in range(5):
                assert messages.create(body="while away %d" % i, from_="rest").index == 3 + i
            by_index = {m.index: m.sid for m in messages.list()}
            messages(by_index[1]).update(body="before 1 (edited)")
            messages(by_index[2]).delete()
            steps.step("wait_away", who=["alice", "bob"])
            assert proxy.wait_refused(1), "bob's SDK tried to reconnect while refused"
        report = come_back(steps, ["alice", "bob"], 8)
    finally:
        steps.close()

    # Assert: every event once, in order, from every phase.
    assert_every_event_once(report["events"], alice, [(["while away %d" % i for i in range(5)], "rest")])
    assert_resumed(proxy)
    # Both clients really lost their connection and came back.
    for name in ("alice", "bob"):
        states = report["states"][name]
        assert states[-1] == "connected" and "connecting" in states, states
