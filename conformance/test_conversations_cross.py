"""One set of data through two APIs: what is created through Conversations is read and changed
through Chat v2 and the other way round, and the two agree at every step."""

import pytest

from conftest import assert_rest_error, list_error, unique


@pytest.fixture
def conv(client, service):
    return client.conversations.v1.services(service.sid)


@pytest.fixture
def chat(client, service):
    return client.chat.v2.services(service.sid)


def test_conversation_is_a_private_channel(conv, chat):
    uname = unique("x")
    c = conv.conversations.create(friendly_name="both", unique_name=uname, attributes='{"a":1}')
    ch = chat.channels(c.sid).fetch()
    assert ch.type == "private"
    assert ch.friendly_name == "both" and ch.unique_name == uname and ch.attributes == '{"a":1}'
    assert ch.date_created == c.date_created
    assert ch.members_count == 0 and ch.messages_count == 0
    assert c.sid in [x.sid for x in chat.channels.list(type=["private"])]
    assert c.sid not in [x.sid for x in chat.channels.list()]


def test_members_messages_counters_and_index_agree(conv, chat):
    c = conv.conversations.create()
    cp = conv.conversations(c.sid)
    ch = chat.channels(c.sid)
    alice = cp.participants.create(identity="alice")
    bob = ch.members.create(identity="bob")
    assert sorted(m.identity for m in ch.members.list()) == ["alice", "bob"]
    assert {p.sid: p.identity for p in cp.participants.list()} == {alice.sid: "alice", bob.sid: "bob"}
    m0 = cp.messages.create(author="alice", body="via conversations")
    m1 = ch.messages.create(from_="bob", body="via chat")
    assert (m0.index, m1.index) == (0, 1)
    assert [(m.sid, m.index, m._from, m.body) for m in ch.messages.list()] == [
        (m0.sid, 0, "alice", "via conversations"), (m1.sid, 1, "bob", "via chat")]
    got = cp.messages.list()
    assert [(m.sid, m.index, m.author, m.participant_sid) for m in got] == [
        (m0.sid, 0, "alice", alice.sid), (m1.sid, 1, "bob", bob.sid)]
    fetched = ch.fetch()
    assert fetched.members_count == 2 and fetched.messages_count == 2
    # The read horizon is one: Chat's consumption index is the participant's read index.
    ch.members(bob.sid).update(last_consumed_message_index=1)
    assert cp.participants(bob.sid).fetch().last_read_message_index == 1
    cp.participants(alice.sid).update(last_read_message_index=0)
    assert ch.members(alice.sid).fetch().last_consumed_message_index == 0
    # Edits and deletes through either API show through the other.
    ch.messages(m0.sid).update(body="edited in chat")
    assert cp.messages(m0.sid).fetch().body == "edited in chat"
    cp.messages(m1.sid).delete()
    assert [m.index for m in ch.messages.list()] == [0]
    ch.members(alice.sid).delete()
    assert [p.identity for p in cp.participants.list()] == ["bob"]
    assert ch.fetch().members_count == 1


def test_private_chat_channel_is_a_conversation_and_public_is_not(conv, chat):
    private = chat.channels.create(friendly_name="priv", type="private")
    public = chat.channels.create(friendly_name="pub", type="public")
    chat.channels(private.sid).members.create(identity="alice")
    got = conv.conversations(private.sid).fetch()
    assert got.friendly_name == "priv" and got.state == "active"
    assert [p.identity for p in conv.conversations(private.sid).participants.list()] == ["alice"]
    listed = [c.sid for c in conv.conversations.list()]
    assert private.sid in listed and public.sid not in listed
    assert_rest_error(conv.conversations(public.sid).fetch, 404, 20404)
    assert_rest_error(conv.conversations(public.sid).update, 404, 20404, friendly_name="x")
    assert_rest_error(conv.conversations(public.sid).delete, 404, 20404)
    status, _ = list_error(conv.conversations(public.sid).messages.list)
    assert status == 404
    assert_rest_error(conv.conversations(public.sid).participants.create, 404, 20404,
                      identity="bob")
    # Deleting through Conversations deletes the Chat channel.
    conv.conversations(private.sid).delete()
    assert_rest_error(chat.channels(private.sid).fetch, 404, 20404)


def test_users_and_roles_are_shared(conv, chat):
    chat.users.create(identity="dora", friendly_name="Dora")
    assert conv.users("dora").fetch().friendly_name == "Dora"
    conv.users("dora").update(attributes='{"x":1}')
    assert chat.users("dora").fetch().attributes == '{"x":1}'
    assert sorted(r.sid for r in conv.roles.list()) == sorted(r.sid for r in chat.roles.list())


def test_updates_through_chat_show_in_conversations(conv, chat):
    c = conv.conversations.create(friendly_name="before")
    chat.channels(c.sid).update(friendly_name="after", attributes='{"z":2}')
    got = conv.conversations(c.sid).fetch()
    assert got.friendly_name == "after" and got.attributes == '{"z":2}'
    assert got.date_updated >= c.date_updated


def test_sends_to_closed_or_public_through_either_api(conv, chat):
    c = conv.conversations.create()
    cp = conv.conversations(c.sid)
    p = cp.participants.create(identity="alice")
    m = cp.messages.create(author="alice", body="first")
    assert (m.index, m.participant_sid) == (0, p.sid)
    # The participant SID follows memberships: gone once the participant is removed.
    cp.participants(p.sid).delete()
    assert cp.messages.create(author="alice", body="second").participant_sid is None
    again = cp.participants.create(identity="alice")
    assert cp.messages.create(author="alice", body="third").participant_sid == again.sid
    cp.update(state="closed")
    # A closed conversation takes no message from any API, with or without webhooks.
    assert_rest_error(chat.channels(c.sid).messages.create, 400, 50377, body="chat op")
    assert_rest_error(chat.channels(c.sid).messages.create, 400, 50377, body="chat op",
                      x_twilio_webhook_enabled="true")
    assert_rest_error(cp.messages.create, 400, 50377, body="conv op")
    assert chat.channels(c.sid).fetch().messages_count == 3
    # A public channel is not a conversation: not found through Conversations, by SID or name.
    public = chat.channels.create(type="public", unique_name=unique("pub"))
    assert_rest_error(conv.conversations(public.sid).messages.create, 404, body="nope")
    assert_rest_error(conv.conversations(public.unique_name).messages.create, 404, body="nope")
    assert chat.channels(public.sid).fetch().messages_count == 0
    assert_rest_error(conv.conversations("CH" + "0" * 32).messages.create, 404, body="nope")
