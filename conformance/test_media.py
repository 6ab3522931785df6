"""Media through Banter's Media Content Service: uploads and downloads over plain HTTP, media
messages through twilio-python's REST client, and through the client SDKs (twilio-chat 6.0.0,
@twilio/conversations 3.0.1) driven by conformance/node/media_client.js."""

import base64
import hashlib
import json
import subprocess

import pytest
import requests

from access_tokens import NODE_DIR
from conftest import assert_rest_error, unique
from end_users import end_user, python_token, signing_key
from media import download, fetch, sample, upload


@pytest.fixture
def channel(client, service):
    return client.chat.v2.services(service.sid).channels.create(friendly_name="media")


def test_rest_media_message_round_trip(banter, client, service, channel):
    data = sample(200_000)
    r = upload(banter, service.sid, data, "image/jpeg", filename="photo.jpg")
    assert r.status_code == 201, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    media = r.json()
    assert media["size"] == len(data) and media["content_type"] == "image/jpeg"
    assert media["filename"] == "photo.jpg" and media["author"] == "system"

    msgs = client.chat.v2.services(service.sid).channels(channel.sid).messages
    msg = msgs.create(media_sid=media["sid"])
    assert msg.type == "media"
    assert msg.media == {"sid": media["sid"], "size": len(data), "content_type": "image/jpeg",
                         "filename": "photo.jpg"}
    assert msgs(msg.sid).fetch().media["sid"] == media["sid"]

    record = fetch(banter, service.sid, media["sid"]).json()
    assert record["message_sid"] == msg.sid and record["channel_sid"] == channel.sid
    got = download(record["links"]["content_direct_temporary"])
    assert got.status_code == 200 and got.content == data
    part = download(record["links"]["content_direct_temporary"], headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == data[100:200]

    # links.content with credentials redirects to a signed URL (requests follows it).
    via_link = requests.get(banter.url + record["links"]["content"],
                            auth=(banter.account_sid, banter.auth_token), timeout=30)
    assert via_link.status_code == 200 and via_link.content == data
    assert via_link.history and via_link.history[0].status_code == 302

    # Twilio's errors: unknown media, media already sent.
    assert_rest_error(msgs.create, 400, 50507, media_sid="ME" + "0" * 32)
    assert_rest_error(msgs.create, 400, 50508, media_sid=media["sid"])

    # Deleting the message deletes its media.
    msgs(msg.sid).delete()
    assert fetch(banter, service.sid, media["sid"]).status_code == 404
    assert download(record["links"]["content_direct_temporary"]).status_code == 404


def test_multipart_upload_and_end_user_access(banter, client, service, channel):
    alice = end_user(banter, service.sid, unique("alice"))
    client.chat.v2.services(service.sid).channels(channel.sid).members.create(identity=alice.identity)
    eve = end_user(banter, service.sid, unique("eve"))
    data = sample(50_000)
    r = requests.post("%s/v1/Services/%s/Media" % (banter.url, service.sid),
                      files={"Media": ("voice.ogg", data, "audio/ogg")},
                      headers={"X-Twilio-Token": alice.jwt}, timeout=30)
    assert r.status_code == 201, r.text
    media = r.json()
    assert (media["filename"], media["content_type"], media["author"]) == ("voice.ogg", "audio/ogg", alice.identity)

    assert fetch(banter, service.sid, media["sid"], headers={"X-Twilio-Token": alice.jwt}).status_code == 200
    assert fetch(banter, service.sid, media["sid"], headers={"X-Twilio-Token": eve.jwt}).status_code == 403
    msg = alice.svc.channels(channel.sid).messages.create(media_sid=media["sid"])
    assert msg.type == "media" and msg._from == alice.identity
    # Members read it; eve, who is not one, still cannot.
    assert fetch(banter, service.sid, media["sid"], headers={"X-Twilio-Token": eve.jwt}).status_code == 403
    record = fetch(banter, service.sid, media["sid"], headers={"X-Twilio-Token": alice.jwt}).json()
    assert download(record["links"]["content_direct_temporary"]).content == data


def test_size_limit_is_twilios_error(banter, service):
    # The suite's server runs with the default 150 MB limit: a declared larger body is refused
    # before it is read.
    r = requests.post("%s/mcs/v1/Services/%s/Media" % (banter.url, service.sid),
                      auth=(banter.account_sid, banter.auth_token),
                      headers={"Content-Type": "video/mp4", "Content-Length": str(151 * 1024 * 1024)},
                      data=b"", timeout=30)
    assert r.status_code == 413
    assert r.json()["code"] == 50512


def drive_media(banter, service, sdk, content_type, filename, data):
    key = signing_key(banter)
    alice, bob = unique("alice"), unique("bob")
    request = {
        "sdk": sdk,
        "uri": banter.url.replace("http://", "ws://", 1) + "/v3/wsconnect",
        "alice": python_token(banter, key, service.sid, alice),
        "bob": python_token(banter, key, service.sid, bob),
        "unique_name": unique("media"),
        "content_type": content_type, "filename": filename,
        "media_base64": base64.b64encode(data).decode(),
    }
    proc = subprocess.run(["node", str(NODE_DIR / "media_client.js")], input=json.dumps(request),
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return alice, json.loads(proc.stdout)


def test_twilio_chat_sends_media_and_reads_it_back(banter, client, service):
    data = sample(123_457)
    alice, r = drive_media(banter, service, "chat", "image/png", None, data)
    got = r["received"]
    assert got["type"] == "media" and got["author"] == alice
    assert got["media"]["contentType"] == "image/png" and got["media"]["size"] == len(data)
    assert got["status"] == 200 and got["content_type"] == "image/png"
    assert (got["length"], got["sha256"]) == (len(data), hashlib.sha256(data).hexdigest())
    assert (r["sender"]["length"], r["sender"]["sha256"]) == (len(data), hashlib.sha256(data).hexdigest())
    # The same message through REST.
    media_sid = got["media"]["sid"]
    channels = client.chat.v2.services(service.sid).channels.list()
    found = [m for ch in channels for m in client.chat.v2.services(service.sid).channels(ch.sid).messages.list()
             if m.media and m.media["sid"] == media_sid]
    assert len(found) == 1 and found[0].type == "media" and found[0].media["size"] == len(data)


def test_conversations_sends_media_and_reads_it_back(banter, service):
    data = sample(64_000)
    alice, r = drive_media(banter, service, "conversations", "audio/mpeg", "note.mp3", data)
    got = r["received"]
    assert got["type"] == "media" and got["author"] == alice
    assert r["attached_count"] == 1
    assert got["media"]["filename"] == "note.mp3" and got["media"]["contentType"] == "audio/mpeg"
    assert got["media"]["size"] == len(data)
    assert (got["length"], got["sha256"]) == (len(data), hashlib.sha256(data).hexdigest())
