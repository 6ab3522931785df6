"""Conversations webhooks through twilio-python's ``conversations.v1``: the service-level
(``/v1/Services/{IS}/Configuration/Webhooks``), account-level (``/v1/Configuration/Webhooks``,
for the default service) and conversation-scoped receivers get Conversations' event names and
payloads, signed, through the outbox; Chat's receivers keep Chat's. Waits are bounded."""

import json
import time

import pytest

from conftest import assert_rest_error
from end_users import end_user
from webhook_receiver import ON, QUIET, rcv  # noqa: F401  (rcv is a fixture)

POST_EVENTS = [
    "onConversationAdded", "onConversationUpdated", "onConversationRemoved",
    "onConversationStateUpdated", "onParticipantAdded", "onParticipantUpdated",
    "onParticipantRemoved", "onMessageAdded", "onMessageUpdated", "onMessageRemoved",
]


@pytest.fixture
def conv(client, service):
    return client.conversations.v1.services(service.sid)


def check_common(hit, banter, service_sid, event, identity=None):
    p = hit.params
    assert p["EventType"] == event, p
    assert p["AccountSid"] == banter.account_sid
    assert p["ChatServiceSid"] == service_sid
    assert p["RetryCount"] == "0"
    if identity is None:
        assert p["Source"] == "API" and "ClientIdentity" not in p, p
    else:
        assert p["Source"] == "SDK" and p["ClientIdentity"] == identity, p
    assert hit.valid, "bad signature"
    # Chat's names never appear in a Conversations payload.
    for chat_only in ("ChannelSid", "InstanceSid", "MemberSid", "From"):
        assert chat_only not in p, (event, chat_only, p)


def delete_with_webhooks(client, url):
    """A DELETE asking for webhooks. twilio-python's delete methods take
    ``x_twilio_webhook_enabled`` but drop the header (they reset ``headers`` before sending),
    so the SDK's own generic request sends it."""
    resp = client.request("DELETE", url.rstrip("/"), headers={"X-Twilio-Webhook-Enabled": "true"})
    assert resp.status_code == 204, (resp.status_code, resp.text)


def test_service_webhooks_carry_conversations_payloads(banter, client, service, conv, rcv):
    conv.configuration.webhooks().update(post_webhook_url=rcv.url("post"), filters=POST_EVENTS, method="POST")
    c = conv.conversations.create(friendly_name="hooked", attributes='{"a":1}', x_twilio_webhook_enabled=ON)
    cp = conv.conversations(c.sid)
    alice = cp.participants.create(identity="alice", x_twilio_webhook_enabled=ON)
    m = cp.messages.create(author="alice", body="hello", x_twilio_webhook_enabled=ON)
    cp.messages(m.sid).update(body="edited", x_twilio_webhook_enabled=ON)
    cp.participants(alice.sid).update(last_read_message_index=0, x_twilio_webhook_enabled=ON)
    cp.update(state="inactive", x_twilio_webhook_enabled=ON)
    for path in ("Messages/" + m.sid, "Participants/" + alice.sid, ""):
        delete_with_webhooks(client, "%s/v1/Services/%s/Conversations/%s/%s" % (banter.url, service.sid, c.sid, path))
    expected = [
        "onConversationAdded", "onParticipantAdded", "onMessageAdded", "onMessageUpdated",
        "onParticipantUpdated", "onConversationUpdated", "onConversationStateUpdated",
        "onMessageRemoved", "onParticipantRemoved", "onConversationRemoved",
    ]
    hits = rcv.wait("post", count=len(expected))
    hits = rcv.assert_quiet("post", expect=len(expected))
    assert [h.event for h in hits] == expected
    by = {h.event: h for h in hits}
    for h in hits:
        check_common(h, banter, service.sid, h.event)
        assert h.params["ConversationSid"] == c.sid
    added = by["onConversationAdded"].params
    assert added["FriendlyName"] == "hooked" and added["Attributes"] == '{"a":1}'
    assert added["State"] == "active"
    p = by["onParticipantAdded"].params
    assert (p["ParticipantSid"], p["Identity"]) == (alice.sid, "alice")
    msg = by["onMessageAdded"].params
    assert (msg["MessageSid"], msg["Index"], msg["Author"], msg["Body"]) == (m.sid, "0", "alice", "hello")
    assert msg["ParticipantSid"] == alice.sid
    assert by["onMessageUpdated"].params["Body"] == "edited"
    assert by["onParticipantUpdated"].params["LastReadMessageIndex"] == "0"
    st = by["onConversationStateUpdated"].params
    assert (st["StateFrom"], st["StateTo"]) == ("active", "inactive")
    assert by["onConversationUpdated"].params["State"] == "inactive"
    assert "DateRemoved" in by["onMessageRemoved"].params
    assert by["onParticipantRemoved"].params["ParticipantSid"] == alice.sid
    assert "DateRemoved" in by["onConversationRemoved"].params


def test_filters_select_and_rest_needs_the_header(conv, rcv):
    conv.configuration.webhooks().update(post_webhook_url=rcv.url("post"), filters=["onMessageAdded"])
    c = conv.conversations.create(x_twilio_webhook_enabled=ON)
    cp = conv.conversations(c.sid)
    cp.participants.create(identity="bob", x_twilio_webhook_enabled=ON)
    cp.messages.create(author="system", body="quiet")  # no header: no webhook
    m = cp.messages.create(author="system", body="loud", x_twilio_webhook_enabled=ON)
    hit = rcv.wait_one("post", "onMessageAdded")
    assert hit.params["MessageSid"] == m.sid and hit.params["Index"] == "1"
    assert "ParticipantSid" not in hit.params  # `system` is not a participant
    assert [h.event for h in rcv.assert_quiet("post", expect=1)] == ["onMessageAdded"]


def test_chat_and_conversations_receivers_both_fire(banter, client, service, conv, rcv):
    chat = client.chat.v2.services(service.sid)
    chat.update(post_webhook_url=rcv.url("post"), webhook_filters=["onMessageSent"])
    conv.configuration.webhooks().update(filters=["onMessageAdded"])
    cfg = conv.configuration.webhooks().fetch()
    assert cfg.post_webhook_url == rcv.url("post") and cfg.filters == ["onMessageAdded"]
    c = conv.conversations.create()
    m = chat.channels(c.sid).messages.create(from_="carol", body="twice", x_twilio_webhook_enabled=ON)
    hits = rcv.wait("post", count=2)
    hits = rcv.assert_quiet("post", expect=2)
    assert sorted(h.event for h in hits) == ["onMessageAdded", "onMessageSent"]
    for h in hits:
        assert h.params["MessageSid"] == m.sid
    chat_hit = next(h for h in hits if h.event == "onMessageSent")
    assert chat_hit.params["ChannelSid"] == c.sid and chat_hit.params["From"] == "carol"
    conv_hit = next(h for h in hits if h.event == "onMessageAdded")
    check_common(conv_hit, banter, service.sid, "onMessageAdded")
    assert conv_hit.params["Author"] == "carol"
    # A public channel is not a conversation: it has no Conversations events.
    public = chat.channels.create(type="public")
    chat.channels(public.sid).messages.create(body="chat only", x_twilio_webhook_enabled=ON)
    assert [h.event for h in rcv.wait("post", count=3)][2] == "onMessageSent"
    assert len(rcv.assert_quiet("post", expect=3)) == 3


def test_conversation_scoped_webhook(banter, service, conv, rcv):
    c = conv.conversations.create()
    cp = conv.conversations(c.sid)
    wh = cp.webhooks.create(target="webhook", configuration_url=rcv.url("conv"),
                            configuration_method="POST", configuration_filters=["onMessageAdded"])
    assert wh.configuration["filters"] == ["onMessageAdded"]
    p = cp.participants.create(identity="dave", x_twilio_webhook_enabled=ON)
    m = cp.messages.create(author="dave", body="scoped", x_twilio_webhook_enabled=ON)
    hit = rcv.wait_one("conv", "onMessageAdded")
    check_common(hit, banter, service.sid, "onMessageAdded")
    assert hit.params["WebhookSid"] == wh.sid and hit.params["WebhookType"] == "webhook"
    assert (hit.params["MessageSid"], hit.params["ParticipantSid"]) == (m.sid, p.sid)
    assert [h.event for h in rcv.assert_quiet("conv", expect=1)] == ["onMessageAdded"]
    assert_rest_error(lambda: cp.webhooks.create(target="webhook", configuration_url=rcv.url("x"),
                                                 configuration_filters=["onMessageSent2"]), 400)


def test_account_webhooks_fire_for_the_default_service(banter, client, service, rcv):
    cfg = client.conversations.v1.configuration.webhooks()
    cfg.update(post_webhook_url=rcv.url("acct"), filters=["onConversationAdded", "onMessageAdded"],
               method="POST", target="webhook")
    try:
        default = client.conversations.v1.configuration().fetch().default_chat_service_sid
        c = client.conversations.v1.conversations.create(friendly_name="top", x_twilio_webhook_enabled=ON)
        m = client.conversations.v1.conversations(c.sid).messages.create(
            author="erin", body="hi", x_twilio_webhook_enabled=ON)
        hits = rcv.wait("acct", count=2)
        assert [h.event for h in hits] == ["onConversationAdded", "onMessageAdded"]
        for h in hits:
            check_common(h, banter, default, h.event)
        assert hits[1].params["MessageSid"] == m.sid
        # Another service does not use the account's receivers.
        other = client.conversations.v1.services(service.sid)
        other.conversations.create(x_twilio_webhook_enabled=ON)
        assert len(rcv.assert_quiet("acct", expect=2)) == 2
    finally:
        cfg.update(post_webhook_url="", filters=[])
    client.conversations.v1.conversations.create(x_twilio_webhook_enabled=ON)
    assert len(rcv.assert_quiet("acct", expect=2)) == 2


def test_pre_event_of_an_end_user_can_veto_and_modify(banter, service, conv, rcv):
    conv.configuration.webhooks().update(pre_webhook_url=rcv.url("pre"), post_webhook_url=rcv.url("post"),
                                         filters=["onMessageAdd", "onMessageAdded"])
    c = conv.conversations.create()
    conv.conversations(c.sid).participants.create(identity="frank")
    user = end_user(banter, service.sid, "frank")
    user.client.conversations.base_url = banter.url
    mine = user.client.conversations.v1.services(service.sid).conversations(c.sid)
    rcv.script("pre", (403, "", 0))
    assert_rest_error(lambda: mine.messages.create(body="vetoed"), 403)
    rcv.script("pre", (200, json.dumps({"body": "rewritten"}), 0))
    m = mine.messages.create(body="original")
    assert m.body == "rewritten" and m.author == "frank"
    pre = rcv.got("pre")
    assert [h.event for h in pre] == ["onMessageAdd", "onMessageAdd"]
    check_common(pre[1], banter, service.sid, "onMessageAdd", identity="frank")
    assert pre[1].params["Body"] == "original" and pre[1].params["Author"] == "frank"
    post = rcv.wait_one("post", "onMessageAdded")
    check_common(post, banter, service.sid, "onMessageAdded", identity="frank")
    assert post.params["Body"] == "rewritten"
    time.sleep(QUIET)
    assert [h.event for h in rcv.got("post")] == ["onMessageAdded"]
