"""The Access Token lifecycle through both client SDKs, twilio-chat 6.0.0 and
@twilio/conversations 3.0.1 (conformance/node/token_client.js): tokenAboutToExpire ahead of
expiry, updateToken keeping the session, another identity's token refused, tokenExpired for a
client that does not refresh, and an expired token refused at start."""

import time

import pytest

from conftest import unique
from end_users import python_token, signing_key
from test_client_chat import drive

SDKS = ["chat", "conversations"]


def run(banter, service, sdk, scenario, tokens, **fields):
    """Runs token_client.js's `scenario` with the tokens it needs: `tokens` maps each request
    field to (identity, python_token's keyword arguments)."""
    key = signing_key(banter)
    request = {"sdk": sdk, "scenario": scenario, "uri": banter.url.replace("http://", "ws://", 1) + "/v3/wsconnect",
               **fields}
    for field, (identity, kwargs) in tokens.items():
        request[field] = python_token(banter, key, service.sid, identity, **kwargs)
    return drive("token_client.js", request)


@pytest.mark.parametrize("sdk", SDKS)
def test_a_client_is_warned_and_updates_its_token_in_the_same_session(banter, service, sdk):
    # Arrange: a token that expires within the three-minute warning (plus the clock skew).
    alice = unique("alice")
    tokens = {"short": (alice, {"ttl": 100}), "fresh": (alice, {"ttl": 3600})}

    # Act
    r = run(banter, service, sdk, "refresh", tokens, unique_name=unique("tokens"))

    # Assert: warned once, after connecting; the update kept the connection (no state change)
    # and it can send.
    assert r["events"] == ["state:connecting", "state:connected", "tokenAboutToExpire"], r["events"]
    assert r["state_after_update"] == "connected"
    assert r["sent_index"] == 0


@pytest.mark.parametrize("sdk", SDKS)
def test_another_identitys_token_is_refused_by_update_token(banter, service, sdk):
    # Arrange
    alice = unique("alice")
    tokens = {"fresh": (alice, {"ttl": 3600}), "other": (unique("mallory"), {"ttl": 3600})}

    # Act
    r = run(banter, service, sdk, "other", tokens)

    # Assert: the promise rejects and the client is denied (a 401 or 403 reply to `update`);
    # it never comes back connected with the other identity's token.
    assert r["resolved"] is False, r
    assert r["state"] == "denied", r
    assert "state:connected" not in r["events"], r
    assert r["identity"] == alice


@pytest.mark.parametrize("sdk", SDKS)
def test_a_client_that_does_not_refresh_is_told_its_token_expired(banter, service, sdk):
    # Arrange: a token 50 s past its exp is still honoured for the 60 s clock skew, so the
    # server accepts it and ends the session when exp + 60 s passes, about 10 s later.
    alice = unique("alice")
    now = int(time.time())
    exp = now - 50
    tokens = {"late": (alice, {"nbf": now - 3650, "valid_until": exp}),
              "expired": (alice, {"nbf": now - 7200, "valid_until": now - 3600})}

    # Act
    r = run(banter, service, sdk, "expire", tokens)

    # Assert: connected, warned, then told the token expired, once, when exp + 60 s passed, and
    # disconnected for good (no reconnect attempt).
    assert r["state_at_start"] == "connected"
    events = r["events"]
    names = [e["event"] for e in events]
    assert [n for n in names if not n.startswith("state:")] == ["tokenAboutToExpire", "tokenExpired"], names
    assert [n for n in names if n.startswith("state:")] == ["state:disconnecting", "state:disconnected"], names
    assert r["state"] == "disconnected"
    expired_at = next(e["t"] for e in events if e["event"] == "tokenExpired")
    assert exp + 60 - 0.5 <= expired_at <= exp + 60 + 5, (expired_at - exp, events)

    # A token that expired an hour ago cannot start: the client is denied, and told why
    # (twilsock 401 / 20104).
    late = r["expired"]
    assert late["started"] is False, late
    assert "connectionError:401/20104/true" in late["events"], late
    assert "tokenExpired" in late["events"], late
    assert late["state"] == "denied", late
