"""The client SDK socket (twilsock v3 at /v3/wsconnect), driven by Twilio's own twilsock client.

conformance/node/twilsock_client.js runs the twilsock package at the version twilio-chat 6.0.0
resolves to (pinned in conformance/node/package.json), over the `ws` package, against the
suite's `banter serve`: it connects, reads the chat configuration through the tunnel, reads a
path Banter does not serve, updates its token and disconnects; this module checks what it saw.
"""

import json
import subprocess
import time

from access_tokens import NODE_DIR
from conftest import SID_RE, unique
from end_users import python_token, signing_key


def drive(request):
    """Runs twilsock_client.js with `request` on stdin; returns its report."""
    proc = subprocess.run(
        ["node", str(NODE_DIR / "twilsock_client.js")],
        input=json.dumps(request), capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_twilsock_client_connects_reads_configuration_updates_token_and_closes(banter, service):
    # Arrange
    identity = unique("alice") + "@example.com"
    key = signing_key(banter)
    socket_url = banter.url.replace("http://", "ws://", 1) + "/v3/wsconnect"
    # The SDK addresses Twilio's chat host; Banter routes by path whatever the host.
    request = {
        "uri": socket_url,
        "token": python_token(banter, key, service.sid, identity),
        "update_token": python_token(banter, key, service.sid, identity, ttl=7200),
        "config_url": "https://aim.us1.twilio.com/Client/v1/Configuration",
        "missing_url": "https://aim.us1.twilio.com/Client/v1/Nothing",
        "expired_token": python_token(banter, key, service.sid, identity,
                                      nbf=int(time.time()) - 7200, valid_until=int(time.time()) - 3600),
    }

    # Act
    report = drive(request)

    # Assert
    assert report["connected"] is True, report
    assert report["connection_errors"] == [], report
    config = report["config"]
    assert config["status"] == {"code": 200, "status": "OK"}
    body = config["body"]
    assert body["identity"] == identity
    assert body["url"] == banter.url + "/Client/v1/Configuration"
    user_sid = body["sync_objects"]["my_user_info"][: -len(".info")]
    assert SID_RE["US"].match(user_sid), body
    assert body["sync_objects"]["my_conversations"] == user_sid + ".channels"
    service_base = "%s/Client/v2/Services/%s" % (banter.url, service.sid)
    links = body["links"]
    assert links["conversations"] == service_base + "/Conversations"
    assert links["users"] == service_base + "/Users"
    assert links["my_conversations"] == "%s/Users/%s/Conversations" % (service_base, user_sid)
    assert links["typing"] == service_base + "/Typing"
    assert links["media_service"] == "%s/mcs/v1/Services/%s/Media" % (banter.url, service.sid)
    assert links["messages_receipts"].count("%s") == 2
    assert all(link.startswith(banter.url + "/") for link in links.values()), links
    assert body["options"]["http_cache_interval"] == "PT5S"
    assert body["options"]["reachability_enabled"] == service.reachability_enabled

    missing = report["missing"]
    assert missing["rejected"] is True
    assert missing["status"] == 404
    assert missing["body"]["code"] == 20404
    assert missing["body"]["status"] == 404

    assert report["state_after_update"] == "connected"
    assert report["identity_after_update"] == identity
    assert report["final_state"] == "disconnected"
    assert "denied" not in report["states"] and "error" not in report["states"], report["states"]

    expired = report["expired"]
    assert expired["state"] == "denied", expired
    assert expired["token_expired"] is True, expired
    assert [(e["httpStatusCode"], e["errorCode"], e["terminal"]) for e in expired["errors"]] == [(401, 20104, True)]
