"""The Access Token lifecycle through twilio-chat 6.0.0 (conformance/node/token_client.js):
tokenAboutToExpire ahead of expiry, updateToken keeping the session, and an expired token
refused at start."""

import time

from conftest import unique
from end_users import python_token, signing_key
from test_client_chat import drive


def test_twilio_chat_is_warned_updates_its_token_and_an_expired_one_is_refused(banter, service):
    # Arrange: a token that expires within the three-minute warning (plus the clock skew).
    key = signing_key(banter)
    identity = unique("alice")
    now = int(time.time())
    request = {
        "uri": banter.url.replace("http://", "ws://", 1) + "/v3/wsconnect",
        "short": python_token(banter, key, service.sid, identity, ttl=100),
        "fresh": python_token(banter, key, service.sid, identity, ttl=3600),
        "expired": python_token(banter, key, service.sid, identity, nbf=now - 7200, valid_until=now - 3600),
        "unique_name": unique("tokens"),
    }

    # Act
    r = drive("token_client.js", request)

    # Assert
    assert r["events"].count("tokenAboutToExpire") == 1, r["events"]
    assert "tokenExpired" not in r["events"]
    assert not any(e.startswith("state:") for e in r["events"]), "the session was kept: %s" % r["events"]
    assert r["state_after_update"] == "connected"
    assert r["sent_index"] == 0
    expired = r["expired"]
    # twilio-chat 6's create() resolves, with the client denied (twilsock init 401 / 20104).
    assert expired["created"] is True, expired
    assert expired["events"][0] == "state:denied", expired
