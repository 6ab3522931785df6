"""The client SDKs' browser bundles in a real browser: headless Chromium (Debian's `chromium`,
driven by puppeteer-core from conformance/node) loads twilio-chat 6.0.0's and
@twilio/conversations 3.0.1's bundles with <script> tags in a page of its own origin
(conformance/node/browser_client.js, browser_page.js) and runs two users in each SDK against
the suite's server: send, receive, typing, read horizon; then a picture sent with twilio-chat
(uploaded from the page to Banter's MCS, another origin) shown by an <img> whose src is the
message's temporary URL.
"""

import os

from conftest import unique
from test_client_chat import drive, request_for

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def test_sdk_browser_bundles_chat_in_headless_chromium(banter, service):
    # Arrange (.ci/run installs Chromium; without it this test fails rather than skips)
    assert os.path.exists(CHROMIUM), "Chromium is required: apt-get install chromium"
    alice, bob = unique("alice"), unique("bob")
    request = request_for(banter, service, alice, bob)

    # Act
    r = drive("browser_client.js", request)

    # Assert
    assert r["page_errors"] == []
    assert "HeadlessChrome" in r["user_agent"]
    chat = r["chat"]
    assert chat["identities"] == [alice, bob]
    assert chat["messages"] == [{"index": 0, "body": "hello from a browser", "author": alice},
                                {"index": 1, "body": "second", "author": alice}]
    assert chat["typing"] == [bob]
    assert chat["unread"] == 1
    conv = r["conversations"]
    assert conv["identities"] == [alice, bob]
    assert conv["messages"] == [{"index": 0, "body": "hello from a browser", "author": alice}]
    assert conv["typing"] == [bob]
    assert conv["unread"] == 0
    media = r["media"]
    assert media["type"] == "media"
    assert media["content_type"] == "image/png"
    assert media["size"] == media["sent_size"] > 0
    assert media["url"].startswith(banter.url) and "Signature=" in media["url"]
    assert media["img"] == {"width": 7, "height": 5}
