"""Access Tokens minted by twilio-python's ``AccessToken`` + ``ChatGrant``.

Each token is checked through the real binary with ``banter token verify`` (the same domain
code the server uses for every request that carries a token), which prints whom the token
speaks for, or the refusal's Twilio error code. test_end_users.py presents tokens to the
server itself.
"""

import subprocess
import time

from twilio.jwt.access_token import AccessToken

from access_tokens import assert_refused, forge_identity, verify
from conftest import BANTER_BIN, unique
from end_users import python_token


def test_python_minted_token_verifies(banter, service):
    key = banter.create_key(banter.account_sid)
    identity = unique("alice")
    rc, out = verify(banter, python_token(banter, key, service.sid, identity))
    assert rc == 0, out
    assert out["identity"] == identity
    assert out["service_sid"] == service.sid
    assert out["account_sid"] == banter.account_sid
    assert out["key_sid"] == key[0]


def test_python_minted_expired_token_is_20104(banter, service):
    key = banter.create_key(banter.account_sid)
    now = int(time.time())
    jwt = python_token(banter, key, service.sid, "bob", nbf=now - 7200, valid_until=now - 3600)
    assert_refused(banter, jwt, 20104)


def test_python_minted_tampered_token_is_20107(banter, service):
    key = banter.create_key(banter.account_sid)
    jwt = python_token(banter, key, service.sid, "carol")
    assert_refused(banter, forge_identity(jwt, "mallory"), 20107)


def test_python_minted_token_of_deleted_key_is_20103(banter, service):
    key = banter.create_key(banter.account_sid)
    jwt = python_token(banter, key, service.sid, "dave")
    assert verify(banter, jwt)[0] == 0
    banter.delete_key(banter.account_sid, key[0])
    assert_refused(banter, jwt, 20103)


def test_banter_token_is_what_twilio_python_decodes(banter, service):
    key_sid, key_secret = banter.create_key(banter.account_sid)
    proc = subprocess.run(
        [BANTER_BIN, "token", *banter.db_args, "--account", banter.account_sid,
         "--service", service.sid, "--identity", "erin", "--key", key_sid],
        capture_output=True, text=True, timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    jwt = proc.stdout.strip()
    decoded = AccessToken.from_jwt(jwt, key_secret)
    assert decoded.payload["iss"] == key_sid
    assert decoded.payload["sub"] == banter.account_sid
    assert decoded.payload["grants"] == {"identity": "erin", "chat": {"service_sid": service.sid}}
    assert decoded.headers["cty"] == "twilio-fpa;v=1"
    assert decoded.payload["exp"] - decoded.payload["nbf"] == 3600


def test_banter_token_refuses_ttl_over_24_hours(banter, service):
    proc = subprocess.run(
        [BANTER_BIN, "token", *banter.db_args, "--account", banter.account_sid,
         "--service", service.sid, "--identity", "f", "--ttl", "86401"],
        capture_output=True, text=True, timeout=30,
    )
    assert proc.returncode != 0
    assert proc.stdout == ""
