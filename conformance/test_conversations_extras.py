"""Conversations API: conversation-scoped Webhooks (the channel's Chat webhooks), conversation
`State` and `MessagingServiceSid`, and Chat v3's channel update that turns a public channel into
a conversation."""

import pytest

from conftest import assert_rest_error, list_error, unique


@pytest.fixture
def conv(client, service):
    return client.conversations.v1.services(service.sid)


def test_conversation_webhooks(conv, client, service):
    c = conv.conversations.create()
    hooks = conv.conversations(c.sid).webhooks
    w = hooks.create(target="webhook", configuration_url="https://example.com/hook",
                     configuration_method="GET",
                     configuration_filters=["onMessageAdded", "onParticipantAdded"])
    assert w.sid.startswith("WH")
    assert w.target == "webhook"
    assert w.conversation_sid == c.sid
    assert w.configuration["url"] == "https://example.com/hook"
    assert w.configuration["method"] == "GET"
    assert w.configuration["filters"] == ["onMessageAdded", "onParticipantAdded"]
    chat = client.chat.v2.services(service.sid).channels(c.sid).webhooks(w.sid).fetch()
    assert chat.type == "webhook"
    # One resource: Chat shows the filters as set; they name Conversations' events, which the
    # webhook receives with Conversations' payloads.
    assert chat.configuration["filters"] == ["onMessageAdded", "onParticipantAdded"]
    t = hooks.create(target="trigger", configuration_url="https://example.com/t",
                     configuration_triggers=["help"])
    assert t.configuration["triggers"] == ["help"]
    assert sorted(x.sid for x in hooks.list()) == sorted([w.sid, t.sid])
    up = hooks(w.sid).update(configuration_filters=["onMessageRemoved"])
    assert up.configuration["filters"] == ["onMessageRemoved"]
    assert hooks(w.sid).fetch().configuration["filters"] == ["onMessageRemoved"]
    assert_rest_error(hooks.create, 400, 20001, target="webhook",
                      configuration_url="https://example.com", configuration_filters=["onNothing"])
    assert hooks(w.sid).delete() is True
    assert [x.sid for x in hooks.list()] == [t.sid]


def test_state_and_messaging_service_are_stored(conv, client, service):
    mg = "MG" + "1" * 32
    c = conv.conversations.create(state="inactive", messaging_service_sid=mg)
    assert c.state == "inactive" and c.messaging_service_sid == mg
    got = conv.conversations(c.sid).fetch()
    assert got.state == "inactive" and got.messaging_service_sid == mg
    conv.conversations(c.sid).participants.create(identity="alice")
    up = conv.conversations(c.sid).update(state="closed")
    assert up.state == "closed"
    assert conv.conversations(c.sid).fetch().state == "closed"
    user_convs = conv.users  # the participant's view carries the state too
    uc = user_convs("alice").user_conversations(c.sid).fetch()
    assert uc.conversation_state == "closed"
    plain = conv.conversations.create()
    assert plain.state == "active" and plain.messaging_service_sid is None


def test_chat_v3_makes_a_public_channel_a_conversation(conv, client, service, banter):
    chat = client.chat.v2.services(service.sid)
    v3 = client.chat.v3.channels
    public = chat.channels.create(friendly_name="pub", unique_name=unique("p"))
    chat.channels(public.sid).members.create(identity="alice")
    chat.channels(public.sid).messages.create(from_="alice", body="before")
    assert_rest_error(conv.conversations(public.sid).fetch, 404, 20404)
    got = v3(service.sid, public.sid).update(type="private", messaging_service_sid="MG" + "2" * 32,
                                             x_twilio_webhook_enabled="true")
    assert got.type == "private"
    assert got.messaging_service_sid == "MG" + "2" * 32
    assert got.url == "%s/v3/Services/%s/Channels/%s" % (banter.url, service.sid, public.sid)
    assert got.members_count == 1 and got.messages_count == 1
    c = conv.conversations(public.sid).fetch()
    assert c.friendly_name == "pub"
    assert c.messaging_service_sid == "MG" + "2" * 32
    assert [m.body for m in conv.conversations(public.sid).messages.list()] == ["before"]
    assert chat.channels(public.sid).fetch().type == "private"
    # Private stays private: Chat v3 does not turn a conversation back into a public channel.
    assert_rest_error(v3(service.sid, public.sid).update, 400, 20001, type="public")
    assert_rest_error(v3(service.sid, "CH" + "f" * 32).update, 404, 20404, type="private")
    assert_rest_error(v3(service.sid, public.sid).update, 400, 20001, type="secret")


def test_unknown_conversation_webhook_list_is_404(conv):
    status, body = list_error(conv.conversations("CH" + "f" * 32).webhooks.list)
    assert status == 404 and body["code"] == 20404


def test_address_configurations(client, base_url, banter):
    addrs = client.conversations.v1.address_configurations
    number = "+1555%07d" % (int(unique("n").split("-")[1], 16) % 10 ** 7)
    a = addrs.create(type="sms", address=number, friendly_name="support",
                     auto_creation_enabled=True, auto_creation_type="webhook",
                     auto_creation_webhook_url="https://example.com/auto",
                     auto_creation_webhook_method="POST",
                     auto_creation_webhook_filters=["onParticipantAdded", "onMessageAdded"],
                     address_country="US")
    try:
        assert a.sid.startswith("IG") and len(a.sid) == 34
        assert a.account_sid == banter.account_sid
        assert a.type == "sms" and a.address == number and a.friendly_name == "support"
        assert a.address_country == "US"
        assert a.auto_creation["enabled"] is True
        assert a.auto_creation["type"] == "webhook"
        assert a.auto_creation["webhook_url"] == "https://example.com/auto"
        assert a.auto_creation["webhook_filters"] == ["onParticipantAdded", "onMessageAdded"]
        assert a.url == "%s/v1/Configuration/Addresses/%s" % (base_url, a.sid)
        assert addrs(a.sid).fetch().address == number
        assert addrs(number).fetch().sid == a.sid
        up = addrs(a.sid).update(friendly_name="sales", auto_creation_enabled=False)
        assert up.friendly_name == "sales" and up.auto_creation["enabled"] is False
        assert up.auto_creation["webhook_url"] == "https://example.com/auto"
        assert a.sid in [x.sid for x in addrs.list(type="sms")]
        assert a.sid not in [x.sid for x in addrs.list(type="whatsapp")]
        assert_rest_error(addrs.create, 409, None, type="sms", address=number)
        assert_rest_error(addrs.create, 400, 20001, type="pigeon", address="coo")
        assert_rest_error(addrs.create, 400, 20001, type="sms", address="+15550000000",
                          auto_creation_type="carrier")
    finally:
        assert addrs(a.sid).delete() is True
    assert_rest_error(addrs(a.sid).fetch, 404, 20404)
