"""Webhooks, part 2: delivery options (filters, GET, signing, ordering), retries, channel
webhooks, metrics, private targets and at-least-once delivery across a crash, observed by the
receiver in webhook_receiver.py. Waits are bounded."""

import json
import time

import pytest

from conftest import BanterServer, assert_rest_error, make_client, unique, wait_until
from end_users import end_user
from webhook_receiver import ON, QUIET, Receiver, check_common, free_port, hooks, metrics, rcv  # noqa: F401  (rcv is a fixture)


# --------------------------------------------------------------------------- delivery options


def test_webhook_filters_select_events(banter, service, svc, rcv):
    hooks(svc, rcv, webhook_filters=["onMessageSent", "onMessageSend"])
    rcv.default("pre", 403)  # would block everything the filter lets through, except messages
    rcv.script("pre", (200, "", 0))
    user = end_user(banter, service.sid, unique("u"))  # created on its first request
    ch = user.svc.channels.create(friendly_name=unique("ch"))
    user.svc.channels(ch.sid).members.create(identity=user.identity)
    user.svc.channels(ch.sid).messages.create(body="only me")
    rcv.wait_one("post", "onMessageSent")
    time.sleep(QUIET)
    assert [h.event for h in rcv.got("pre")] == ["onMessageSend"]
    assert [h.event for h in rcv.got("post")] == ["onMessageSent"]


def test_get_method_sends_query_params(banter, service, svc, rcv, channel):
    url = rcv.url("post") + "?token=abc"
    svc.update(post_webhook_url=url, pre_webhook_url=rcv.url("pre"), webhook_method="GET")
    alice = end_user(banter, service.sid, unique("alice"))
    svc.channels(channel.sid).members.create(identity=alice.identity)
    m = alice.svc.channels(channel.sid).messages.create(body="via get")
    pre = rcv.got("pre", "onMessageSend")
    assert len(pre) == 1 and pre[0].method == "GET" and pre[0].body == "", pre
    assert pre[0].valid and pre[0].params["Body"] == "via get"
    hit = rcv.wait_one("post", "onMessageSent")
    assert hit.method == "GET"
    assert hit.body == ""
    assert hit.url.startswith(url + "&"), hit.url
    check_common(hit, banter, service, "onMessageSent", identity=alice.identity)
    assert hit.params["token"] == "abc"
    assert hit.params["MessageSid"] == m.sid
    assert hit.params["Body"] == "via get"


def test_non_ascii_params_signed(banter, service, svc, rcv, channel):
    hooks(svc, rcv)
    body = "h\u00e9llo \u2713 & = + % \U0001f600 \n line2"
    attrs = json.dumps({"k": "\u00fc & ="}, ensure_ascii=False)
    alice = end_user(banter, service.sid, "\u00e4lice-" + unique())
    svc.channels(channel.sid).members.create(identity=alice.identity)
    alice.svc.channels(channel.sid).messages.create(body=body, attributes=attrs)
    for name, event in (("pre", "onMessageSend"), ("post", "onMessageSent")):
        hit = rcv.wait_one(name, event)
        check_common(hit, banter, service, event, identity=alice.identity)
        assert hit.params["Body"] == body
        assert hit.params["Attributes"] == attrs
        assert hit.params["From"] == alice.identity


def test_post_hook_url_with_query_string_signed(banter, service, svc, rcv, channel):
    url = rcv.url("post") + "?a=1&b=two"
    svc.update(post_webhook_url=url, webhook_method="POST")
    svc.channels(channel.sid).messages.create(body="q", x_twilio_webhook_enabled=ON)
    hit = rcv.wait_one("post", "onMessageSent")
    assert hit.url == url
    check_common(hit, banter, service, "onMessageSent")
    assert "a" not in hit.params


def test_ordering_within_channel(svc, rcv, channel):
    hooks(svc, rcv, pre=False)
    rcv.default("post", 200, "", 0.05)
    for i in range(10):
        svc.channels(channel.sid).messages.create(body="m%d" % i, x_twilio_webhook_enabled=ON)
    hits = rcv.wait("post", "onMessageSent", 10, timeout=15)
    assert [h.params["Index"] for h in hits] == [str(i) for i in range(10)]
    assert [h.params["Body"] for h in hits] == ["m%d" % i for i in range(10)]
    assert len({h.headers.get("i-twilio-idempotency-token") for h in hits}) == 10


def test_channel_events_in_causal_order(svc, rcv):
    hooks(svc, rcv, pre=False)
    user = svc.users.create(identity=unique("u"))
    ch = svc.channels.create(friendly_name=unique("ch"), x_twilio_webhook_enabled=ON)
    svc.channels(ch.sid).members.create(identity=user.identity, x_twilio_webhook_enabled=ON)
    svc.channels(ch.sid).messages.create(body="x", x_twilio_webhook_enabled=ON)
    svc.channels(ch.sid).update(friendly_name="y", x_twilio_webhook_enabled=ON)
    rcv.wait("post", count=4)
    assert [h.event for h in rcv.got("post")] == [
        "onChannelAdded", "onMemberAdded", "onMessageSent", "onChannelUpdated"]


# --------------------------------------------------------------------------- retries


def test_post_retries_503_then_200(svc, rcv, channel):
    hooks(svc, rcv, pre=False, post_webhook_retry_count=2)
    rcv.script("post", (503, "", 0), (503, "", 0))
    m = svc.channels(channel.sid).messages.create(body="r", x_twilio_webhook_enabled=ON)
    hits = rcv.wait("post", "onMessageSent", 3, timeout=10)
    assert [h.params["RetryCount"] for h in hits] == ["0", "1", "2"]
    assert {h.params["MessageSid"] for h in hits} == {m.sid}
    tokens = {h.headers.get("i-twilio-idempotency-token") for h in hits}
    assert len(tokens) == 1 and None not in tokens, tokens
    rcv.assert_quiet("post", expect=3)


@pytest.mark.parametrize("status", [429, 500])
def test_post_retries_429_and_5xx(svc, rcv, channel, status):
    hooks(svc, rcv, pre=False, post_webhook_retry_count=1)
    rcv.script("post", (status, "", 0))
    svc.channels(channel.sid).messages.create(body="r", x_twilio_webhook_enabled=ON)
    hits = rcv.wait("post", "onMessageSent", 2, timeout=8)
    assert [h.params["RetryCount"] for h in hits] == ["0", "1"]


def test_post_timeout_is_retried(svc, rcv, channel):
    hooks(svc, rcv, pre=False, post_webhook_retry_count=1)
    rcv.script("post", (200, "", 6.0))
    svc.channels(channel.sid).messages.create(body="slow", x_twilio_webhook_enabled=ON)
    hits = rcv.wait("post", "onMessageSent", 2, timeout=12)
    assert [h.params["RetryCount"] for h in hits] == ["0", "1"]
    assert hits[1].t - hits[0].t >= 4.5, "retried before the 5 s timeout"
    assert len({h.headers.get("i-twilio-idempotency-token") for h in hits}) == 1


def test_retry_blocks_later_events_of_same_channel_only(svc, rcv, channel):
    other = svc.channels.create(friendly_name=unique("ch"))
    hooks(svc, rcv, pre=False, post_webhook_retry_count=0)
    fails = {"n": 0}

    def answer(hit):
        if hit.params.get("ChannelSid") == channel.sid and fails["n"] < 2:
            fails["n"] += 1
            return (503, "", 0)
        return None
    rcv.on("post", answer)
    svc.channels(channel.sid).messages.create(body="a0", x_twilio_webhook_enabled=ON)
    svc.channels(channel.sid).messages.create(body="a1", x_twilio_webhook_enabled=ON)
    svc.channels(other.sid).messages.create(body="b0", x_twilio_webhook_enabled=ON)
    hits = rcv.wait("post", "onMessageSent", 5, timeout=12)
    b = [h for h in hits if h.params["ChannelSid"] == other.sid]
    a_hits = [h for h in hits if h.params["ChannelSid"] == channel.sid]
    a = [(h.params["Body"], h.params["RetryCount"]) for h in a_hits]
    assert a == [("a0", "0"), ("a0", "1"), ("a0", "2"), ("a1", "0")], a
    assert len(b) == 1, b
    assert b[0].t < a_hits[2].t, "other channel's event was held back by this channel's retries"


def test_channel_webhook_retry_count(svc, rcv, channel):
    svc.channels(channel.sid).webhooks.create(
        type="webhook", configuration_url=rcv.url("chan"), configuration_filters=["onMessageSent"],
        configuration_retry_count=1)
    rcv.script("chan", (503, "", 0), (503, "", 0))
    svc.channels(channel.sid).messages.create(body="x", x_twilio_webhook_enabled=ON)
    hits = rcv.wait("chan", "onMessageSent", 2, timeout=6)
    assert [h.params["RetryCount"] for h in hits][:2] == ["0", "1"]
    assert rcv.got("chan")[1].headers.get("i-twilio-idempotency-token") == \
        hits[0].headers.get("i-twilio-idempotency-token")


@pytest.mark.parametrize("status", [400, 404])
def test_post_4xx_not_retried(svc, rcv, channel, status):
    hooks(svc, rcv, pre=False, post_webhook_retry_count=3)
    rcv.default("post", status)
    svc.channels(channel.sid).messages.create(body="r", x_twilio_webhook_enabled=ON)
    rcv.wait_one("post", "onMessageSent")
    rcv.assert_quiet("post", expect=1, seconds=2.5)


def test_receiver_down_then_back_gets_everything(banter, svc, channel):
    port = free_port()
    rcv = Receiver(banter.auth_token, port)  # not started: the port is closed
    hooks(svc, rcv, pre=False, post_webhook_retry_count=0)
    sids = [svc.channels(channel.sid).messages.create(
        body="d%d" % i, x_twilio_webhook_enabled=ON).sid for i in range(3)]
    time.sleep(14)
    rcv.start()
    try:
        hits = rcv.wait("post", "onMessageSent", 3, timeout=26)
        assert [h.params["MessageSid"] for h in hits] == sids
        assert int(hits[0].params["RetryCount"]) >= 1, hits[0].params
    finally:
        rcv.stop()


# --------------------------------------------------------------------------- channel webhooks


def test_channel_webhook_type_webhook(banter, service, svc, rcv, channel):
    hooks(svc, rcv, pre=False)
    wh = svc.channels(channel.sid).webhooks.create(
        type="webhook", configuration_url=rcv.url("chan"), configuration_method="POST",
        configuration_filters=["onMessageSent"])
    user = svc.users.create(identity=unique("u"))
    svc.channels(channel.sid).members.create(identity=user.identity, x_twilio_webhook_enabled=ON)
    m = svc.channels(channel.sid).messages.create(body="to both", x_twilio_webhook_enabled=ON)
    hit = rcv.wait_one("chan", "onMessageSent")
    check_common(hit, banter, service, "onMessageSent")
    assert hit.params["WebhookSid"] == wh.sid
    assert hit.params["WebhookType"] == "webhook"
    assert hit.params["MessageSid"] == m.sid
    assert hit.params["ChannelSid"] == channel.sid
    svc_hit = rcv.wait_one("post", "onMessageSent")
    assert "WebhookSid" not in svc_hit.params
    rcv.wait_one("post", "onMemberAdded")
    # filtered: onMemberAdded is not sent to the channel webhook
    assert [h.event for h in rcv.assert_quiet("chan", expect=1)] == ["onMessageSent"]


def test_channel_webhook_get_method(banter, service, svc, rcv, channel):
    wh = svc.channels(channel.sid).webhooks.create(
        type="webhook", configuration_url=rcv.url("chan"), configuration_method="GET",
        configuration_filters=["onMessageSent"])
    svc.channels(channel.sid).messages.create(body="get me", x_twilio_webhook_enabled=ON)
    hit = rcv.wait_one("chan", "onMessageSent")
    assert hit.method == "GET" and hit.body == ""
    check_common(hit, banter, service, "onMessageSent")
    assert hit.params["WebhookSid"] == wh.sid
    assert hit.params["Body"] == "get me"


def test_channel_webhook_needs_header(svc, rcv, channel):
    svc.channels(channel.sid).webhooks.create(
        type="webhook", configuration_url=rcv.url("chan"), configuration_filters=["onMessageSent"])
    svc.channels(channel.sid).messages.create(body="silent")
    rcv.assert_quiet()


def test_channel_trigger_webhook(banter, service, svc, rcv, channel):
    wh = svc.channels(channel.sid).webhooks.create(
        type="trigger", configuration_url=rcv.url("trig"), configuration_method="POST",
        configuration_triggers=["help"])
    bodies = ["I need HELP!", "helpful tips", "nothing here", "help", "self-help: ok"]
    for b in bodies:
        svc.channels(channel.sid).messages.create(body=b, x_twilio_webhook_enabled=ON)
    hits = rcv.wait("trig", "onMessageSent", 3)
    hits = rcv.assert_quiet("trig", expect=3, seconds=1.0)
    assert [h.params["Body"] for h in hits] == ["I need HELP!", "help", "self-help: ok"]
    for h in hits:
        check_common(h, banter, service, "onMessageSent")
        assert h.params["WebhookSid"] == wh.sid
        assert h.params["WebhookType"] == "trigger"


# --------------------------------------------------------------------------- metrics, rejection


def test_metrics_counters(base_url, svc, rcv, channel):
    before, resp = metrics(base_url)
    assert resp.headers["content-type"].startswith("text/plain"), resp.headers
    assert "# TYPE banter_webhook_deliveries_total counter" in resp.text
    assert set(before) == {"sent", "retried", "failed"}, resp.text
    hooks(svc, rcv, pre=False, post_webhook_retry_count=1)
    rcv.script("post", (503, "", 0), (200, "", 0), (400, "", 0))
    svc.channels(channel.sid).messages.create(body="a", x_twilio_webhook_enabled=ON)
    svc.channels(channel.sid).messages.create(body="b", x_twilio_webhook_enabled=ON)
    rcv.wait("post", "onMessageSent", 3, timeout=8)

    def grown():
        now, _ = metrics(base_url)
        return (now["sent"] >= before["sent"] + 1 and now["retried"] >= before["retried"] + 1
                and now["failed"] >= before["failed"] + 1)
    deadline = time.monotonic() + 5
    while not grown() and time.monotonic() < deadline:
        time.sleep(0.1)
    after, _ = metrics(base_url)
    assert grown(), (before, after)


def test_rejected_change_sends_nothing(svc, rcv, channel):
    hooks(svc, rcv)
    assert_rest_error(lambda: svc.channels(channel.sid).messages.create(
        body="x" * (32 * 1024 + 1), x_twilio_webhook_enabled=ON), 400, 50504)
    assert_rest_error(lambda: svc.channels(channel.sid).messages.create(
        body="x", attributes="{not json", x_twilio_webhook_enabled=ON), 400, 50304)
    assert svc.channels(channel.sid).messages.list() == []
    rcv.assert_quiet()


# --------------------------------------------------------------------------- private targets

LOCAL_SPELLINGS = ("127.0.0.1", "127.1", "2130706433", "0x7f000001", "[::ffff:127.0.0.1]",
                   "localhost", "user@127.0.0.1", "evil.com@127.0.0.1")


def test_private_targets_refused_when_not_allowed(tmp_path):
    """With --webhooks-allow-private false no spelling of this machine is reached, and a
    pre-event hook at an open port fails exactly like one at a closed port."""
    server = BanterServer(tmp_path, extra_args=["--webhooks-allow-private", "false"])
    server.start()
    rcv = Receiver(server.auth_token).start()
    try:
        c = make_client(server.account_sid, server.auth_token, server.url)
        errors = []
        bases = ["http://%s:%d" % (host, rcv.port) for host in LOCAL_SPELLINGS]
        bases.append("http://127.0.0.1:%d" % free_port())  # closed
        for base in bases:
            pre_sid = c.chat.v2.services.create(friendly_name=unique("svc")).sid
            pre = c.chat.v2.services(pre_sid)
            pre.update(pre_webhook_url=base + rcv.path("pre"), webhook_method="POST")
            ch = pre.channels.create(friendly_name=unique("ch"))
            user = end_user(server, pre_sid, unique("u"))
            pre.channels(ch.sid).members.create(identity=user.identity)
            err = assert_rest_error(lambda: user.svc.channels(ch.sid).messages.create(body="x"),
                                    502, 50076)
            errors.append((err.status, err.code, err.msg))
            post = c.chat.v2.services(c.chat.v2.services.create(friendly_name=unique("svc")).sid)
            post.update(post_webhook_url=base + rcv.path("post"), webhook_method="POST")
            ch = post.channels.create(friendly_name=unique("ch"))
            post.channels(ch.sid).webhooks.create(
                type="webhook", configuration_url=base + rcv.path("chan"),
                configuration_filters=["onMessageSent"])
            post.channels(ch.sid).messages.create(body="x", x_twilio_webhook_enabled=ON)
        assert len(set(errors)) == 1, errors
        assert "127.0.0.1" not in errors[0][2] and "refused" not in errors[0][2].lower()
        assert wait_until(lambda: metrics(server.url)[0]["failed"] >= 2 * len(errors), 5)
        rcv.assert_quiet()
        assert metrics(server.url)[0]["retried"] == 0
    finally:
        rcv.stop()
        server.stop()


# --------------------------------------------------------------------------- crash


def test_at_least_once_across_crash(tmp_path):
    server = BanterServer(tmp_path)
    server.start()
    port = free_port()
    rcv = Receiver(server.auth_token, port)  # down
    try:
        c = make_client(server.account_sid, server.auth_token, server.url)
        s = c.chat.v2.services.create(friendly_name=unique("svc"))
        sv = c.chat.v2.services(s.sid)
        sv.update(post_webhook_url=rcv.url("post"), webhook_method="POST",
                  post_webhook_retry_count=0)
        ch = sv.channels.create(friendly_name=unique("ch"))
        sids = [sv.channels(ch.sid).messages.create(
            body="crash %d" % i, x_twilio_webhook_enabled=ON).sid for i in range(5)]
        time.sleep(0.5)
        server.proc.kill()
        server.proc.wait(timeout=10)
        server._stderr.close()
        server.url = None
        server.start()  # same data, same account
        rcv.start()
        hits = rcv.wait("post", "onMessageSent", 5, timeout=35)
        got = [h.params["MessageSid"] for h in hits]
        assert set(got) == set(sids), (got, sids)
        first = list(dict.fromkeys(h.params["Body"] for h in hits))
        assert first == ["crash %d" % i for i in range(5)], first
        for h in hits:
            assert h.params["InstanceSid"] == s.sid
    finally:
        rcv.stop()
        server.stop()
