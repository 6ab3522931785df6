"""Reachability through the client SDKs (conformance/node/presence_client.js): with
`ReachabilityEnabled`, bob's twilio-chat 6.0.0 / @twilio/conversations 3.0.1 client sees
alice's User go online when she connects, notifiable when she registers a device for push
(the SDK's ERS registration, stored as a Chat binding), not notifiable when she removes it,
and offline when she leaves; twilio-python reads the same through REST."""

import pytest

from conftest import unique
from test_client_chat import drive, request_for


@pytest.mark.parametrize("sdk", ["chat", "conversations"])
def test_client_sdks_see_other_users_reachability(banter, client, service, sdk):
    # Arrange
    client.chat.v2.services(service.sid).update(reachability_enabled=True)
    alice, bob = unique("alice"), unique("bob")
    for identity in (alice, bob):
        client.chat.v2.services(service.sid).users.create(identity=identity)
    request = request_for(banter, service, alice, bob)
    request.update({"sdk": sdk, "alice_identity": alice, "push_token": unique("fcm-device")})

    # Act
    r = drive("presence_client.js", request)

    # Assert
    assert r["reachability_enabled"] is True
    assert r["initial"] == [False, False], r
    online, notifiable = ("online", "notifiable") if sdk == "chat" else ("reachabilityOnline", "reachabilityNotifiable")
    assert r["states"] == [
        [True, False, [online]],
        [True, True, [notifiable]],
        [True, False, [notifiable]],
        [False, False, [online]],
    ], r
    user = client.chat.v2.services(service.sid).users(alice).fetch()
    assert (user.is_online, user.is_notifiable) == (False, False)
    assert client.chat.v2.services(service.sid).users(alice).user_bindings.list() == []
