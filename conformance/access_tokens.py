"""Shared by the Access Token conformance tests: checking a token through the real binary
(`banter token verify`), forging one, and minting one with twilio-node (conformance/node).

Not collected by pytest (no `test_` prefix); the test modules import what they use.
"""

import base64
import json
import subprocess

import pytest

from conftest import BANTER_BIN, REPO

NODE_DIR = REPO / "conformance" / "node"


def verify(banter, jwt):
    """(exit status, parsed stdout) of `banter token verify JWT`."""
    proc = subprocess.run(
        [BANTER_BIN, "token", "verify", *banter.db_args, jwt],
        capture_output=True, text=True, timeout=30,
    )
    return proc.returncode, json.loads(proc.stdout)


def assert_refused(banter, jwt, code):
    """Require `banter token verify JWT` to refuse the token with Twilio error `code`."""
    rc, out = verify(banter, jwt)
    assert rc != 0, out
    assert out["code"] == code, out
    return out


def forge_identity(jwt, identity):
    """jwt with grants.identity replaced and the original signature kept."""
    header, payload, signature = jwt.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["grants"]["identity"] = identity
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return "%s.%s.%s" % (header, forged, signature)


def node_token(banter, key, service_sid, identity, **opts):
    """A token minted by twilio-node's AccessToken + ChatGrant (conformance/node/mint.js).

    key is (key_sid, key_secret); opts are mint.js's optional fields: account_sid (default the
    server's account), ttl, nbf, endpoint_id, push_credential_sid, algorithm. Fails, never
    skips, when Node.js or the npm project's dependencies are not installed."""
    if not (NODE_DIR / "node_modules" / "twilio").is_dir():
        pytest.fail("twilio-node is not installed: run `npm ci` in conformance/node "
                    "(needs Node.js and npm)", pytrace=False)
    key_sid, key_secret = key
    request = {"account_sid": banter.account_sid, "key_sid": key_sid, "key_secret": key_secret,
               "identity": identity, "service_sid": service_sid, **opts}
    try:
        proc = subprocess.run(["node", str(NODE_DIR / "mint.js")], input=json.dumps(request),
                              capture_output=True, text=True, timeout=30, cwd=NODE_DIR)
    except FileNotFoundError:
        pytest.fail("`node` is not on PATH: install Node.js to mint twilio-node tokens",
                    pytrace=False)
    assert proc.returncode == 0, "mint.js failed (%s): %s" % (proc.returncode, proc.stderr)
    return proc.stdout.strip()
