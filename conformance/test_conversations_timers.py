"""Conversation timers through twilio-python's client.conversations.v1: `timers_inactive` /
`timers_closed` are checked with Twilio's error codes and rendered as `timers`; a conversation
goes inactive, then closed, by itself, with one post-event webhook delivery per change, also
when the server is down while the timer falls due and when several nodes share one PostgreSQL
database; a message restarts the timers and makes an inactive conversation active again; the
account's default timers apply to conversations created without their own.

The servers here accept timers down to one second (`--conversation-timer-minimum-secs 1`);
the session server of conftest.py keeps Twilio's minima. Every wait is a poll with a generous
deadline."""

import collections
import time
from datetime import datetime, timezone

import pytest

from conftest import BanterServer, assert_rest_error, make_client, unique
from multinode import postgres, running_cluster  # noqa: F401
from webhook_receiver import Receiver

SHORT = ["--conversation-timer-minimum-secs", "1"]
DEADLINE = 60.0  # seconds a poll waits for a timer on a busy machine
QUIET = 2.0  # seconds to watch for late duplicate deliveries


# --------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def timer_server(tmp_path_factory):
    server = BanterServer(tmp_path_factory.mktemp("banter-timers"), extra_args=SHORT)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def tclient(timer_server):
    return make_client(timer_server.account_sid, timer_server.auth_token, timer_server.url)


@pytest.fixture
def hooked(tclient, timer_server):
    """A service whose post-event webhooks go to a receiver: (service context, receiver)."""
    rcv = Receiver(timer_server.auth_token).start()
    svc = tclient.chat.v2.services.create(friendly_name=unique("timers"))
    tclient.chat.v2.services(svc.sid).update(post_webhook_url=rcv.url("post"), webhook_method="POST")
    try:
        yield tclient.conversations.v1.services(svc.sid), rcv
    finally:
        rcv.stop()
        rcv.assert_signed()


def wait_state(ctx, sid, state, timeout=DEADLINE):
    deadline = time.monotonic() + timeout
    while True:
        c = ctx.conversations(sid).fetch()
        if c.state == state:
            return c
        assert time.monotonic() < deadline, "%s still %s, not %s, after %ss" % (sid, c.state, state, timeout)
        time.sleep(0.2)


def deliveries(rcv, sid):
    """Post-event deliveries about conversation `sid`, counted per event type."""
    counts = collections.Counter()
    for h in rcv.got("post"):
        p = h.params
        if sid in (p.get("ChannelSid"), p.get("ConversationSid")):
            counts[p.get("EventType")] += 1
    return counts


def assert_delivered(rcv, sid, changes):
    """Every event type delivered about `sid` came exactly once per change (after a quiet
    moment, so that a late duplicate would be seen)."""
    deadline = time.monotonic() + DEADLINE
    while not deliveries(rcv, sid) or min(deliveries(rcv, sid).values()) < changes:
        assert time.monotonic() < deadline, "deliveries for %s: %s" % (sid, deliveries(rcv, sid))
        time.sleep(0.2)
    time.sleep(QUIET)
    counts = deliveries(rcv, sid)
    assert counts and all(n == changes for n in counts.values()), (sid, counts)
    return counts


def when(text):
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


# --------------------------------------------------------------------------- validation


def test_timers_below_twilios_minima_are_refused(client):
    # The session server keeps Twilio's minima: one minute, ten minutes.
    conv = client.conversations.v1
    assert_rest_error(conv.conversations.create, 400, 50375, timers_inactive="PT59S")
    assert_rest_error(conv.conversations.create, 400, 50376, timers_closed="PT9M")
    assert_rest_error(conv.conversations.create, 400, 50379, timers_inactive="one minute")
    assert_rest_error(conv.conversations.create, 400, 50380, timers_closed="10M")
    c = conv.conversations.create(timers_inactive="PT1M", timers_closed="PT10M")
    inactive, closed = when(c.timers["date_inactive"]), when(c.timers["date_closed"])
    assert (closed - inactive).total_seconds() == 540, c.timers
    assert abs((inactive - c.date_created).total_seconds() - 60) <= 2, (c.timers, c.date_created)
    assert conv.conversations.create().timers == {}
    assert_rest_error(conv.conversations(c.sid).update, 400, 50376, timers_closed="PT1M")
    assert_rest_error(client.conversations.v1.configuration().update, 400, 50380,
                      default_closed_timer="later")


def test_closing_clears_timers_and_inactive_stops_the_inactive_one(tclient):
    conv = tclient.conversations.v1
    c = conv.conversations.create(timers_inactive="PT1H", timers_closed="P1D")
    assert set(c.timers) == {"date_inactive", "date_closed"}, c.timers
    inactive = conv.conversations(c.sid).update(state="inactive")
    assert inactive.timers == {"date_closed": c.timers["date_closed"]}, inactive.timers
    closed = conv.conversations(c.sid).update(state="closed")
    assert closed.state == "closed" and closed.timers == {}, closed.timers


# --------------------------------------------------------------------------- firing


def test_conversation_goes_inactive_then_closed_once(hooked):
    ctx, rcv = hooked
    c = ctx.conversations.create(friendly_name=unique("t"), timers_inactive="PT2S", timers_closed="PT5S")
    assert c.state == "active"
    assert set(c.timers) == {"date_inactive", "date_closed"}, c.timers
    inactive = wait_state(ctx, c.sid, "inactive")
    assert inactive.timers == {"date_closed": c.timers["date_closed"]}, inactive.timers
    closed = wait_state(ctx, c.sid, "closed")
    assert closed.timers == {}
    assert_delivered(rcv, c.sid, changes=2)
    # Closed is final: a message is refused.
    assert_rest_error(ctx.conversations(c.sid).messages.create, 400, 50377, body="late")


def test_timer_due_while_the_server_is_down_fires_once_at_start(hooked, timer_server):
    ctx, rcv = hooked
    c = ctx.conversations.create(friendly_name=unique("t"), timers_inactive="PT4S")
    assert ctx.conversations(c.sid).fetch().state == "active"
    due = when(c.timers["date_inactive"])
    # Stop before it is due; start again once it is overdue.
    timer_server.listen = timer_server.url.split("://", 1)[1]
    timer_server.stop_process()
    while datetime.now(timezone.utc) <= due:
        time.sleep(0.2)
    time.sleep(1.5)
    timer_server.url = None
    timer_server.start()
    inactive = wait_state(ctx, c.sid, "inactive")
    assert inactive.timers == {}
    assert_delivered(rcv, c.sid, changes=1)


def test_message_restarts_timers_and_reactivates(hooked):
    ctx, rcv = hooked
    c = ctx.conversations.create(friendly_name=unique("t"), timers_inactive="PT3S")
    first = when(c.timers["date_inactive"])
    time.sleep(1.2)
    ctx.conversations(c.sid).messages.create(author="ann", body="still here")
    moved = ctx.conversations(c.sid).fetch()
    assert moved.state == "active"
    assert when(moved.timers["date_inactive"]) > first, (c.timers, moved.timers)
    wait_state(ctx, c.sid, "inactive")
    # A message (without and with the webhook header) makes it active, its timer restarted.
    for enabled in ("false", "true"):
        ctx.conversations(c.sid).messages.create(author="ann", body="back",
                                                 x_twilio_webhook_enabled=enabled)
        again = ctx.conversations(c.sid).fetch()
        assert again.state == "active", again.state
        assert "date_inactive" in again.timers, again.timers
        wait_state(ctx, c.sid, "inactive")


def test_account_default_timers_apply_to_new_conversations(tclient):
    config = tclient.conversations.v1.configuration()
    try:
        assert config.update(default_inactive_timer="PT2S").default_inactive_timer == "PT2S"
        c = tclient.conversations.v1.conversations.create(friendly_name=unique("d"))
        own = tclient.conversations.v1.conversations.create(timers_inactive="PT1H")
        assert "date_inactive" in c.timers, c.timers
        assert (when(own.timers["date_inactive"]) - when(c.timers["date_inactive"])).total_seconds() > 3000
        wait_state(tclient.conversations.v1, c.sid, "inactive")
        assert tclient.conversations.v1.conversations(own.sid).fetch().state == "active"
    finally:
        config.update(default_inactive_timer="")
    assert tclient.conversations.v1.conversations.create().timers == {}


# --------------------------------------------------------------------------- several nodes


@pytest.fixture(scope="module")
def timer_cluster(postgres, tmp_path_factory):  # noqa: F811
    """Three nodes on one fresh PostgreSQL database, each accepting one-second timers."""
    with running_cluster(tmp_path_factory, extra_args=SHORT) as cluster:
        yield cluster


def test_timers_fire_once_with_several_nodes(timer_cluster):
    rcv = Receiver(timer_cluster.auth_token).start()
    try:
        admin = timer_cluster.clients[0]
        svc = admin.chat.v2.services.create(friendly_name=unique("mn-timers"))
        admin.chat.v2.services(svc.sid).update(post_webhook_url=rcv.url("post"), webhook_method="POST")
        # Created through every node; every node sweeps.
        sids = []
        for i in range(9):
            ctx = timer_cluster.clients[i % 3].conversations.v1.services(svc.sid)
            sids.append(ctx.conversations.create(timers_inactive="PT2S", timers_closed="PT4S").sid)
        for i, sid in enumerate(sids):
            reader = timer_cluster.clients[(i + 1) % 3].conversations.v1.services(svc.sid)
            assert wait_state(reader, sid, "closed").timers == {}
        for sid in sids:
            assert_delivered(rcv, sid, changes=2)
    finally:
        rcv.stop()
    rcv.assert_signed()
