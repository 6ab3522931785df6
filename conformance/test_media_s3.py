"""Media in an S3-compatible object store: a real S3 server (moto's server mode, from PyPI) on
127.0.0.1, and a Banter started with `--media-url s3://bucket/prefix` against it."""

import base64
import socket
import time

import boto3
import pytest
from moto.server import ThreadedMotoServer

from conftest import BanterServer, make_client
from media import download, fetch, sample, upload

BUCKET = "banter-media"
PREFIX = "node-a"
KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = "http://%s:%s" % (host, port)
    bucket = boto3.client("s3", endpoint_url=endpoint, **KEYS)
    bucket.create_bucket(Bucket=BUCKET)
    try:
        yield endpoint, bucket
    finally:
        server.stop()


@pytest.fixture(scope="module")
def banter_s3(s3, tmp_path_factory):
    endpoint, _ = s3
    server = BanterServer(tmp_path_factory.mktemp("banter-s3"), extra_args=[
        "--media-url", "s3://%s/%s" % (BUCKET, PREFIX), "--s3-endpoint", endpoint, "--s3-allow-http",
        "--s3-region", KEYS["region_name"], "--s3-access-key-id", KEYS["aws_access_key_id"],
        "--s3-secret-access-key", KEYS["aws_secret_access_key"],
    ])
    server.start()
    try:
        yield server
    finally:
        server.stop()


def objects(bucket):
    listed = bucket.list_objects_v2(Bucket=BUCKET, Prefix=PREFIX + "/")
    return {o["Key"]: o["Size"] for o in listed.get("Contents", [])}


def test_media_is_stored_in_the_object_store(banter_s3, s3):
    _, bucket = s3
    client = make_client(banter_s3.account_sid, banter_s3.auth_token, banter_s3.url)
    service = client.chat.v2.services.create(friendly_name="s3")
    channel = client.chat.v2.services(service.sid).channels.create(friendly_name="s3")

    # A small file (one PUT) and one of several parts (a multipart upload).
    small, large = sample(3000), sample(20 * 1024 * 1024 + 5)
    uploaded = []
    for data, ctype in [(small, "image/gif"), (large, "video/mp4")]:
        r = upload(banter_s3, service.sid, data, ctype)
        assert r.status_code == 201, r.text
        uploaded.append(r.json())
    stored = objects(bucket)
    for m, data in zip(uploaded, [small, large]):
        key = "%s/%s/%s" % (PREFIX, service.sid, m["sid"])
        assert stored.get(key) == len(data), stored
        assert bucket.get_object(Bucket=BUCKET, Key=key)["Body"].read() == data
        url = fetch(banter_s3, service.sid, m["sid"]).json()["links"]["content_direct_temporary"]
        assert download(url).content == data
    url = fetch(banter_s3, service.sid, uploaded[1]["sid"]).json()["links"]["content_direct_temporary"]
    part = download(url, headers={"Range": "bytes=10000000-10000099"})
    assert part.status_code == 206 and part.content == large[10_000_000:10_000_100]

    # A media message; deleting it deletes the object.
    msgs = client.chat.v2.services(service.sid).channels(channel.sid).messages
    msg = msgs.create(media_sid=uploaded[0]["sid"])
    assert msg.media["size"] == len(small) and msg.media["content_type"] == "image/gif"
    msgs(msg.sid).delete()
    assert "%s/%s/%s" % (PREFIX, service.sid, uploaded[0]["sid"]) not in objects(bucket)


def test_an_interrupted_upload_leaves_nothing(banter_s3, s3):
    _, bucket = s3
    client = make_client(banter_s3.account_sid, banter_s3.auth_token, banter_s3.url)
    service = client.chat.v2.services.create(friendly_name="s3-cut")
    before = objects(bucket)
    # Declares 30 MB, sends 12 MB (more than a part) and hangs up.
    host, port = banter_s3.url.split("://", 1)[1].split(":")
    auth = base64.b64encode(("%s:%s" % (banter_s3.account_sid, banter_s3.auth_token)).encode()).decode()
    with socket.create_connection((host, int(port))) as s:
        s.sendall(("POST /mcs/v1/Services/%s/Media HTTP/1.1\r\nHost: %s:%s\r\nAuthorization: Basic %s\r\n"
                   "Content-Type: video/mp4\r\nContent-Length: %d\r\n\r\n"
                   % (service.sid, host, port, auth, 30 * 1024 * 1024)).encode())
        chunk = sample(1024 * 1024)
        for _ in range(12):
            s.sendall(chunk)
    # The server notices, aborts the multipart upload and writes no record. (It may still be
    # reading what was sent: wait until no upload has been in progress for two seconds.)
    deadline, quiet_since = time.monotonic() + 20, time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - quiet_since < 2:
        if bucket.list_multipart_uploads(Bucket=BUCKET).get("Uploads"):
            quiet_since = time.monotonic()
        time.sleep(0.1)
    assert not bucket.list_multipart_uploads(Bucket=BUCKET).get("Uploads")
    assert objects(bucket) == before
