"""Participants with a ``messaging_binding`` through twilio-python's ``conversations.v1``: SMS and
WhatsApp participants (an address and a proxy address, no identity, no User) and a chat
participant's projected address are stored and returned, one per address and proxy address
(409 / 50416); Chat v2 counts them as members. Banter delivers no SMS."""

import json

import pytest

from conftest import assert_rest_error, unique
from webhook_receiver import rcv  # noqa: F401  (rcv is a fixture)

SMS = "+15551230001"
PROXY = "+15559990000"


@pytest.fixture
def conv(client, service):
    return client.conversations.v1.services(service.sid)


def test_sms_and_whatsapp_participants(conv, client, service):
    c = conv.conversations.create()
    cp = conv.conversations(c.sid)
    sms = cp.participants.create(messaging_binding_address=SMS, messaging_binding_proxy_address=PROXY)
    assert sms.sid.startswith("MB") and sms.identity is None
    assert sms.messaging_binding == {"type": "sms", "address": SMS, "proxy_address": PROXY}
    wa = cp.participants.create(messaging_binding_address="whatsapp:" + SMS,
                                messaging_binding_proxy_address="whatsapp:" + PROXY)
    assert wa.messaging_binding["type"] == "whatsapp" and wa.identity is None
    assert cp.participants(sms.sid).fetch().messaging_binding == sms.messaging_binding
    listed = {p.sid: (p.identity, p.messaging_binding) for p in cp.participants.list()}
    assert listed == {sms.sid: (None, sms.messaging_binding), wa.sid: (None, wa.messaging_binding)}
    # One participant per address and proxy address; another proxy is another participant.
    err = assert_rest_error(cp.participants.create, 409, 50416,
                            messaging_binding_address=SMS, messaging_binding_proxy_address=PROXY)
    assert c.sid in err.msg
    other = cp.participants.create(messaging_binding_address=SMS, messaging_binding_proxy_address="+15559990001")
    # Members through Chat v2 too, and no User was made for them.
    chat = client.chat.v2.services(service.sid)
    assert chat.channels(c.sid).fetch().members_count == 3
    assert chat.users.list() == []
    cp.participants(sms.sid).delete()
    again = cp.participants.create(messaging_binding_address=SMS, messaging_binding_proxy_address=PROXY)
    assert again.sid != sms.sid
    assert sorted(p.sid for p in cp.participants.list()) == sorted([wa.sid, other.sid, again.sid])


def test_binding_input_errors(conv):
    c = conv.conversations.create()
    create = conv.conversations(c.sid).participants.create
    assert_rest_error(create, 400, 20001, messaging_binding_address=SMS)  # no proxy address
    assert_rest_error(create, 400, 20001, messaging_binding_proxy_address=PROXY)  # no address
    assert_rest_error(create, 400, 20001, messaging_binding_address="whatsapp:" + SMS,
                      messaging_binding_proxy_address=PROXY)  # channels differ
    assert_rest_error(create, 400, 20001, identity="alice", messaging_binding_address=SMS,
                      messaging_binding_proxy_address=PROXY)
    assert_rest_error(create, 400, 20001, messaging_binding_address=SMS, messaging_binding_proxy_address=PROXY,
                      messaging_binding_projected_address="+15550000000")
    assert_rest_error(create, 400, 20001)  # neither identity nor address
    assert conv.conversations(c.sid).participants.list() == []


def test_projected_address_of_a_chat_participant(conv):
    c = conv.conversations.create()
    cp = conv.conversations(c.sid)
    alice = cp.participants.create(identity="alice", messaging_binding_projected_address="+15550000001")
    assert alice.identity == "alice"
    assert alice.messaging_binding == {"type": "sms", "projected_address": "+15550000001"}
    up = cp.participants(alice.sid).update(messaging_binding_projected_address="+15550000002")
    assert up.messaging_binding == {"type": "sms", "projected_address": "+15550000002"}
    sms = cp.participants.create(messaging_binding_address=SMS, messaging_binding_proxy_address=PROXY)
    assert_rest_error(cp.participants(sms.sid).update, 400, 20001,
                      messaging_binding_proxy_address="+15559990009")
    assert_rest_error(cp.participants(sms.sid).update, 400, 20001,
                      messaging_binding_projected_address="+15550000003")
    assert cp.participants(sms.sid).update(attributes='{"vip":true}').attributes == '{"vip":true}'
    assert cp.participants(sms.sid).fetch().messaging_binding["proxy_address"] == PROXY


def test_conversation_with_participants_takes_bindings(client, service):
    conv = client.conversations.v1.services(service.sid)
    made = conv.conversation_with_participants.create(
        friendly_name=unique("cwp"),
        participant=[json.dumps({"identity": "bob"}),
                     json.dumps({"messaging_binding": {"address": SMS, "proxy_address": PROXY}})])
    got = {(p.identity, json.dumps(p.messaging_binding, sort_keys=True))
           for p in conv.conversations(made.sid).participants.list()}
    assert got == {("bob", "null"),
                   (None, json.dumps({"type": "sms", "address": SMS, "proxy_address": PROXY}, sort_keys=True))}
    assert_rest_error(conv.conversation_with_participants.create, 400, 20001,
                      participant=[json.dumps({"messaging_binding": {"address": SMS}})])


def test_participant_added_webhook_carries_the_binding(conv, rcv):
    conv.configuration.webhooks().update(post_webhook_url=rcv.url("post"), filters=["onParticipantAdded"])
    c = conv.conversations.create()
    sms = conv.conversations(c.sid).participants.create(
        messaging_binding_address=SMS, messaging_binding_proxy_address=PROXY, x_twilio_webhook_enabled="true")
    hit = rcv.wait_one("post", "onParticipantAdded")
    p = hit.params
    assert p["ParticipantSid"] == sms.sid and p["ConversationSid"] == c.sid
    assert (p["MessagingBinding.Address"], p["MessagingBinding.ProxyAddress"]) == (SMS, PROXY)
    assert "Identity" not in p
