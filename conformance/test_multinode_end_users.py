"""End users across several Banter processes on one PostgreSQL database, through twilio-python
with Access Tokens: a role change made through one node applies to the very next request on
every node, the user created by a first request on one node is the same user everywhere, and a
deleted API key's tokens are refused by every node within a second.
The three nodes come from the `cluster` fixture in multinode.py."""

import time

from conftest import assert_rest_error, unique
from end_users import client_for_token, python_token
from multinode import _assert_revoked, cluster, postgres  # noqa: F401


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
