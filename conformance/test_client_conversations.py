"""Twilio's Conversations client SDK, unchanged, against Banter: @twilio/conversations 3.0.1
and 2.7.0 (the last 2.x), each as installed from npm and from its browser bundle (which embeds
its own twilsock and Sync clients), as two users through the SDK's public API
(conformance/node/conv_client.js, versions pinned in conformance/node/package.json), and the
same data checked through twilio-python's REST API.
"""


import pytest

from conftest import SID_RE, unique
from test_client_chat import drive, request_for

PACKAGES = [("@twilio/conversations", False), ("@twilio/conversations", True),
            ("conversations-2", False), ("conversations-2", True)]


@pytest.mark.parametrize("package,bundle", PACKAGES, ids=["3.0.1-npm", "3.0.1-bundle", "2.7.0-npm", "2.7.0-bundle"])
def test_conversations_clients_talk_in_real_time_over_banter(banter, client, service, package, bundle):
    # Arrange
    alice, bob = unique("alice"), unique("bob") + "@example.com"
    request = dict(request_for(banter, service, alice, bob), package=package, bundle=bundle)

    # Act
    r = drive("conv_client.js", request)

    # Assert
    assert r["identities"] == [alice, bob]
    assert r["states"] == ["connected", "connected"]
    conv = r["created"]["sid"]
    assert SID_RE["CH"].match(conv)
    assert r["created"] == {"sid": conv, "uniqueName": request["unique_name"], "friendlyName": "Project X",
                            "attributes": {"topic": "q3"}, "createdBy": alice}
    assert r["participants_at_start"] == [alice]
    assert r["bob_joined"]["conversation"] == conv
    assert r["participant_joined"]["identity"] == bob
    assert r["bob_found"] == {"sid": conv, "friendlyName": "Project X", "status": "joined"}

    assert r["sent_index"] == 0
    assert (r["bob_got"]["index"], r["bob_got"]["author"], r["bob_got"]["attributes"]) == (0, alice, {"k": 1})
    assert (r["alice_got"]["index"], r["alice_got"]["author"]) == (1, bob)
    assert (r["rest_seen"]["index"], r["rest_seen"]["author"]) == (2, "rest-bot")

    assert "body" in r["message_updated"]["reasons"]
    assert "friendlyName" in r["renamed"]["reasons"]
    assert r["conversation_attributes"]["attributes"] == {"topic": "q4"}
    assert "uniqueName" in r["unique_renamed"]["reasons"]
    assert r["message_attributes"]["attributes"] == {"k": 2}
    assert r["participant_updated"]["attributes"] == {"mood": "fine"}

    assert r["history"] == {"newest": [4, 5], "hasPrevPage": True, "older": [2, 3], "first": [0, 1],
                            "second": [2, 3]}
    assert r["unread_after_1"] == 4
    assert r["horizon_seen"]["lastReadMessageIndex"] == 1
    assert r["unread_after_all"] == 0
    assert r["user_updated"]["friendlyName"] == "Alice A"

    assert r["typing"]["ok"] is True
    assert r["typing_started"]["conversation"] == conv
    assert r["bob_delete"] == {"ok": False, "status": 403, "code": 50107, "message": "Forbidden"}
    assert r["message_removed"]["index"] == 5
    assert r["bob_left"]["conversation"] == conv
    assert r["participant_left"]["identity"] == bob
    assert r["removed"]["conversation"] == conv
    assert conv not in r["subscribed"]

    # The same data through REST: the conversation was deleted with its messages; the users
    # and their names stay.
    chat = client.chat.v2.services(service.sid)
    assert conv not in [c.sid for c in chat.channels.list()]
    assert chat.users(alice).fetch().friendly_name == "Alice A"
    assert chat.users(bob).fetch().identity == bob
