"""Twilio's client SDK twilio-chat 6.0.0, unchanged, against Banter: two users, one acting and
one observing, through the SDK's public API (conformance/node/chat_client.js, pinned in
conformance/node/package.json), and the same data checked through twilio-python's REST API.

Run twice: as installed from npm (twilsock 0.12.2, twilio-sync 3.4.0, which pages Sync by
position and speaks event protocol 4) and from the SDK's browser bundle (twilsock 0.12.1 and
twilio-sync 3.0.6 embedded, which page by token and speak protocol 3).
"""

import json
import subprocess

import pytest

from access_tokens import NODE_DIR
from conftest import SID_RE, unique
from end_users import python_token, signing_key


def drive(script, request):
    proc = subprocess.run(["node", str(NODE_DIR / script)], input=json.dumps(request),
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout)


def request_for(banter, service, alice, bob):
    key = signing_key(banter)
    return {
        "uri": banter.url.replace("http://", "ws://", 1) + "/v3/wsconnect",
        "alice": python_token(banter, key, service.sid, alice),
        "bob": python_token(banter, key, service.sid, bob),
        "unique_name": unique("general"),
        "rest": {"url": banter.url, "account_sid": banter.account_sid, "auth_token": banter.auth_token,
                 "service_sid": service.sid},
    }


@pytest.mark.parametrize("bundle", [False, True], ids=["npm", "bundle"])
def test_twilio_chat_clients_chat_in_real_time_over_banter(banter, client, service, bundle):
    # Arrange
    alice, bob = unique("alice") + "@example.com", unique("bob")
    request = dict(request_for(banter, service, alice, bob), bundle=bundle)

    # Act
    r = drive("chat_client.js", request)

    # Assert: both connected as their token's identity.
    assert r["identities"] == [alice, bob]
    assert r["states"] == ["connected", "connected"]
    ch = r["created"]["sid"]
    assert SID_RE["CH"].match(ch)
    assert r["created"]["uniqueName"] == request["unique_name"]
    assert r["created"]["friendlyName"] == "General"
    assert r["created"]["attributes"] == {"topic": "q3"}
    assert r["created"]["type"] == "public"
    assert r["created"]["createdBy"] == alice
    assert r["alice_status"] == "joined"
    assert r["members_at_start"] == [alice]
    listed = [c for c in r["public"] if c["sid"] == ch]
    assert len(listed) == 1 and listed[0]["uniqueName"] == request["unique_name"], r["public"]
    assert r["bob_before_join"] == "notParticipating"
    assert r["member_joined"]["channel"] == ch

    # Messages both ways, live, with attributes and authors.
    assert r["bob_got"]["index"] == r["sent_index"] == 0
    assert r["bob_got"]["author"] == alice
    assert r["bob_got"]["attributes"] == {"k": 1}
    assert r["alice_got"]["author"] == bob and r["alice_got"]["index"] == 1
    assert r["typing_started"]["channel"] == ch
    assert r["typing_ended"]["channel"] == ch
    assert r["bob_saw_own_typing"] is False
    assert [e["author"] for e in r["rest_seen"]] == ["rest-bot", "rest-bot"]
    assert r["rest_seen"][0]["index"] == r["rest_message"]["index"] == 2

    # Updates.
    assert r["message_updated"]["index"] == 0
    assert "body" in r["message_updated"]["reasons"]
    assert r["message_attributes"]["attributes"] == {"k": 2}
    assert "friendlyName" in r["renamed"]["reasons"]
    assert r["channel_attributes"]["attributes"] == {"topic": "q4"}
    assert "uniqueName" in r["unique_renamed"]["reasons"]

    # History: six messages (0..5), two per page, both directions.
    h = r["history"]
    assert h["newest"] == [4, 5] and h["hasPrevPage"] is True
    assert h["older"] == [2, 3]
    assert h["first"] == [0, 1] and h["firstHasNext"] is True
    assert h["second"] == [2, 3]

    # Read horizon: bob read through 1 of 0..5; then everything.
    assert r["unread_after_1"] == 4
    assert r["horizon_seen"]["lastConsumedMessageIndex"] == 1
    assert r["unread_after_all"] == 0

    # User info.
    assert r["user_updated"]["friendlyName"] == "Alice A"
    assert r["own_user"] == {"identity": alice, "friendlyName": "Alice A"}

    # bob is refused what his role does not allow, with Twilio's error.
    assert r["bob_destroy"]["ok"] is False
    assert r["bob_destroy"]["status"] == 403

    # Invites, removal from a private channel, deletions.
    assert r["invited"]["event"] == "channelInvited"
    assert r["kicked"]["event"] == "channelLeft"
    assert r["declined"]["event"] == "channelLeft"
    assert r["added"]["event"] == "channelJoined"
    assert r["typing"]["ok"] is True
    assert r["message_removed"]["index"] == 5
    assert r["member_left"]["identity"] == bob
    assert r["channel_removed"]["event"] == "channelRemoved"
    assert ch in r["subscribed"]

    # The same data through REST (twilio-python).
    chat = client.chat.v2.services(service.sid)
    messages = chat.channels(ch).messages.list()
    assert [(m.index, m._from, m.body) for m in messages] == [
        (0, alice, "hello bob (edited)"), (1, bob, "hi alice"), (2, "rest-bot", "from REST"),
        (3, alice, "more 0"), (4, alice, "more 1"),
    ]
    assert json.loads(messages[0].attributes) == {"k": 2}
    channel = chat.channels(ch).fetch()
    assert channel.friendly_name == "General chat"
    assert channel.unique_name == request["unique_name"] + "-2"
    assert json.loads(channel.attributes) == {"topic": "q4"}
    assert channel.messages_count == 5
    assert [m.identity for m in chat.channels(ch).members.list()] == [alice]
    assert chat.users(alice).fetch().friendly_name == "Alice A"
