"""Conversations API: Users, User Conversations, Participant Conversations, Roles,
Credentials and Bindings through twilio-python's client.conversations.v1."""

from datetime import datetime

import pytest

from conftest import SID_RE, assert_rest_error, create_binding, list_error, unique


@pytest.fixture
def conv(client, service):
    return client.conversations.v1.services(service.sid)


def test_users(conv, service, base_url):
    u = conv.users.create(identity="alice", friendly_name="Alice", attributes='{"a":1}')
    assert SID_RE["US"].match(u.sid)
    assert u.identity == "alice" and u.friendly_name == "Alice" and u.attributes == '{"a":1}'
    assert u.chat_service_sid == service.sid
    assert u.role_sid is not None
    assert u.url == "%s/v1/Services/%s/Users/%s" % (base_url, service.sid, u.sid)
    assert u.links == {"user_conversations": u.url + "/Conversations"}
    assert conv.users("alice").fetch().sid == u.sid
    assert_rest_error(conv.users.create, 409, 50201, identity="alice")
    up = conv.users(u.sid).update(friendly_name="Al")
    assert up.friendly_name == "Al"
    assert [x.identity for x in conv.users.list()] == ["alice"]
    assert conv.users(u.sid).delete() is True
    assert_rest_error(conv.users(u.sid).fetch, 404, 20404)


def test_user_conversations(conv, client, service):
    a = conv.conversations.create(friendly_name="a", unique_name=unique("ua"))
    b = conv.conversations.create(friendly_name="b")
    for c in (a, b):
        conv.conversations(c.sid).participants.create(identity="alice")
    # A public Chat channel alice joined is not one of her conversations.
    public = client.chat.v2.services(service.sid).channels.create(friendly_name="pub")
    client.chat.v2.services(service.sid).channels(public.sid).members.create(identity="alice")
    conv.conversations(a.sid).messages.create(author="bob", body="1")
    conv.conversations(a.sid).messages.create(author="bob", body="2")
    user = conv.users("alice").fetch()
    ucs = conv.users(user.sid).user_conversations
    got = ucs.list()
    assert [x.conversation_sid for x in got] == [a.sid, b.sid]
    first = got[0]
    assert first.user_sid == user.sid
    assert first.friendly_name == "a" and first.unique_name == a.unique_name
    assert first.conversation_state == "active"
    assert first.notification_level == "default"
    assert SID_RE["MB"].match(first.participant_sid)
    assert isinstance(first.date_created, datetime)
    one = ucs(a.sid).fetch()
    assert one.conversation_sid == a.sid
    up = ucs(a.sid).update(notification_level="muted", last_read_message_index=1)
    assert up.notification_level == "muted" and up.last_read_message_index == 1
    assert up.unread_messages_count == 0
    assert_rest_error(ucs(public.sid).fetch, 404, 20404)
    assert ucs(b.sid).delete() is True
    assert [x.conversation_sid for x in ucs.list()] == [a.sid]


def test_participant_conversations(conv):
    a = conv.conversations.create(friendly_name="a")
    p = conv.conversations(a.sid).participants.create(identity="carol")
    got = conv.participant_conversations.list(identity="carol")
    assert len(got) == 1
    pc = got[0]
    assert pc.conversation_sid == a.sid
    assert pc.participant_sid == p.sid
    assert pc.participant_identity == "carol"
    assert pc.conversation_friendly_name == "a"
    assert pc.conversation_state == "active"
    assert conv.participant_conversations.list(identity="nobody") == []
    assert conv.participant_conversations.list(address="+15550001111") == []
    status, body = list_error(conv.participant_conversations.list)
    assert status == 400 and body["code"] == 20001


def test_roles(conv, service, client):
    r = conv.roles.create(friendly_name=unique("r"), type="conversation",
                          permission=["sendMessage", "addParticipant", "leaveConversation"])
    assert SID_RE["RL"].match(r.sid)
    assert r.type == "conversation"
    assert sorted(r.permissions) == ["addParticipant", "leaveConversation", "sendMessage"]
    assert r.chat_service_sid == service.sid
    chat = client.chat.v2.services(service.sid).roles(r.sid).fetch()
    assert chat.type == "channel"
    assert sorted(chat.permissions) == ["addMember", "leaveChannel", "sendMessage"]
    s = conv.roles.create(friendly_name=unique("s"), type="service",
                          permission=["createConversation", "joinConversation"])
    assert s.type == "service"
    assert client.chat.v2.services(service.sid).roles(s.sid).fetch().type == "deployment"
    up = conv.roles(r.sid).update(permission=["sendMessage"])
    assert up.permissions == ["sendMessage"]
    assert conv.roles(r.sid).fetch().permissions == ["sendMessage"]
    types = {x.friendly_name: x.type for x in conv.roles.list()}
    assert types["channel admin"] == "conversation" and types["service admin"] == "service"
    assert_rest_error(conv.roles.create, 400, 50105, friendly_name="x", type="channel",
                      permission=["sendMessage"])
    assert conv.roles(r.sid).delete() is True
    assert_rest_error(conv.roles(r.sid).fetch, 404, 20404)


def test_credentials(client, base_url):
    creds = client.conversations.v1.credentials
    c = creds.create(type="fcm", friendly_name="push", secret="s3cret")
    try:
        assert SID_RE["CR"].match(c.sid)
        assert c.type == "fcm" and c.friendly_name == "push"
        assert c.url == "%s/v1/Credentials/%s" % (base_url, c.sid)
        assert creds(c.sid).fetch().friendly_name == "push"
        assert creds(c.sid).update(friendly_name="renamed").friendly_name == "renamed"
        assert client.chat.v2.credentials(c.sid).fetch().friendly_name == "renamed"
        assert c.sid in [x.sid for x in creds.list()]
    finally:
        assert creds(c.sid).delete() is True
    assert_rest_error(creds(c.sid).fetch, 404, 20404)


def test_bindings(conv, banter, service, credential_factory, base_url):
    conv.users.create(identity="alice")
    fcm = credential_factory(type="fcm", secret="fcm-secret")
    bs = create_binding(banter, service.sid, "alice", "ep1", "fcm", credential_sid=fcm.sid)
    got = conv.bindings.list()
    assert [b.sid for b in got] == [bs]
    b = conv.bindings(bs).fetch()
    assert b.identity == "alice" and b.binding_type == "fcm" and b.credential_sid == fcm.sid
    assert b.chat_service_sid == service.sid
    assert b.url == "%s/v1/Services/%s/Bindings/%s" % (base_url, service.sid, bs)
    assert [x.sid for x in conv.bindings.list(identity=["alice"])] == [bs]
    assert conv.bindings.list(binding_type=["apn"]) == []
    assert conv.bindings(bs).delete() is True
    assert_rest_error(conv.bindings(bs).fetch, 404, 20404)
