"""The Conversations API through twilio-node (conformance/node/rest_conversations.js, the pinned
twilio of conformance/node/package.json) with client.conversations.baseUrl pointed at Banter."""

import json
import subprocess

import pytest

from access_tokens import NODE_DIR


def test_twilio_node_drives_conversations(banter):
    if not (NODE_DIR / "node_modules" / "twilio").is_dir():
        pytest.fail("twilio-node is not installed: run `npm ci` in conformance/node", pytrace=False)
    request = {"base_url": banter.url, "account_sid": banter.account_sid,
               "auth_token": banter.auth_token}
    proc = subprocess.run(["node", str(NODE_DIR / "rest_conversations.js")],
                          input=json.dumps(request), capture_output=True, text=True, timeout=60,
                          cwd=NODE_DIR)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    c = out["conversation"]
    assert c["state"] == "inactive" and c["chatServiceSid"] == out["service"]
    assert c["url"] == "%s/v1/Services/%s/Conversations/%s" % (banter.url, out["service"], c["sid"])
    assert out["participant"]["identity"] == "alice" and out["participant"]["lastRead"] == 0
    assert out["message"] == {"index": 0, "author": "alice",
                              "participantSid": out["participant"]["sid"]}
    assert out["messages"] == ["hi"]
    assert out["userConversations"] == [c["sid"]]
    assert out["roleTypes"] == ["conversation", "service"]
    assert out["topService"] == out["defaultService"]
    assert out["v3Type"] == "private"
    assert out["nowConversation"]
    assert out["missing"] == {"status": 404, "code": 20404}
