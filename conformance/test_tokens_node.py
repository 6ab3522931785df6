"""Access Tokens minted by twilio-node's ``AccessToken`` + ``ChatGrant``.

The twilio-python counterpart is test_tokens.py. Each token is minted by conformance/node/mint.js
(the pinned twilio-node of conformance/node/package.json) and checked through the real binary
with ``banter token verify``.
"""

import secrets
import time

import pytest

from access_tokens import assert_refused, forge_identity, node_token, verify
from conftest import unique


@pytest.mark.parametrize("algorithm", ["HS256", "HS384", "HS512"])
def test_node_minted_token_verifies(banter, service, algorithm):
    key = banter.create_key(banter.account_sid)
    identity = unique("alice")
    rc, out = verify(banter, node_token(banter, key, service.sid, identity, algorithm=algorithm))
    assert rc == 0, out
    assert out["identity"] == identity
    assert out["service_sid"] == service.sid
    assert out["account_sid"] == banter.account_sid
    assert out["key_sid"] == key[0]
    assert out["endpoint_id"] is None
    assert out["push_credential_sid"] is None


def test_node_minted_token_with_endpoint_and_push_credential_verifies(banter, service):
    key = banter.create_key(banter.account_sid)
    identity = unique("bob")
    endpoint_id = "%s:chat:%s" % (identity, secrets.token_hex(8))
    credential_sid = "CR" + secrets.token_hex(16)
    jwt = node_token(banter, key, service.sid, identity, endpoint_id=endpoint_id,
                     push_credential_sid=credential_sid)
    rc, out = verify(banter, jwt)
    assert rc == 0, out
    assert out["identity"] == identity
    assert out["service_sid"] == service.sid
    assert out["account_sid"] == banter.account_sid
    assert out["key_sid"] == key[0]
    assert out["endpoint_id"] == endpoint_id
    assert out["push_credential_sid"] == credential_sid


def test_node_minted_expired_token_is_20104(banter, service):
    key = banter.create_key(banter.account_sid)
    now = int(time.time())
    # twilio-node sets exp = now + ttl, so a negative TTL dates exp an hour back.
    jwt = node_token(banter, key, service.sid, "carol", nbf=now - 7200, ttl=-3600)
    assert_refused(banter, jwt, 20104)


def test_node_minted_24_hour_token_verifies(banter, service):
    key = banter.create_key(banter.account_sid)
    rc, out = verify(banter, node_token(banter, key, service.sid, "dave", ttl=24 * 3600))
    assert rc == 0, out


@pytest.mark.parametrize("with_nbf", [False, True], ids=["iat", "nbf"])
def test_node_minted_token_over_24_hours_is_20104(banter, service, with_nbf):
    key = banter.create_key(banter.account_sid)
    opts = {"nbf": int(time.time())} if with_nbf else {}
    jwt = node_token(banter, key, service.sid, "erin", ttl=24 * 3600 + 3600, **opts)
    assert_refused(banter, jwt, 20104)


def test_node_minted_tampered_token_is_20107(banter, service):
    key = banter.create_key(banter.account_sid)
    jwt = node_token(banter, key, service.sid, "frank")
    assert_refused(banter, forge_identity(jwt, "mallory"), 20107)


@pytest.fixture
def foreign_service(other_client):
    """A service of another account on the same server."""
    svc = other_client.chat.v2.services.create(friendly_name=unique("svc"))
    yield svc
    other_client.chat.v2.services(svc.sid).delete()


def test_node_minted_token_for_another_accounts_service_is_20106(banter, foreign_service):
    key = banter.create_key(banter.account_sid)
    assert_refused(banter, node_token(banter, key, foreign_service.sid, "grace"), 20106)


def test_node_minted_token_claiming_another_account_is_20103(banter, other_account,
                                                             foreign_service):
    # Signed with this account's key but naming the other account (sub) and its service.
    key = banter.create_key(banter.account_sid)
    jwt = node_token(banter, key, foreign_service.sid, "heidi", account_sid=other_account[0])
    assert_refused(banter, jwt, 20103)
