"""End users across several Banter processes on one PostgreSQL database, through twilio-python
with Access Tokens: a role change made through one node applies to the very next request on
every node, the user created by a first request on one node is the same user everywhere, and a
deleted API key's tokens are refused by every node within a second; a client connected to one
node sees the reachability of a user connected to another.
The three nodes come from the `cluster` fixture in multinode.py."""

import time

from conftest import assert_rest_error, unique
from end_users import client_for_token, python_token
from multinode import _assert_revoked, cluster, postgres  # noqa: F401
from test_client_chat import drive


def test_end_user_on_every_node_and_role_changes_apply_at_once(cluster):
    admin = cluster.clients[0].chat.v2
    service = admin.services.create(friendly_name=unique("mn-users"))
    out = cluster.cli("key", "create", "--account", cluster.account_sid)
    key = (out["API_KEY_SID"], out["API_KEY_SECRET"])
    identity = unique("alice")
    jwt = python_token(cluster, key, service.sid, identity)
    users = [client_for_token(n.url, cluster.account_sid, jwt).chat.v2.services(service.sid)
             for n in cluster.nodes]
    # First use through node 2 creates the user; every node then sees that one user.
    ch = users[1].channels.create(friendly_name=unique("ch"))
    sids = {u.users(identity).fetch().sid for u in users}
    assert len(sids) == 1, sids
    assert admin.services(service.sid).users(identity).fetch().role_sid == \
        service.default_service_role_sid
    # Take createChannel away through node 1: nodes 2 and 3 refuse the next request.
    role = admin.services(service.sid).roles(service.default_service_role_sid)
    role.update(permission=["joinChannel"])
    for u in users:
        assert_rest_error(lambda u=u: u.channels.create(friendly_name="no"), 403, 50107)
    role.update(permission=["joinChannel", "createChannel"])
    for u in users:
        assert u.channels.create(friendly_name=unique("yes")).created_by == identity
    assert admin.services(service.sid).channels(ch.sid).fetch().created_by == identity


def test_deleted_key_revokes_its_tokens_on_every_node(cluster):
    service = cluster.clients[0].chat.v2.services.create(friendly_name=unique("mn-tok"))
    ch = cluster.clients[0].chat.v2.services(service.sid).channels.create(friendly_name="c")
    out = cluster.cli("key", "create", "--account", cluster.account_sid)
    key_sid = out["API_KEY_SID"]
    jwt = python_token(cluster, (key_sid, out["API_KEY_SECRET"]), service.sid, unique("bob"))
    users = [client_for_token(n.url, cluster.account_sid, jwt) for n in cluster.nodes]

    def probe(c):
        return c.chat.v2.services(service.sid).channels(ch.sid).fetch()

    for c in users:
        for _ in range(2):  # the second call is served from the node's token cache
            probe(c)
    cluster.cli("key", "delete", "--account", cluster.account_sid, key_sid)
    _assert_revoked("tokens of API key %s" % key_sid, users, probe, time.monotonic())


def test_reachability_spans_nodes(cluster):
    # Arrange: bob's twilio-chat client on node 1 watches alice, whose client connects to node 2;
    # the operator reads through node 3.
    admin = cluster.clients[2].chat.v2
    service = admin.services.create(friendly_name=unique("mn-reach"))
    admin.services(service.sid).update(reachability_enabled=True)
    alice, bob = unique("alice"), unique("bob")
    for identity in (alice, bob):
        admin.services(service.sid).users.create(identity=identity)
    out = cluster.cli("key", "create", "--account", cluster.account_sid)
    key = (out["API_KEY_SID"], out["API_KEY_SECRET"])
    ws = [n.url.replace("http://", "ws://", 1) + "/v3/wsconnect" for n in cluster.nodes]
    request = {
        "sdk": "chat", "uri": ws[0], "alice_uri": ws[1],
        "alice": python_token(cluster, key, service.sid, alice),
        "bob": python_token(cluster, key, service.sid, bob),
        "rest": {"url": cluster.nodes[0].url, "account_sid": cluster.account_sid,
                 "auth_token": cluster.auth_token, "service_sid": service.sid},
        "alice_identity": alice, "push_token": unique("fcm-device"),
    }

    # Act
    r = drive("presence_client.js", request)

    # Assert: every flip made on node 2 reached node 1's client once, in order.
    assert r["states"] == [
        [True, False, ["online"]],
        [True, True, ["notifiable"]],
        [True, False, ["notifiable"]],
        [False, False, ["online"]],
    ], r
    user = admin.services(service.sid).users(alice).fetch()
    assert (user.is_online, user.is_notifiable) == (False, False)
