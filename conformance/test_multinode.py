"""Several Banter processes sharing one PostgreSQL database, driven through twilio-python.

Three `banter serve` nodes are started on one fresh database (created and dropped with psql, as
conftest.py does for BANTER_TEST_DATABASE=postgres). The module picks PostgreSQL by itself from
BANTER_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres), whatever
BANTER_TEST_DATABASE says, and is skipped when that server does not answer.

Checked: a write through one node is visible through the others at once; message indexes and
counters stay exact when writes are spread over the nodes. Revocation across nodes is in
test_multinode_revocation.py. Every wait is bounded.
"""

import secrets
import threading
import time

from twilio.base.exceptions import TwilioRestException

from conftest import database_url, psql, unique
from multinode import (  # noqa: F401  (cluster and postgres are fixtures)
    NODES,
    ROUNDS,
    STARTUP_TIMEOUT,
    Node,
    _converges,
    _run_pool,
    _service_view,
    _status_of,
    cluster,
    make_client,
    postgres,
)


def test_nodes_started_together_on_a_fresh_database_all_come_up(postgres, tmp_path):
    """Three nodes started at the same moment on an empty database with the same
    BANTER_ACCOUNT_SID / BANTER_AUTH_TOKEN: they take turns on the migration and all of them
    must serve the bootstrap account (ROUNDS rounds, each on its own fresh database)."""
    failures = []
    for attempt in range(ROUNDS):
        db_name = "banter_multinode_" + secrets.token_hex(8)
        psql("create database %s" % db_name)
        nodes = []
        try:
            sid, token = "AC" + secrets.token_hex(16), secrets.token_hex(16)
            log_dir = tmp_path / ("round%d" % attempt)
            log_dir.mkdir()
            nodes = [Node(i + 1, database_url(db_name), sid, token, log_dir) for i in range(NODES)]
            deadline = time.monotonic() + STARTUP_TIMEOUT
            for n in nodes:
                try:
                    n.wait_ready(deadline)
                    make_client(sid, token, n.url).chat.v2.services.list(limit=1)
                except Exception as e:  # noqa: BLE001
                    failures.append("round %d node %d: %s" % (
                        attempt + 1, n.index, _first_lines(str(e))))
        finally:
            for n in nodes:
                n.stop()
            psql("drop database if exists %s with (force)" % db_name)
    assert not failures, "nodes started together failed: %s" % failures


def _first_lines(text):
    return " | ".join(l.strip() for l in text.splitlines() if l.strip())[:600]


# --------------------------------------------------------------------------- (a) visibility


def test_creates_are_visible_on_every_node(cluster):
    c1 = cluster.clients[0]
    svc = c1.chat.v2.services.create(friendly_name=unique("mn-svc"))
    ch = c1.chat.v2.services(svc.sid).channels.create(friendly_name="general", unique_name=unique("mn-ch"))
    user = c1.chat.v2.services(svc.sid).users.create(identity=unique("alice"))
    for i, c in enumerate(cluster.clients[1:], start=2):
        s = c.chat.v2.services(svc.sid)
        fetched = s.fetch()
        assert (fetched.sid, fetched.friendly_name) == (svc.sid, svc.friendly_name), "node %d" % i
        assert s.channels(ch.sid).fetch().unique_name == ch.unique_name, "node %d" % i
        assert s.channels(ch.unique_name).fetch().sid == ch.sid, "node %d" % i
        assert s.users(user.sid).fetch().identity == user.identity, "node %d" % i
        assert s.users(user.identity).fetch().sid == user.sid, "node %d" % i


def test_service_update_is_visible_on_every_node(cluster):
    c1, c2, c3 = cluster.clients
    svc = c1.chat.v2.services.create(friendly_name=unique("mn-before"))
    # Every node has read the service (and may keep it in memory) before the update.
    for c in cluster.clients:
        assert c.chat.v2.services(svc.sid).fetch().friendly_name == svc.friendly_name
    new_name = unique("mn-after")
    updated = c2.chat.v2.services(svc.sid).update(friendly_name=new_name, limits_channel_members=7)
    assert updated.friendly_name == new_name and updated.limits["channel_members"] == 7
    want = {"friendly_name": new_name, "limits": dict(updated.limits)}
    stale = {}
    for i, c in ((1, c1), (2, c2), (3, c3)):
        got = _service_view(c, svc.sid)
        if got != want:
            stale[i] = (got, _converges(lambda c=c: _service_view(c, svc.sid) == want))
    assert not stale, "after POST /v2/Services/%s (FriendlyName, Limits.ChannelMembers=7) through " \
        "node 2, expected %r; stale nodes: %r" % (svc.sid, want, stale)


def test_service_limit_update_is_enforced_on_every_node(cluster):
    c1, c2, c3 = cluster.clients
    svc = c1.chat.v2.services.create(friendly_name=unique("mn-limit"))
    ch = c1.chat.v2.services(svc.sid).channels.create(unique_name=unique("mn-ch"))
    for c in cluster.clients:
        c.chat.v2.services(svc.sid).fetch()
    c2.chat.v2.services(svc.sid).update(limits_channel_members=1)
    c1.chat.v2.services(svc.sid).channels(ch.sid).members.create(identity="first")
    outcomes = {}
    for i, c in ((1, c1), (2, c2), (3, c3)):
        try:
            c.chat.v2.services(svc.sid).channels(ch.sid).members.create(identity="extra-%d" % i)
            outcomes[i] = "201 created"
        except TwilioRestException as e:
            outcomes[i] = "%s %s" % (e.status, e.code)
    count = c2.chat.v2.services(svc.sid).channels(ch.sid).fetch().members_count
    assert outcomes == {1: "403 50403", 2: "403 50403", 3: "403 50403"} and count == 1, (
        "Limits.ChannelMembers=1 set through node 2; second member add per node gave %r, "
        "members_count=%s" % (outcomes, count))


def test_service_delete_is_visible_on_every_node(cluster):
    c1, c2, c3 = cluster.clients
    svc = c1.chat.v2.services.create(friendly_name=unique("mn-del"))
    for c in cluster.clients:
        c.chat.v2.services(svc.sid).fetch()
    assert c2.chat.v2.services(svc.sid).delete() is True
    statuses = {i: _status_of(lambda c=c: c.chat.v2.services(svc.sid).fetch())
                for i, c in ((1, c1), (2, c2), (3, c3))}
    assert statuses == {1: 404, 2: 404, 3: 404}, (
        "GET /v2/Services/%s after DELETE through node 2: %r" % (svc.sid, statuses))


# --------------------------------------------------------------------------- (b) messages


def test_concurrent_messages_over_three_nodes_get_gap_free_indexes(cluster):
    c1 = cluster.clients[0]
    svc = c1.chat.v2.services.create(friendly_name=unique("mn-msg"))
    ch = c1.chat.v2.services(svc.sid).channels.create(unique_name=unique("mn-ch"))
    total, workers = 150, 15
    per_worker = total // workers

    def worker(w):
        # One Client per thread; thread w talks to node w % 3 only (50 messages per node).
        node = cluster.nodes[w % NODES]
        c = make_client(cluster.account_sid, cluster.auth_token, node.url)
        msgs = c.chat.v2.services(svc.sid).channels(ch.sid).messages
        out = []
        for j in range(per_worker):
            m = msgs.create(body="w%d-m%d" % (w, j), from_="sender%d" % w)
            out.append((node.index, m.index, m.sid, m.body))
        return out

    results = _run_pool([lambda w=w: worker(w) for w in range(workers)], workers)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, "message creates failed: %r" % errors[:5]
    created = [m for r in results for m in r]
    assert len(created) == total
    assert sorted({m[0] for m in created}) == [1, 2, 3]
    assert sorted(m[1] for m in created) == list(range(total)), "indexes are not exactly 0..%d" % (total - 1)
    assert len({m[2] for m in created}) == total
    bodies = {m[3] for m in created}
    for i, c in enumerate(cluster.clients, start=1):
        chan = c.chat.v2.services(svc.sid).channels(ch.sid)
        assert chan.fetch().messages_count == total, "messages_count through node %d" % i
        listed = chan.messages.list(page_size=50)
        assert [m.index for m in listed] == list(range(total)), "listed indexes through node %d" % i
        assert {m.body for m in listed} == bodies, "listed bodies through node %d" % i


# --------------------------------------------------------------------------- (c) members


def test_concurrent_member_adds_over_three_nodes_keep_counts_exact(cluster):
    c1 = cluster.clients[0]
    svc = c1.chat.v2.services.create(friendly_name=unique("mn-mem"))
    s1 = c1.chat.v2.services(svc.sid)
    chans = [s1.channels.create(unique_name=unique("mn-ch%d" % k)).sid for k in range(2)]
    idents = ["u%02d-%s" % (k, secrets.token_hex(3)) for k in range(20)]  # Users created implicitly
    local = threading.local()

    def svc_on(node_index):
        clients = getattr(local, "clients", None)
        if clients is None:
            clients = local.clients = {}
        if node_index not in clients:
            clients[node_index] = make_client(cluster.account_sid, cluster.auth_token,
                                              cluster.nodes[node_index].url)
        return clients[node_index].chat.v2.services(svc.sid)

    def add(node_index, ch, ident):
        try:
            svc_on(node_index).channels(ch).members.create(identity=ident)
            return "201"
        except TwilioRestException as e:
            return "%s %s" % (e.status, e.code)

    def remove(node_index, ch, ident):
        try:
            return "204" if svc_on(node_index).channels(ch).members(ident).delete() else "?"
        except TwilioRestException as e:
            return "%s %s" % (e.status, e.code)

    # Every (identity, channel) pair is added twice at once, through two different nodes.
    jobs, keys = [], []
    for k, ident in enumerate(idents):
        for ci, ch in enumerate(chans):
            for node_index in ((k + ci) % NODES, (k + ci + 1) % NODES):
                jobs.append(lambda n=node_index, ch=ch, ident=ident: add(n, ch, ident))
                keys.append((ident, ch))
    results = _run_pool(jobs, 12)
    by_pair = {}
    for key, r in zip(keys, results):
        by_pair.setdefault(key, []).append(r if isinstance(r, str) else repr(r))
    bad = {k: v for k, v in by_pair.items() if sorted(v) != ["201", "409 50404"]}
    assert not bad, "each pair must be added once and refused once (409 50404): %r" % dict(list(bad.items())[:5])

    def check(expected_members, expected_joined):
        for i, c in enumerate(cluster.clients, start=1):
            s = c.chat.v2.services(svc.sid)
            for ch in chans:
                assert s.channels(ch).fetch().members_count == expected_members[ch], \
                    "members_count of %s through node %d" % (ch, i)
                assert len(s.channels(ch).members.list(page_size=50)) == expected_members[ch], \
                    "members listed in %s through node %d" % (ch, i)
            users = {u.identity: u.joined_channels_count for u in s.users.list(page_size=50)}
            assert users == expected_joined, "users / joined_channels_count through node %d" % i

    check({ch: len(idents) for ch in chans}, {ident: 2 for ident in idents})

    # Half of the identities leave the first channel, each removed twice at once via two nodes.
    leaving = idents[: len(idents) // 2]
    jobs = [lambda n=n, ident=ident: remove(n, chans[0], ident)
            for k, ident in enumerate(leaving) for n in (k % NODES, (k + 2) % NODES)]
    results = _run_pool(jobs, 12)
    pairs = [sorted(results[2 * k: 2 * k + 2]) for k in range(len(leaving))]
    assert all(p == ["204", "404 20404"] for p in pairs), "concurrent removes: %r" % pairs
    check({chans[0]: len(idents) - len(leaving), chans[1]: len(idents)},
          {ident: (1 if ident in leaving else 2) for ident in idents})


# --------------------------------------------------------------------------- (d) API keys
