"""Conversations API: Conversations, Participants, Messages and Receipts through
twilio-python's client.conversations.v1, in both the service-scoped and top-level forms."""

from datetime import datetime

import pytest

from conftest import SID_RE, assert_rest_error, list_error, unique


@pytest.fixture
def conv(client, service):
    """The service-scoped Conversations context of the per-test service."""
    return client.conversations.v1.services(service.sid)


def test_conversation_create_fields(conv, service, base_url, banter):
    uname = unique("u")
    c = conv.conversations.create(friendly_name="Friends", unique_name=uname,
                                  attributes='{"topic":"x"}', x_twilio_webhook_enabled="true")
    assert SID_RE["CH"].match(c.sid)
    assert c.account_sid == banter.account_sid
    assert c.chat_service_sid == service.sid
    assert c.friendly_name == "Friends"
    assert c.unique_name == uname
    assert c.attributes == '{"topic":"x"}'
    assert c.state == "active"
    assert c.messaging_service_sid is None
    assert isinstance(c.date_created, datetime), repr(c.date_created)
    url = "%s/v1/Services/%s/Conversations/%s" % (base_url, service.sid, c.sid)
    assert c.url == url
    assert c.links == {"participants": url + "/Participants", "messages": url + "/Messages",
                       "webhooks": url + "/Webhooks"}


def test_conversation_fetch_by_sid_and_unique_name_update_delete(conv):
    uname = unique("u")
    c = conv.conversations.create(unique_name=uname)
    assert conv.conversations(uname).fetch().sid == c.sid
    up = conv.conversations(c.sid).update(friendly_name="renamed", attributes='{"a":1}',
                                          state="active")
    assert up.friendly_name == "renamed" and up.attributes == '{"a":1}'
    assert conv.conversations(c.sid).fetch().friendly_name == "renamed"
    assert conv.conversations(c.sid).delete() is True
    assert_rest_error(conv.conversations(c.sid).fetch, 404, 20404)


def test_conversation_unique_name_taken(conv):
    uname = unique("u")
    conv.conversations.create(unique_name=uname)
    assert_rest_error(conv.conversations.create, 409, 50353, unique_name=uname)


def test_conversation_bad_state(conv):
    assert_rest_error(conv.conversations.create, 400, 20001, state="sleeping")


def test_conversation_list_pages(conv):
    made = [conv.conversations.create(friendly_name="c%d" % i).sid for i in range(5)]
    got = [c.sid for c in conv.conversations.list(page_size=2)]
    assert got == made
    page = conv.conversations.page(page_size=2)
    assert len(list(page)) == 2 and page.next_page_url is not None


def test_unknown_service_is_404(client):
    svc = client.conversations.v1.services("IS" + "f" * 32)
    assert_rest_error(svc.conversations("CH" + "f" * 32).fetch, 404, 20404)
    status, body = list_error(svc.conversations.list)
    assert status == 404 and body["code"] == 20404


def test_participants(conv, service):
    c = conv.conversations.create()
    ps = conv.conversations(c.sid).participants
    alice = ps.create(identity="alice", attributes='{"k":"v"}')
    assert SID_RE["MB"].match(alice.sid)
    assert alice.identity == "alice"
    assert alice.conversation_sid == c.sid
    assert alice.attributes == '{"k":"v"}'
    assert alice.messaging_binding is None
    assert alice.last_read_message_index is None
    assert alice.role_sid is not None
    assert alice.url.endswith("/v1/Services/%s/Conversations/%s/Participants/%s"
                              % (service.sid, c.sid, alice.sid))
    ps.create(identity="bob")
    assert [p.identity for p in ps.list()] == ["alice", "bob"]
    assert ps("alice").fetch().sid == alice.sid
    assert_rest_error(ps.create, 409, 50433, identity="alice")
    assert_rest_error(ps.create, 400, 20001)
    conv.conversations(c.sid).messages.create(author="alice", body="hi")
    up = ps(alice.sid).update(last_read_message_index=0, last_read_timestamp="2024-05-06T07:08:09Z")
    assert up.last_read_message_index == 0
    assert up.last_read_timestamp == "2024-05-06T07:08:09Z"
    assert ps(alice.sid).delete() is True
    assert [p.identity for p in ps.list()] == ["bob"]


def test_messages(conv, service):
    c = conv.conversations.create()
    conv.conversations(c.sid).participants.create(identity="alice")
    ms = conv.conversations(c.sid).messages
    m = ms.create(author="alice", body="hello", attributes='{"x":1}')
    assert SID_RE["IM"].match(m.sid)
    assert m.index == 0
    assert m.author == "alice"
    assert m.body == "hello"
    assert m.attributes == '{"x":1}'
    assert SID_RE["MB"].match(m.participant_sid)
    assert m.delivery is None
    assert m.media is None
    assert m.conversation_sid == c.sid
    system = ms.create(body="from the system")
    assert system.author == "system" and system.participant_sid is None and system.index == 1
    ms.create(author="alice", body="third")
    assert [x.index for x in ms.list()] == [0, 1, 2]
    assert [x.index for x in ms.list(order="desc")] == [2, 1, 0]
    assert [x.participant_sid for x in ms.list()] == [m.participant_sid, None, m.participant_sid]
    assert [x.index for x in ms.list(page_size=2, limit=3)] == [0, 1, 2]
    up = ms(m.sid).update(body="edited", author="bob")
    assert up.body == "edited" and up.author == "bob" and up.participant_sid is None
    assert ms(m.sid).fetch().body == "edited"
    assert ms(m.sid).delete() is True
    assert [x.index for x in ms.list()] == [1, 2]


def test_receipts_are_empty(conv):
    c = conv.conversations.create()
    conv.conversations(c.sid).participants.create(identity="alice")
    m = conv.conversations(c.sid).messages.create(author="alice", body="x")
    receipts = conv.conversations(c.sid).messages(m.sid).delivery_receipts
    assert receipts.list() == []
    assert_rest_error(receipts("DY" + "f" * 32).fetch, 404, 20404)
    missing = conv.conversations(c.sid).messages("IM" + "f" * 32).delivery_receipts
    status, _ = list_error(missing.list)
    assert status == 404


def test_top_level_form(client):
    top = client.conversations.v1
    c = top.conversations.create(friendly_name=unique("top"))
    try:
        assert top.conversations(c.sid).fetch().sid == c.sid
        assert c.sid in [x.sid for x in top.conversations.list()]
        p = top.conversations(c.sid).participants.create(identity="alice")
        assert p.url.endswith("/v1/Conversations/%s/Participants/%s" % (c.sid, p.sid))
        m = top.conversations(c.sid).messages.create(author="alice", body="hey")
        assert m.participant_sid == p.sid
        assert [x.body for x in top.conversations(c.sid).messages.list()] == ["hey"]
    finally:
        top.conversations(c.sid).delete()


def test_conversation_with_participants(conv):
    c = conv.conversation_with_participants.create(
        friendly_name="group", participant=['{"identity":"alice"}', '{"identity":"bob"}'])
    assert c.friendly_name == "group"
    ids = sorted(p.identity for p in conv.conversations(c.sid).participants.list())
    assert ids == ["alice", "bob"]


def test_conversation_list_filters(conv):
    active = conv.conversations.create(friendly_name="a")
    closed = conv.conversations.create(friendly_name="c", state="closed")
    inactive = conv.conversations.create(friendly_name="i", state="inactive")
    assert [c.sid for c in conv.conversations.list(state="closed")] == [closed.sid]
    assert [c.sid for c in conv.conversations.list(state="active")] == [active.sid]
    everything = [active.sid, closed.sid, inactive.sid]
    day = active.date_created.strftime("%Y-%m-%d")
    assert [c.sid for c in conv.conversations.list(start_date=day, end_date=day)] == everything
    assert conv.conversations.list(start_date="2999-01-01") == []
    assert conv.conversations.list(end_date="2000-01-01") == []
    page = conv.conversations.page(state="inactive", page_size=1)
    assert [c.sid for c in page] == [inactive.sid]
    status, body = list_error(conv.conversations.list, state="asleep")
    assert status == 400 and body["code"] == 20001
    status, body = list_error(conv.conversations.list, start_date="yesterday")
    assert status == 400 and body["code"] == 20001


def test_a_closed_conversation_is_final(conv):
    # Arrange: an active conversation with a participant and a message.
    c = conv.conversations.create(friendly_name=unique("closing"))
    conv.conversations(c.sid).participants.create(identity=unique("alice"))
    conv.conversations(c.sid).messages.create(author="system", body="before")

    # Act
    closed = conv.conversations(c.sid).update(state="closed")

    # Assert: nothing more is added or changed (Twilio's 50377); it can still be read and deleted.
    assert closed.state == "closed"
    assert_rest_error(conv.conversations(c.sid).messages.create, 400, 50377, author="system", body="after")
    assert_rest_error(conv.conversations(c.sid).participants.create, 400, 50377, identity=unique("bob"))
    assert_rest_error(conv.conversations(c.sid).update, 400, 50377, friendly_name="renamed")
    assert [m.body for m in conv.conversations(c.sid).messages.list()] == ["before"]
    assert conv.conversations(c.sid).delete() is True
