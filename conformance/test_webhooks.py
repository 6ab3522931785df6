"""Webhooks, part 1: header gating, post-event parameters and pre-events (veto, modify, retry,
timeout), observed by the receiver in webhook_receiver.py.

Every request the receiver gets is checked with twilio-python's ``RequestValidator`` (POST:
exact hook URL + form params; GET: full URL with query string + no params).

Notes:
- twilio-python's generated DELETE methods drop ``X-Twilio-Webhook-Enabled`` (SDK.md trap 6),
  so a delete through the resource API never fires webhooks; deletes with the header are sent
  here through the SDK's generic ``client.request``.
- Waits are bounded; "nothing arrives" checks wait QUIET seconds (the delivery worker polls
  every 100 ms).
"""

import json
import time

import pytest

from conftest import SID_RE, assert_rest_error, unique
from end_users import end_user
from webhook_receiver import MS_DATE_RE, ON, check_common, free_port, hooks, names, proposed, rcv  # noqa: F401  (rcv is a fixture)



# --------------------------------------------------------------------------- header gating


def test_no_header_fires_nothing(svc, rcv, channel):
    hooks(svc, rcv, post_webhook_retry_count=0)
    ch = svc.channels.create(friendly_name=unique("ch"))
    svc.channels(ch.sid).update(friendly_name="renamed")
    user = svc.users.create(identity=unique("u"))
    svc.users(user.sid).update(friendly_name="F")
    svc.channels(ch.sid).members.create(identity=user.identity)
    m = svc.channels(ch.sid).messages.create(body="hi")
    svc.channels(ch.sid).messages(m.sid).update(body="edited")
    # explicit "false" behaves like no header
    svc.channels(ch.sid).messages.create(body="hi", x_twilio_webhook_enabled="false")
    svc.users.create(identity=unique("u"), x_twilio_webhook_enabled="false")
    rcv.assert_quiet()


def test_invalid_header_value_rejected(svc, channel):
    assert_rest_error(lambda: svc.channels(channel.sid).messages.create(
        body="x", x_twilio_webhook_enabled="maybe"), 400)


# --------------------------------------------------------------------------- post events


def test_message_sent_params_and_headers(banter, service, svc, rcv, channel):
    svc.update(post_webhook_url=rcv.url("post"))  # webhook_method unset: POST
    m = svc.channels(channel.sid).messages.create(
        body="hello world", from_="alice", attributes='{"k": 1}', x_twilio_webhook_enabled=ON)
    hit = rcv.wait_one("post", "onMessageSent")
    check_common(hit, banter, service, "onMessageSent")
    p = hit.params
    assert hit.method == "POST"
    assert hit.headers.get("content-type", "").startswith("application/x-www-form-urlencoded")
    assert hit.headers.get("i-twilio-idempotency-token"), hit.headers
    assert p["ChannelSid"] == channel.sid
    assert p["MessageSid"] == m.sid and SID_RE["IM"].match(m.sid)
    assert p["Index"] == str(m.index) == "0"
    assert p["Body"] == "hello world"
    assert p["Attributes"] == '{"k": 1}'
    assert p["From"] == "alice"
    assert MS_DATE_RE.match(p["DateCreated"]), p["DateCreated"]
    assert p["DateCreated"][:19] == m.date_created.strftime("%Y-%m-%dT%H:%M:%S")
    assert len(set(names(hit.pairs))) == len(hit.pairs), "repeated params: %s" % hit.pairs
    rcv.assert_quiet("post", expect=1)


def test_post_event_delivered_after_commit(svc, rcv, channel):
    hooks(svc, rcv, pre=False)
    rcv.on("post", lambda hit: svc.channels(channel.sid).messages(
        hit.params["MessageSid"]).fetch().body)
    svc.channels(channel.sid).messages.create(body="committed", x_twilio_webhook_enabled=ON)
    hit = rcv.wait_one("post", "onMessageSent")
    assert hit.callback_result == "committed", hit.callback_result


def test_channel_added_updated_params(banter, service, svc, rcv):
    hooks(svc, rcv, pre=False)
    ch = svc.channels.create(friendly_name="F1", unique_name=unique("un"), attributes='{"a":1}',
                             created_by="bob", x_twilio_webhook_enabled=ON)
    hit = rcv.wait_one("post", "onChannelAdded")
    check_common(hit, banter, service, "onChannelAdded")
    p = hit.params
    assert p["ChannelSid"] == ch.sid
    assert p["ChannelType"] == "public"
    assert p["FriendlyName"] == "F1"
    assert p["UniqueName"] == ch.unique_name
    assert p["Attributes"] == '{"a":1}'
    assert p["CreatedBy"] == "bob"
    assert MS_DATE_RE.match(p["DateCreated"]), p
    assert MS_DATE_RE.match(p["DateUpdated"]), p

    svc.channels(ch.sid).update(friendly_name="F2", x_twilio_webhook_enabled=ON)
    hit = rcv.wait_one("post", "onChannelUpdated")
    check_common(hit, banter, service, "onChannelUpdated")
    assert hit.params["ChannelSid"] == ch.sid
    assert hit.params["FriendlyName"] == "F2"
    assert hit.params["UniqueName"] == ch.unique_name


def test_member_added_updated_params(banter, service, svc, rcv, channel):
    user = svc.users.create(identity=unique("u"))
    hooks(svc, rcv, pre=False)
    mem = svc.channels(channel.sid).members.create(identity=user.identity,
                                                    x_twilio_webhook_enabled=ON)
    hit = rcv.wait_one("post", "onMemberAdded")
    check_common(hit, banter, service, "onMemberAdded")
    p = hit.params
    assert p["ChannelSid"] == channel.sid
    assert p["MemberSid"] == mem.sid
    assert p["Identity"] == user.identity
    assert p["RoleSid"] == mem.role_sid == service.default_channel_role_sid
    assert p["Reason"] == "ADDED"
    assert MS_DATE_RE.match(p.get("DateCreated", "")), p

    svc.channels(channel.sid).members(mem.sid).update(attributes='{"x":2}',
                                                     x_twilio_webhook_enabled=ON)
    hit = rcv.wait_one("post", "onMemberUpdated")
    check_common(hit, banter, service, "onMemberUpdated")
    assert hit.params["MemberSid"] == mem.sid
    assert hit.params["Identity"] == user.identity
    assert hit.params["ChannelSid"] == channel.sid


def test_user_added_updated_params(banter, service, svc, rcv):
    hooks(svc, rcv, pre=False)
    ident = unique("u")
    user = svc.users.create(identity=ident, friendly_name="Ann", attributes='{"t":1}',
                            x_twilio_webhook_enabled=ON)
    hit = rcv.wait_one("post", "onUserAdded")
    check_common(hit, banter, service, "onUserAdded")
    p = hit.params
    assert p["UserSid"] == user.sid
    assert p["Identity"] == ident
    assert p["FriendlyName"] == "Ann"
    assert p["Attributes"] == '{"t":1}'
    assert p["RoleSid"] == user.role_sid == service.default_service_role_sid
    assert MS_DATE_RE.match(p.get("DateCreated", "")), p

    svc.users(user.sid).update(friendly_name="Bea", x_twilio_webhook_enabled=ON)
    hit = rcv.wait_one("post", "onUserUpdated")
    check_common(hit, banter, service, "onUserUpdated")
    assert hit.params["UserSid"] == user.sid
    assert hit.params["Identity"] == ident
    assert hit.params["FriendlyName"] == "Bea"


def test_message_updated_params(banter, service, svc, rcv, channel):
    m = svc.channels(channel.sid).messages.create(body="v1")
    hooks(svc, rcv, pre=False)
    svc.channels(channel.sid).messages(m.sid).update(body="v2", x_twilio_webhook_enabled=ON)
    hit = rcv.wait_one("post", "onMessageUpdated")
    check_common(hit, banter, service, "onMessageUpdated")
    p = hit.params
    assert p["MessageSid"] == m.sid
    assert p["ChannelSid"] == channel.sid
    assert p["Index"] == "0"
    assert p["Body"] == "v2"


def test_sdk_message_delete_fires_nothing(svc, rcv, channel):
    """twilio-python's MessageContext.delete drops X-Twilio-Webhook-Enabled, so no hook fires."""
    m = svc.channels(channel.sid).messages.create(body="bye")
    hooks(svc, rcv)
    assert svc.channels(channel.sid).messages(m.sid).delete(x_twilio_webhook_enabled=ON) is True
    rcv.assert_quiet()
    assert svc.channels(channel.sid).messages.list() == []


def test_delete_with_header_fires_removed_and_destroyed(client, banter, service, svc, rcv,
                                                        base_url):
    """The same deletes sent with the header (via the SDK's generic client.request)."""
    ch = svc.channels.create(friendly_name=unique("ch"))
    user = svc.users.create(identity=unique("u"))
    mem = svc.channels(ch.sid).members.create(identity=user.identity)
    m = svc.channels(ch.sid).messages.create(body="gone")
    hooks(svc, rcv, pre=False)
    root = "%s/v2/Services/%s/Channels/%s" % (base_url, service.sid, ch.sid)
    hdr = {"X-Twilio-Webhook-Enabled": "true"}
    for path in ("/Messages/" + m.sid, "/Members/" + mem.sid, ""):
        r = client.request("DELETE", root + path, headers=dict(hdr))
        assert r.status_code == 204, (path, r.status_code, r.text)
    removed = rcv.wait_one("post", "onMessageRemoved")
    check_common(removed, banter, service, "onMessageRemoved")
    assert removed.params["MessageSid"] == m.sid
    assert removed.params["Body"] == "gone"
    left = rcv.wait_one("post", "onMemberRemoved")
    check_common(left, banter, service, "onMemberRemoved")
    assert left.params["MemberSid"] == mem.sid
    assert left.params["Reason"] == "REMOVED"
    destroyed = rcv.wait_one("post", "onChannelDestroyed")
    check_common(destroyed, banter, service, "onChannelDestroyed")
    assert destroyed.params["ChannelSid"] == ch.sid
    assert [h.event for h in rcv.got("post")] == [
        "onMessageRemoved", "onMemberRemoved", "onChannelDestroyed"]


# --------------------------------------------------------------------------- pre events
#
# Pre-events fire for end users' actions only (here: twilio-python acting with an Access
# Token); the operator's REST actions never fire them, with or without the header.


@pytest.fixture
def alice(banter, service, svc, channel):
    """An end user who is a member of `channel` (added by the operator)."""
    user = end_user(banter, service.sid, unique("alice"))
    svc.channels(channel.sid).members.create(identity=user.identity)
    return user


def test_operator_actions_never_fire_pre_events(svc, rcv, channel):
    hooks(svc, rcv)
    rcv.default("pre", 403, "no")
    m = svc.channels(channel.sid).messages.create(body="server side", x_twilio_webhook_enabled=ON)
    svc.channels(channel.sid).messages(m.sid).update(body="edited", x_twilio_webhook_enabled=ON)
    svc.channels(channel.sid).update(friendly_name="renamed", x_twilio_webhook_enabled=ON)
    assert svc.channels(channel.sid).messages(m.sid).fetch().body == "edited"
    rcv.wait("post", "onMessageUpdated")
    assert rcv.got("pre") == []


def test_pre_event_called_before_commit_with_params(banter, service, svc, rcv, channel, alice):
    hooks(svc, rcv)
    rcv.on("pre", lambda hit: len(svc.channels(channel.sid).messages.list()))
    m = alice.svc.channels(channel.sid).messages.create(body="pre?", from_="mallory")
    assert m._from == alice.identity
    pre = rcv.wait_one("pre", "onMessageSend")
    check_common(pre, banter, service, "onMessageSend", identity=alice.identity)
    assert pre.callback_result == 0, "message visible while its pre-event hook ran"
    p = pre.params
    assert p["ChannelSid"] == channel.sid
    assert p["Body"] == "pre?"
    assert p["From"] == alice.identity
    assert "MessageSid" not in p, p
    post = rcv.wait_one("post", "onMessageSent")
    check_common(post, banter, service, "onMessageSent", identity=alice.identity)
    assert post.params["MessageSid"] == m.sid
    assert pre.t < post.t


@pytest.mark.parametrize("status", [403, 400, 500])
def test_pre_event_rejection_blocks_message(svc, rcv, channel, alice, status):
    hooks(svc, rcv)
    rcv.default("pre", status, "no")
    assert_rest_error(lambda: alice.svc.channels(channel.sid).messages.create(body="blocked"),
                      403, 20403)
    assert len(rcv.got("pre", "onMessageSend")) == 1
    assert svc.channels(channel.sid).messages.list() == []
    assert svc.channels(channel.sid).fetch().messages_count == 0
    rcv.assert_quiet("post")


def test_pre_event_any_2xx_approves(svc, rcv, channel, alice):
    hooks(svc, rcv)
    rcv.default("pre", 204)
    m = alice.svc.channels(channel.sid).messages.create(body="ok")
    assert svc.channels(channel.sid).messages(m.sid).fetch().body == "ok"
    rcv.wait_one("post", "onMessageSent")


def test_pre_event_rejection_blocks_channel_member_user(banter, service, svc, rcv, channel):
    admin = end_user(banter, service.sid, unique("admin"))
    roles = {r.friendly_name: r.sid for r in svc.roles.list()}
    svc.users.create(identity=admin.identity, role_sid=roles["service admin"])
    other = svc.users.create(identity=unique("u"), friendly_name="orig")
    hooks(svc, rcv)
    rcv.default("pre", 403)
    fname = unique("blocked")
    assert_rest_error(lambda: admin.svc.channels.create(friendly_name=fname), 403, 20403)
    assert fname not in [c.friendly_name for c in svc.channels.list()]
    assert_rest_error(lambda: admin.svc.channels(channel.sid).members.create(
        identity=other.identity), 403, 20403)
    assert svc.channels(channel.sid).members.list() == []
    assert_rest_error(lambda: admin.svc.users(other.sid).update(friendly_name="changed"),
                      403, 20403)
    assert svc.users(other.sid).fetch().friendly_name == "orig"
    assert_rest_error(lambda: admin.svc.channels(channel.sid).update(friendly_name="changed"),
                      403, 20403)
    assert svc.channels(channel.sid).fetch().friendly_name == channel.friendly_name
    assert [h.event for h in rcv.got("pre")] == [
        "onChannelAdd", "onMemberAdd", "onUserUpdate", "onChannelUpdate"]
    rcv.assert_quiet("post")


def test_pre_event_rejection_blocks_message_and_member_update(svc, rcv, channel, alice):
    mem = svc.channels(channel.sid).members(alice.identity).update(attributes='{"v":1}')
    m = alice.svc.channels(channel.sid).messages.create(body="v1")
    hooks(svc, rcv)
    rcv.default("pre", 403)
    assert_rest_error(lambda: alice.svc.channels(channel.sid).messages(m.sid).update(
        body="v2", attributes='{"e":1}'), 403, 20403)
    assert svc.channels(channel.sid).messages(m.sid).fetch().body == "v1"
    assert_rest_error(lambda: alice.svc.channels(channel.sid).members(mem.sid).update(
        attributes='{"v":2}'), 403, 20403)
    assert json.loads(svc.channels(channel.sid).members(mem.sid).fetch().attributes) == {"v": 1}
    pres = rcv.got("pre")
    assert [h.event for h in pres] == ["onMessageUpdate", "onMemberUpdate"]
    # the pre-event must show the proposed change (as the field itself or as New<Field>)
    assert pres[0].params["MessageSid"] == m.sid
    assert proposed(pres[0], "Body") == "v2", pres[0].pairs
    assert json.loads(proposed(pres[0], "Attributes")) == {"e": 1}, pres[0].pairs
    assert pres[1].params["MemberSid"] == mem.sid
    assert json.loads(proposed(pres[1], "Attributes")) == {"v": 2}, pres[1].pairs
    rcv.assert_quiet("post")


def test_pre_event_modifies_message(svc, rcv, channel, alice):
    hooks(svc, rcv)
    rcv.script("pre", (200, json.dumps({"body": "modified", "attributes": '{"m":true}'}), 0),
               (200, json.dumps({"Body": "PASCAL"}), 0))
    messages = alice.svc.channels(channel.sid).messages
    m1 = messages.create(body="original")
    assert m1.body == "modified"
    assert json.loads(m1.attributes) == {"m": True}
    assert svc.channels(channel.sid).messages(m1.sid).fetch().body == "modified"
    m2 = messages.create(body="original")
    assert m2.body == "PASCAL"
    rcv.script("pre", (200, "OK, not JSON", 0))
    m3 = messages.create(body="original")
    assert m3.body == "original"
    posts = rcv.wait("post", "onMessageSent", 3)
    assert [h.params["Body"] for h in posts] == ["modified", "PASCAL", "original"]
    assert json.loads(posts[0].params["Attributes"]) == {"m": True}


def test_pre_event_modifies_channel(banter, service, svc, rcv):
    bob = end_user(banter, service.sid, unique("bob"))
    hooks(svc, rcv)
    rcv.default("pre", 200, json.dumps({"friendly_name": "renamed by hook"}))
    ch = bob.svc.channels.create(friendly_name="asked")
    pre = rcv.got("pre", "onChannelAdd")[0]
    assert pre.params["FriendlyName"] == "asked"
    assert pre.params["CreatedBy"] == bob.identity
    assert "ChannelSid" not in pre.params, pre.params
    assert ch.friendly_name == "renamed by hook"
    assert ch.created_by == bob.identity
    assert svc.channels(ch.sid).fetch().friendly_name == "renamed by hook"
    post = rcv.wait_one("post", "onChannelAdded")
    assert post.params["FriendlyName"] == "renamed by hook"


def test_pre_event_modifies_user(banter, service, svc, rcv):
    carol = end_user(banter, service.sid, unique("carol"))
    user = svc.users.create(identity=carol.identity, friendly_name="orig")
    hooks(svc, rcv)
    rcv.default("pre", 200, json.dumps({"friendly_name": "hooked"}))
    out = carol.svc.users(user.sid).update(friendly_name="asked")
    pre = rcv.got("pre", "onUserUpdate")[0]
    assert pre.params["UserSid"] == user.sid
    assert proposed(pre, "FriendlyName") == "asked", pre.pairs
    assert out.friendly_name == "hooked"
    assert svc.users(user.sid).fetch().friendly_name == "hooked"
    assert rcv.wait_one("post", "onUserUpdated").params["FriendlyName"] == "hooked"


def test_pre_event_modification_over_limit_rejected(svc, rcv, channel, alice):
    hooks(svc, rcv)
    rcv.default("pre", 200, json.dumps({"body": "x" * 40000}))
    assert_rest_error(lambda: alice.svc.channels(channel.sid).messages.create(body="short"),
                      400, 50504)
    assert svc.channels(channel.sid).messages.list() == []
    rcv.assert_quiet("post")


def test_pre_event_retried_on_503(svc, rcv, channel, alice):
    hooks(svc, rcv, pre_webhook_retry_count=1)
    rcv.script("pre", (503, "", 0))
    m = alice.svc.channels(channel.sid).messages.create(body="retry")
    pres = rcv.got("pre", "onMessageSend")
    assert [h.params["RetryCount"] for h in pres] == ["0", "1"]
    assert svc.channels(channel.sid).messages(m.sid).fetch().body == "retry"


def test_pre_event_timeout_502_50076(svc, rcv, channel, alice):
    hooks(svc, rcv, pre_webhook_retry_count=0)
    rcv.default("pre", 200, "", 6.0)
    messages = alice.svc.channels(channel.sid).messages
    t0 = time.monotonic()
    err = assert_rest_error(lambda: messages.create(body="slow"), 502, 50076)
    elapsed = time.monotonic() - t0
    assert 4.5 <= elapsed < 6.5, "pre-event timeout after %.2fs, expected ~5s" % elapsed
    assert len(rcv.got("pre")) == 1
    assert svc.channels(channel.sid).messages.list() == []
    rcv.assert_quiet("post", seconds=0.5)
    # A closed port fails the same way: no reason reaches the caller.
    hooks(svc, rcv, pre_webhook_url="http://127.0.0.1:%d/pre" % free_port())
    closed = assert_rest_error(lambda: messages.create(body="closed"), 502, 50076)
    assert closed.msg == err.msg, (closed.msg, err.msg)
