"""Service and channel webhooks, observed by a real HTTP receiver running in the test process.

Every request the receiver gets is checked with twilio-python's ``RequestValidator`` (POST:
exact hook URL + form params; GET: full URL with query string + no params).

Notes:
- twilio-python's generated DELETE methods drop ``X-Twilio-Webhook-Enabled`` (SDK.md trap 6),
  so a delete through the resource API never fires webhooks; deletes with the header are sent
  here through the SDK's generic ``client.request``.
- Waits are bounded; "nothing arrives" checks wait QUIET seconds (the delivery worker polls
  every 100 ms).
"""

import collections
import json
import re
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from twilio.request_validator import RequestValidator

from conftest import (SID_RE, BanterServer, assert_rest_error, make_client, unique,
                      wait_until)

QUIET = 1.5
MS_DATE_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
COMMON = ("EventType", "AccountSid", "InstanceSid", "Source", "RetryCount")
ON = "true"  # x_twilio_webhook_enabled


# --------------------------------------------------------------------------- receiver


class _Multi(dict):
    """Form params as a dict of lists, in the shape RequestValidator.get_values understands."""

    def getlist(self, name):
        return self[name]


class Hit:
    def __init__(self, method, path, query, headers, pairs, body, url):
        self.method = method
        self.path = path          # without query string
        self.query = query        # raw query string
        self.headers = headers    # dict, lower-case names
        self.pairs = pairs        # [(name, value)] from the form body (POST) or query (GET)
        self.body = body
        self.url = url            # http://127.0.0.1:PORT/path?query
        self.valid = False
        self.t = time.monotonic()

    @property
    def params(self):
        return dict(self.pairs)

    @property
    def event(self):
        return self.params.get("EventType")

    def __repr__(self):
        return "<Hit %s %s %s>" % (self.method, self.path, self.event)


class Receiver:
    """A local webhook receiver. Responses come from a per-path script of
    (status, body, delay) tuples, then from the per-path default (200, "", 0)."""

    def __init__(self, auth_token, port=0):
        self.validator = RequestValidator(auth_token)
        self.port = port
        self.tag = uuid.uuid4().hex[:8]
        self.hits = []
        self.cond = threading.Condition()
        self.scripts = collections.defaultdict(collections.deque)
        self.defaults = {}
        self.callbacks = {}
        self.server = None
        self.thread = None

    # lifecycle
    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802
                receiver._handle(self)

            do_GET = do_POST  # noqa: N815
            do_PUT = do_POST  # noqa: N815
            do_DELETE = do_POST  # noqa: N815

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        server.block_on_close = False
        self.server = server
        self.port = server.server_address[1]
        self.thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    # configuration
    def url(self, name):
        return "http://127.0.0.1:%d/%s-%s" % (self.port, name, self.tag)

    def path(self, name):
        return "/%s-%s" % (name, self.tag)

    def script(self, name, *responses):
        with self.cond:
            self.scripts[self.path(name)].extend(responses)

    def default(self, name, status=200, body="", delay=0.0):
        with self.cond:
            self.defaults[self.path(name)] = (status, body, delay)

    def on(self, name, callback):
        """callback(hit) runs in the handler thread before the response is sent; its result is
        kept as hit.callback_result, and a (status, body, delay) result is used as the answer."""
        self.callbacks[self.path(name)] = callback

    # handling
    def _handle(self, h):
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length).decode("utf-8") if length else ""
        split = urlsplit(h.path)
        url = "http://127.0.0.1:%d%s" % (self.port, h.path)
        if h.command == "POST":
            pairs = parse_qsl(raw, keep_blank_values=True)
        else:
            pairs = parse_qsl(split.query, keep_blank_values=True)
        headers = {k.lower(): v for k, v in h.headers.items()}
        hit = Hit(h.command, split.path, split.query, headers, pairs, raw, url)
        sig = headers.get("x-twilio-signature", "")
        if h.command == "POST":
            multi = _Multi()
            for k, v in parse_qsl(raw, keep_blank_values=True):
                multi.setdefault(k, []).append(v)
            hit.valid = bool(sig) and self.validator.validate(url, multi, sig)
        else:
            hit.valid = bool(sig) and self.validator.validate(url, {}, sig)
        cb = self.callbacks.get(split.path)
        if cb is not None:
            try:
                hit.callback_result = cb(hit)
            except Exception as e:  # noqa: BLE001
                hit.callback_result = e
        with self.cond:
            q = self.scripts.get(split.path)
            override = getattr(hit, "callback_result", None)
            if isinstance(override, tuple) and len(override) == 3:
                status, body, delay = override
            elif q:
                status, body, delay = q.popleft()
            else:
                status, body, delay = self.defaults.get(split.path, (200, "", 0.0))
            self.hits.append(hit)
            self.cond.notify_all()
        if delay:
            time.sleep(delay)
        data = body.encode("utf-8")
        try:
            h.send_response(status)
            h.send_header("Content-Type",
                          "application/json" if body.startswith("{") else "text/plain")
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
        except OSError:
            pass

    # observation
    def got(self, name=None, event=None):
        with self.cond:
            hits = list(self.hits)
        if name is not None:
            hits = [h for h in hits if h.path == self.path(name)]
        if event is not None:
            hits = [h for h in hits if h.event == event]
        return hits

    def assert_signed(self):
        bad = [h for h in self.got() if not h.valid]
        assert not bad, "requests with a missing/invalid X-Twilio-Signature: %s" % [
            (h.method, h.url, h.headers.get("x-twilio-signature"), h.pairs) for h in bad]

    def wait(self, name=None, event=None, count=1, timeout=10.0):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                hits = self.got(name, event)
                if len(hits) >= count or time.monotonic() >= deadline:
                    break
                self.cond.wait(max(0.01, deadline - time.monotonic()))
        assert len(hits) >= count, "expected >= %d %s request(s) at %s within %ss, got %d: %s" % (
            count, event or "", name, timeout, len(hits),
            [(h.path, h.event) for h in self.got()])
        self.assert_signed()
        return hits

    def wait_one(self, name, event, timeout=10.0):
        return self.wait(name, event, 1, timeout)[0]

    def assert_quiet(self, name=None, event=None, seconds=QUIET, expect=0):
        time.sleep(seconds)
        hits = self.got(name, event)
        assert len(hits) == expect, "expected %d %s request(s) at %s, got %d: %s" % (
            expect, event or "", name, len(hits), [(h.path, h.event, h.pairs) for h in hits])
        self.assert_signed()
        return hits


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture
def rcv(banter):
    r = Receiver(banter.auth_token).start()
    yield r
    r.stop()
    r.assert_signed()  # every request a test received, including ones it did not inspect


def hooks(svc, rcv, pre=True, post=True, **kw):
    """Point the service's pre/post hooks at the receiver (paths 'pre' and 'post')."""
    if pre:
        kw.setdefault("pre_webhook_url", rcv.url("pre"))
    if post:
        kw.setdefault("post_webhook_url", rcv.url("post"))
    kw.setdefault("webhook_method", "POST")
    return svc.update(**kw)


def check_common(hit, banter, service, event, retry="0"):
    p = hit.params
    for k in COMMON:
        assert k in p, "%s: missing %s in %s" % (event, k, p)
    assert p["EventType"] == event
    assert p["AccountSid"] == banter.account_sid
    assert p["InstanceSid"] == service.sid
    assert p["Source"] == "API"
    assert p["RetryCount"] == retry
    assert "ClientIdentity" not in p, p
    assert hit.headers.get("x-twilio-signature"), hit.headers
    assert hit.valid


def proposed(hit, field):
    """The value a pre-event announces for `field`: New<Field> when present, else <Field>."""
    p = hit.params
    return p.get("New" + field, p.get(field))


def names(pairs):
    return [k for k, _ in pairs]


def metrics(base_url):
    r = requests.get(base_url + "/metrics", timeout=5)
    assert r.status_code == 200, (r.status_code, r.text)
    out = {}
    for m in re.finditer(r'^banter_webhook_deliveries_total\{result="(\w+)"\} (\d+)$', r.text, re.M):
        out[m.group(1)] = int(m.group(2))
    return out, r


# --------------------------------------------------------------------------- header gating


def test_no_header_fires_nothing(svc, rcv, channel):
    hooks(svc, rcv, post_webhook_retry_count=0)
    ch = svc.channels.create(friendly_name=unique("ch"))
    svc.channels(ch.sid).update(friendly_name="renamed")
    user = svc.users.create(identity=unique("u"))
    svc.users(user.sid).update(friendly_name="F")
    svc.channels(ch.sid).members.create(identity=user.identity)
    m = svc.channels(ch.sid).messages.create(body="hi")
    svc.channels(ch.sid).messages(m.sid).update(body="edited")
    # explicit "false" behaves like no header
    svc.channels(ch.sid).messages.create(body="hi", x_twilio_webhook_enabled="false")
    svc.users.create(identity=unique("u"), x_twilio_webhook_enabled="false")
    rcv.assert_quiet()


def test_invalid_header_value_rejected(svc, channel):
    assert_rest_error(lambda: svc.channels(channel.sid).messages.create(
        body="x", x_twilio_webhook_enabled="maybe"), 400)


# --------------------------------------------------------------------------- post events


def test_message_sent_params_and_headers(banter, service, svc, rcv, channel):
    svc.update(post_webhook_url=rcv.url("post"))  # webhook_method unset: POST
    m = svc.channels(channel.sid).messages.create(
        body="hello world", from_="alice", attributes='{"k": 1}', x_twilio_webhook_enabled=ON)
    hit = rcv.wait_one("post", "onMessageSent")
    check_common(hit, banter, service, "onMessageSent")
    p = hit.params
    assert hit.method == "POST"
    assert hit.headers.get("content-type", "").startswith("application/x-www-form-urlencoded")
    assert hit.headers.get("i-twilio-idempotency-token"), hit.headers
    assert p["ChannelSid"] == channel.sid
    assert p["MessageSid"] == m.sid and SID_RE["IM"].match(m.sid)
    assert p["Index"] == str(m.index) == "0"
    assert p["Body"] == "hello world"
    assert p["Attributes"] == '{"k": 1}'
    assert p["From"] == "alice"
    assert MS_DATE_RE.match(p["DateCreated"]), p["DateCreated"]
    assert p["DateCreated"][:19] == m.date_created.strftime("%Y-%m-%dT%H:%M:%S")
    assert len(set(names(hit.pairs))) == len(hit.pairs), "repeated params: %s" % hit.pairs
    rcv.assert_quiet("post", expect=1)


def test_post_event_delivered_after_commit(svc, rcv, channel):
    hooks(svc, rcv, pre=False)
    rcv.on("post", lambda hit: svc.channels(channel.sid).messages(
        hit.params["MessageSid"]).fetch().body)
    svc.channels(channel.sid).messages.create(body="committed", x_twilio_webhook_enabled=ON)
    hit = rcv.wait_one("post", "onMessageSent")
    assert hit.callback_result == "committed", hit.callback_result


def test_channel_added_updated_params(banter, service, svc, rcv):
    hooks(svc, rcv, pre=False)
    ch = svc.channels.create(friendly_name="F1", unique_name=unique("un"), attributes='{"a":1}',
                             created_by="bob", x_twilio_webhook_enabled=ON)
    hit = rcv.wait_one("post", "onChannelAdded")
    check_common(hit, banter, service, "onChannelAdded")
    p = hit.params
    assert p["ChannelSid"] == ch.sid
    assert p["ChannelType"] == "public"
    assert p["FriendlyName"] == "F1"
    assert p["UniqueName"] == ch.unique_name
    assert p["Attributes"] == '{"a":1}'
    assert p["CreatedBy"] == "bob"
    assert MS_DATE_RE.match(p["DateCreated"]), p
    assert MS_DATE_RE.match(p["DateUpdated"]), p

    svc.channels(ch.sid).update(friendly_name="F2", x_twilio_webhook_enabled=ON)
    hit = rcv.wait_one("post", "onChannelUpdated")
    check_common(hit, banter, service, "onChannelUpdated")
    assert hit.params["ChannelSid"] == ch.sid
    assert hit.params["FriendlyName"] == "F2"
    assert hit.params["UniqueName"] == ch.unique_name


def test_member_added_updated_params(banter, service, svc, rcv, channel):
    user = svc.users.create(identity=unique("u"))
    hooks(svc, rcv, pre=False)
    mem = svc.channels(channel.sid).members.create(identity=user.identity,
                                                    x_twilio_webhook_enabled=ON)
    hit = rcv.wait_one("post", "onMemberAdded")
    check_common(hit, banter, service, "onMemberAdded")
    p = hit.params
    assert p["ChannelSid"] == channel.sid
    assert p["MemberSid"] == mem.sid
    assert p["Identity"] == user.identity
    assert p["RoleSid"] == mem.role_sid == service.default_channel_role_sid
    assert p["Reason"] == "ADDED"
    assert MS_DATE_RE.match(p.get("DateCreated", "")), p

    svc.channels(channel.sid).members(mem.sid).update(attributes='{"x":2}',
                                                     x_twilio_webhook_enabled=ON)
    hit = rcv.wait_one("post", "onMemberUpdated")
    check_common(hit, banter, service, "onMemberUpdated")
    assert hit.params["MemberSid"] == mem.sid
    assert hit.params["Identity"] == user.identity
    assert hit.params["ChannelSid"] == channel.sid


def test_user_added_updated_params(banter, service, svc, rcv):
    hooks(svc, rcv, pre=False)
    ident = unique("u")
    user = svc.users.create(identity=ident, friendly_name="Ann", attributes='{"t":1}',
                            x_twilio_webhook_enabled=ON)
    hit = rcv.wait_one("post", "onUserAdded")
    check_common(hit, banter, service, "onUserAdded")
    p = hit.params
    assert p["UserSid"] == user.sid
    assert p["Identity"] == ident
    assert p["FriendlyName"] == "Ann"
    assert p["Attributes"] == '{"t":1}'
    assert p["RoleSid"] == user.role_sid == service.default_service_role_sid
    assert MS_DATE_RE.match(p.get("DateCreated", "")), p

    svc.users(user.sid).update(friendly_name="Bea", x_twilio_webhook_enabled=ON)
    hit = rcv.wait_one("post", "onUserUpdated")
    check_common(hit, banter, service, "onUserUpdated")
    assert hit.params["UserSid"] == user.sid
    assert hit.params["Identity"] == ident
    assert hit.params["FriendlyName"] == "Bea"


def test_message_updated_params(banter, service, svc, rcv, channel):
    m = svc.channels(channel.sid).messages.create(body="v1")
    hooks(svc, rcv, pre=False)
    svc.channels(channel.sid).messages(m.sid).update(body="v2", x_twilio_webhook_enabled=ON)
    hit = rcv.wait_one("post", "onMessageUpdated")
    check_common(hit, banter, service, "onMessageUpdated")
    p = hit.params
    assert p["MessageSid"] == m.sid
    assert p["ChannelSid"] == channel.sid
    assert p["Index"] == "0"
    assert p["Body"] == "v2"


def test_sdk_message_delete_fires_nothing(svc, rcv, channel):
    """twilio-python's MessageContext.delete drops X-Twilio-Webhook-Enabled, so no hook fires."""
    m = svc.channels(channel.sid).messages.create(body="bye")
    hooks(svc, rcv)
    assert svc.channels(channel.sid).messages(m.sid).delete(x_twilio_webhook_enabled=ON) is True
    rcv.assert_quiet()
    assert svc.channels(channel.sid).messages.list() == []


def test_delete_with_header_fires_removed_and_destroyed(client, banter, service, svc, rcv,
                                                        base_url):
    """The same deletes sent with the header (via the SDK's generic client.request)."""
    ch = svc.channels.create(friendly_name=unique("ch"))
    user = svc.users.create(identity=unique("u"))
    mem = svc.channels(ch.sid).members.create(identity=user.identity)
    m = svc.channels(ch.sid).messages.create(body="gone")
    hooks(svc, rcv, pre=False)
    root = "%s/v2/Services/%s/Channels/%s" % (base_url, service.sid, ch.sid)
    hdr = {"X-Twilio-Webhook-Enabled": "true"}
    for path in ("/Messages/" + m.sid, "/Members/" + mem.sid, ""):
        r = client.request("DELETE", root + path, headers=dict(hdr))
        assert r.status_code == 204, (path, r.status_code, r.text)
    removed = rcv.wait_one("post", "onMessageRemoved")
    check_common(removed, banter, service, "onMessageRemoved")
    assert removed.params["MessageSid"] == m.sid
    assert removed.params["Body"] == "gone"
    left = rcv.wait_one("post", "onMemberRemoved")
    check_common(left, banter, service, "onMemberRemoved")
    assert left.params["MemberSid"] == mem.sid
    assert left.params["Reason"] == "REMOVED"
    destroyed = rcv.wait_one("post", "onChannelDestroyed")
    check_common(destroyed, banter, service, "onChannelDestroyed")
    assert destroyed.params["ChannelSid"] == ch.sid
    assert [h.event for h in rcv.got("post")] == [
        "onMessageRemoved", "onMemberRemoved", "onChannelDestroyed"]


# --------------------------------------------------------------------------- pre events


def test_pre_event_called_before_commit_with_params(banter, service, svc, rcv, channel):
    hooks(svc, rcv)
    rcv.on("pre", lambda hit: len(svc.channels(channel.sid).messages.list()))
    m = svc.channels(channel.sid).messages.create(body="pre?", from_="alice",
                                                  x_twilio_webhook_enabled=ON)
    pre = rcv.wait_one("pre", "onMessageSend")
    check_common(pre, banter, service, "onMessageSend")
    assert pre.callback_result == 0, "message visible while its pre-event hook ran"
    p = pre.params
    assert p["ChannelSid"] == channel.sid
    assert p["Body"] == "pre?"
    assert p["From"] == "alice"
    assert "MessageSid" not in p, p
    post = rcv.wait_one("post", "onMessageSent")
    assert post.params["MessageSid"] == m.sid
    assert pre.t < post.t


@pytest.mark.parametrize("status", [403, 400, 500])
def test_pre_event_rejection_blocks_message(svc, rcv, channel, status):
    hooks(svc, rcv)
    rcv.default("pre", status, "no")
    assert_rest_error(lambda: svc.channels(channel.sid).messages.create(
        body="blocked", x_twilio_webhook_enabled=ON), 403, 20403)
    assert len(rcv.got("pre", "onMessageSend")) == 1
    assert svc.channels(channel.sid).messages.list() == []
    assert svc.channels(channel.sid).fetch().messages_count == 0
    rcv.assert_quiet("post")


def test_pre_event_any_2xx_approves(svc, rcv, channel):
    hooks(svc, rcv)
    rcv.default("pre", 204)
    m = svc.channels(channel.sid).messages.create(body="ok", x_twilio_webhook_enabled=ON)
    assert svc.channels(channel.sid).messages(m.sid).fetch().body == "ok"
    rcv.wait_one("post", "onMessageSent")


def test_pre_event_rejection_blocks_channel_member_user(svc, rcv, channel):
    user = svc.users.create(identity=unique("u"), friendly_name="orig")
    hooks(svc, rcv)
    rcv.default("pre", 403)
    fname = unique("blocked")
    assert_rest_error(lambda: svc.channels.create(friendly_name=fname,
                                                  x_twilio_webhook_enabled=ON), 403, 20403)
    assert fname not in [c.friendly_name for c in svc.channels.list()]
    assert_rest_error(lambda: svc.channels(channel.sid).members.create(
        identity=user.identity, x_twilio_webhook_enabled=ON), 403, 20403)
    assert svc.channels(channel.sid).members.list() == []
    assert_rest_error(lambda: svc.users(user.sid).update(
        friendly_name="changed", x_twilio_webhook_enabled=ON), 403, 20403)
    assert svc.users(user.sid).fetch().friendly_name == "orig"
    assert_rest_error(lambda: svc.channels(channel.sid).update(
        friendly_name="changed", x_twilio_webhook_enabled=ON), 403, 20403)
    assert svc.channels(channel.sid).fetch().friendly_name == channel.friendly_name
    assert [h.event for h in rcv.got("pre")] == [
        "onChannelAdd", "onMemberAdd", "onUserUpdate", "onChannelUpdate"]
    rcv.assert_quiet("post")


def test_pre_event_rejection_blocks_message_and_member_update(svc, rcv, channel):
    user = svc.users.create(identity=unique("u"))
    mem = svc.channels(channel.sid).members.create(identity=user.identity, attributes='{"v":1}')
    m = svc.channels(channel.sid).messages.create(body="v1")
    hooks(svc, rcv)
    rcv.default("pre", 403)
    assert_rest_error(lambda: svc.channels(channel.sid).messages(m.sid).update(
        body="v2", attributes='{"e":1}', x_twilio_webhook_enabled=ON), 403, 20403)
    assert svc.channels(channel.sid).messages(m.sid).fetch().body == "v1"
    assert_rest_error(lambda: svc.channels(channel.sid).members(mem.sid).update(
        attributes='{"v":2}', x_twilio_webhook_enabled=ON), 403, 20403)
    assert json.loads(svc.channels(channel.sid).members(mem.sid).fetch().attributes) == {"v": 1}
    pres = rcv.got("pre")
    assert [h.event for h in pres] == ["onMessageUpdate", "onMemberUpdate"]
    # the pre-event must show the proposed change (as the field itself or as New<Field>)
    assert pres[0].params["MessageSid"] == m.sid
    assert proposed(pres[0], "Body") == "v2", pres[0].pairs
    assert json.loads(proposed(pres[0], "Attributes")) == {"e": 1}, pres[0].pairs
    assert pres[1].params["MemberSid"] == mem.sid
    assert json.loads(proposed(pres[1], "Attributes")) == {"v": 2}, pres[1].pairs
    rcv.assert_quiet("post")


def test_pre_event_modifies_message(svc, rcv, channel):
    hooks(svc, rcv)
    rcv.script("pre", (200, json.dumps({"body": "modified", "attributes": '{"m":true}'}), 0),
               (200, json.dumps({"Body": "PASCAL"}), 0))
    m1 = svc.channels(channel.sid).messages.create(body="original", x_twilio_webhook_enabled=ON)
    assert m1.body == "modified"
    assert json.loads(m1.attributes) == {"m": True}
    assert svc.channels(channel.sid).messages(m1.sid).fetch().body == "modified"
    m2 = svc.channels(channel.sid).messages.create(body="original", x_twilio_webhook_enabled=ON)
    assert m2.body == "PASCAL"
    rcv.script("pre", (200, "OK, not JSON", 0))
    m3 = svc.channels(channel.sid).messages.create(body="original", x_twilio_webhook_enabled=ON)
    assert m3.body == "original"
    posts = rcv.wait("post", "onMessageSent", 3)
    assert [h.params["Body"] for h in posts] == ["modified", "PASCAL", "original"]
    assert json.loads(posts[0].params["Attributes"]) == {"m": True}


def test_pre_event_modifies_channel(svc, rcv):
    hooks(svc, rcv)
    rcv.default("pre", 200, json.dumps({"friendly_name": "renamed by hook"}))
    ch = svc.channels.create(friendly_name="asked", x_twilio_webhook_enabled=ON)
    pre = rcv.got("pre", "onChannelAdd")[0]
    assert pre.params["FriendlyName"] == "asked"
    assert "ChannelSid" not in pre.params, pre.params
    assert ch.friendly_name == "renamed by hook"
    assert svc.channels(ch.sid).fetch().friendly_name == "renamed by hook"
    post = rcv.wait_one("post", "onChannelAdded")
    assert post.params["FriendlyName"] == "renamed by hook"


def test_pre_event_modifies_user(svc, rcv):
    user = svc.users.create(identity=unique("u"), friendly_name="orig")
    hooks(svc, rcv)
    rcv.default("pre", 200, json.dumps({"friendly_name": "hooked"}))
    out = svc.users(user.sid).update(friendly_name="asked", x_twilio_webhook_enabled=ON)
    pre = rcv.got("pre", "onUserUpdate")[0]
    assert pre.params["UserSid"] == user.sid
    assert proposed(pre, "FriendlyName") == "asked", pre.pairs
    assert out.friendly_name == "hooked"
    assert svc.users(user.sid).fetch().friendly_name == "hooked"
    assert rcv.wait_one("post", "onUserUpdated").params["FriendlyName"] == "hooked"


def test_pre_event_modification_over_limit_rejected(svc, rcv, channel):
    hooks(svc, rcv)
    rcv.default("pre", 200, json.dumps({"body": "x" * 40000}))
    assert_rest_error(lambda: svc.channels(channel.sid).messages.create(
        body="short", x_twilio_webhook_enabled=ON), 400, 50504)
    assert svc.channels(channel.sid).messages.list() == []
    rcv.assert_quiet("post")


def test_pre_event_retried_on_503(svc, rcv, channel):
    hooks(svc, rcv, pre_webhook_retry_count=1)
    rcv.script("pre", (503, "", 0))
    m = svc.channels(channel.sid).messages.create(body="retry", x_twilio_webhook_enabled=ON)
    pres = rcv.got("pre", "onMessageSend")
    assert [h.params["RetryCount"] for h in pres] == ["0", "1"]
    assert svc.channels(channel.sid).messages(m.sid).fetch().body == "retry"


def test_pre_event_timeout_502_50076(svc, rcv, channel):
    hooks(svc, rcv, pre_webhook_retry_count=0)
    rcv.default("pre", 200, "", 6.0)
    t0 = time.monotonic()
    err = assert_rest_error(lambda: svc.channels(channel.sid).messages.create(
        body="slow", x_twilio_webhook_enabled=ON), 502, 50076)
    elapsed = time.monotonic() - t0
    assert 4.5 <= elapsed < 6.5, "pre-event timeout after %.2fs, expected ~5s" % elapsed
    assert len(rcv.got("pre")) == 1
    assert svc.channels(channel.sid).messages.list() == []
    rcv.assert_quiet("post", seconds=0.5)
    # A closed port fails the same way: no reason reaches the caller.
    hooks(svc, rcv, pre_webhook_url="http://127.0.0.1:%d/pre" % free_port())
    closed = assert_rest_error(lambda: svc.channels(channel.sid).messages.create(
        body="closed", x_twilio_webhook_enabled=ON), 502, 50076)
    assert closed.msg == err.msg, (closed.msg, err.msg)


# --------------------------------------------------------------------------- delivery options


def test_webhook_filters_select_events(svc, rcv):
    hooks(svc, rcv, webhook_filters=["onMessageSent", "onMessageSend"])
    rcv.default("pre", 403)  # would block everything the filter lets through, except messages
    rcv.script("pre", (200, "", 0))
    ch = svc.channels.create(friendly_name=unique("ch"), x_twilio_webhook_enabled=ON)
    user = svc.users.create(identity=unique("u"), x_twilio_webhook_enabled=ON)
    svc.channels(ch.sid).members.create(identity=user.identity, x_twilio_webhook_enabled=ON)
    svc.channels(ch.sid).messages.create(body="only me", x_twilio_webhook_enabled=ON)
    rcv.wait_one("post", "onMessageSent")
    time.sleep(QUIET)
    assert [h.event for h in rcv.got("pre")] == ["onMessageSend"]
    assert [h.event for h in rcv.got("post")] == ["onMessageSent"]


def test_get_method_sends_query_params(banter, service, svc, rcv, channel):
    url = rcv.url("post") + "?token=abc"
    svc.update(post_webhook_url=url, pre_webhook_url=rcv.url("pre"), webhook_method="GET")
    m = svc.channels(channel.sid).messages.create(body="via get", x_twilio_webhook_enabled=ON)
    pre = rcv.got("pre", "onMessageSend")
    assert len(pre) == 1 and pre[0].method == "GET" and pre[0].body == "", pre
    assert pre[0].valid and pre[0].params["Body"] == "via get"
    hit = rcv.wait_one("post", "onMessageSent")
    assert hit.method == "GET"
    assert hit.body == ""
    assert hit.url.startswith(url + "&"), hit.url
    check_common(hit, banter, service, "onMessageSent")
    assert hit.params["token"] == "abc"
    assert hit.params["MessageSid"] == m.sid
    assert hit.params["Body"] == "via get"


def test_non_ascii_params_signed(banter, service, svc, rcv, channel):
    hooks(svc, rcv)
    body = "h\u00e9llo \u2713 & = + % \U0001f600 \n line2"
    attrs = json.dumps({"k": "\u00fc & ="}, ensure_ascii=False)
    svc.channels(channel.sid).messages.create(body=body, attributes=attrs, from_="\u00e4lice",
                                              x_twilio_webhook_enabled=ON)
    for name, event in (("pre", "onMessageSend"), ("post", "onMessageSent")):
        hit = rcv.wait_one(name, event)
        check_common(hit, banter, service, event)
        assert hit.params["Body"] == body
        assert hit.params["Attributes"] == attrs
        assert hit.params["From"] == "\u00e4lice"


def test_post_hook_url_with_query_string_signed(banter, service, svc, rcv, channel):
    url = rcv.url("post") + "?a=1&b=two"
    svc.update(post_webhook_url=url, webhook_method="POST")
    svc.channels(channel.sid).messages.create(body="q", x_twilio_webhook_enabled=ON)
    hit = rcv.wait_one("post", "onMessageSent")
    assert hit.url == url
    check_common(hit, banter, service, "onMessageSent")
    assert "a" not in hit.params


def test_ordering_within_channel(svc, rcv, channel):
    hooks(svc, rcv, pre=False)
    rcv.default("post", 200, "", 0.05)
    for i in range(10):
        svc.channels(channel.sid).messages.create(body="m%d" % i, x_twilio_webhook_enabled=ON)
    hits = rcv.wait("post", "onMessageSent", 10, timeout=15)
    assert [h.params["Index"] for h in hits] == [str(i) for i in range(10)]
    assert [h.params["Body"] for h in hits] == ["m%d" % i for i in range(10)]
    assert len({h.headers.get("i-twilio-idempotency-token") for h in hits}) == 10


def test_channel_events_in_causal_order(svc, rcv):
    hooks(svc, rcv, pre=False)
    user = svc.users.create(identity=unique("u"))
    ch = svc.channels.create(friendly_name=unique("ch"), x_twilio_webhook_enabled=ON)
    svc.channels(ch.sid).members.create(identity=user.identity, x_twilio_webhook_enabled=ON)
    svc.channels(ch.sid).messages.create(body="x", x_twilio_webhook_enabled=ON)
    svc.channels(ch.sid).update(friendly_name="y", x_twilio_webhook_enabled=ON)
    rcv.wait("post", count=4)
    assert [h.event for h in rcv.got("post")] == [
        "onChannelAdded", "onMemberAdded", "onMessageSent", "onChannelUpdated"]


# --------------------------------------------------------------------------- retries


def test_post_retries_503_then_200(svc, rcv, channel):
    hooks(svc, rcv, pre=False, post_webhook_retry_count=2)
    rcv.script("post", (503, "", 0), (503, "", 0))
    m = svc.channels(channel.sid).messages.create(body="r", x_twilio_webhook_enabled=ON)
    hits = rcv.wait("post", "onMessageSent", 3, timeout=10)
    assert [h.params["RetryCount"] for h in hits] == ["0", "1", "2"]
    assert {h.params["MessageSid"] for h in hits} == {m.sid}
    tokens = {h.headers.get("i-twilio-idempotency-token") for h in hits}
    assert len(tokens) == 1 and None not in tokens, tokens
    rcv.assert_quiet("post", expect=3)


@pytest.mark.parametrize("status", [429, 500])
def test_post_retries_429_and_5xx(svc, rcv, channel, status):
    hooks(svc, rcv, pre=False, post_webhook_retry_count=1)
    rcv.script("post", (status, "", 0))
    svc.channels(channel.sid).messages.create(body="r", x_twilio_webhook_enabled=ON)
    hits = rcv.wait("post", "onMessageSent", 2, timeout=8)
    assert [h.params["RetryCount"] for h in hits] == ["0", "1"]


def test_post_timeout_is_retried(svc, rcv, channel):
    hooks(svc, rcv, pre=False, post_webhook_retry_count=1)
    rcv.script("post", (200, "", 6.0))
    svc.channels(channel.sid).messages.create(body="slow", x_twilio_webhook_enabled=ON)
    hits = rcv.wait("post", "onMessageSent", 2, timeout=12)
    assert [h.params["RetryCount"] for h in hits] == ["0", "1"]
    assert hits[1].t - hits[0].t >= 4.5, "retried before the 5 s timeout"
    assert len({h.headers.get("i-twilio-idempotency-token") for h in hits}) == 1


def test_retry_blocks_later_events_of_same_channel_only(svc, rcv, channel):
    other = svc.channels.create(friendly_name=unique("ch"))
    hooks(svc, rcv, pre=False, post_webhook_retry_count=0)
    fails = {"n": 0}

    def answer(hit):
        if hit.params.get("ChannelSid") == channel.sid and fails["n"] < 2:
            fails["n"] += 1
            return (503, "", 0)
        return None
    rcv.on("post", answer)
    svc.channels(channel.sid).messages.create(body="a0", x_twilio_webhook_enabled=ON)
    svc.channels(channel.sid).messages.create(body="a1", x_twilio_webhook_enabled=ON)
    svc.channels(other.sid).messages.create(body="b0", x_twilio_webhook_enabled=ON)
    hits = rcv.wait("post", "onMessageSent", 5, timeout=12)
    b = [h for h in hits if h.params["ChannelSid"] == other.sid]
    a_hits = [h for h in hits if h.params["ChannelSid"] == channel.sid]
    a = [(h.params["Body"], h.params["RetryCount"]) for h in a_hits]
    assert a == [("a0", "0"), ("a0", "1"), ("a0", "2"), ("a1", "0")], a
    assert len(b) == 1, b
    assert b[0].t < a_hits[2].t, "other channel's event was held back by this channel's retries"


def test_channel_webhook_retry_count(svc, rcv, channel):
    svc.channels(channel.sid).webhooks.create(
        type="webhook", configuration_url=rcv.url("chan"), configuration_filters=["onMessageSent"],
        configuration_retry_count=1)
    rcv.script("chan", (503, "", 0), (503, "", 0))
    svc.channels(channel.sid).messages.create(body="x", x_twilio_webhook_enabled=ON)
    hits = rcv.wait("chan", "onMessageSent", 2, timeout=6)
    assert [h.params["RetryCount"] for h in hits][:2] == ["0", "1"]
    assert rcv.got("chan")[1].headers.get("i-twilio-idempotency-token") == \
        hits[0].headers.get("i-twilio-idempotency-token")


@pytest.mark.parametrize("status", [400, 404])
def test_post_4xx_not_retried(svc, rcv, channel, status):
    hooks(svc, rcv, pre=False, post_webhook_retry_count=3)
    rcv.default("post", status)
    svc.channels(channel.sid).messages.create(body="r", x_twilio_webhook_enabled=ON)
    rcv.wait_one("post", "onMessageSent")
    rcv.assert_quiet("post", expect=1, seconds=2.5)


def test_receiver_down_then_back_gets_everything(banter, svc, channel):
    port = free_port()
    rcv = Receiver(banter.auth_token, port)  # not started: the port is closed
    hooks(svc, rcv, pre=False, post_webhook_retry_count=0)
    sids = [svc.channels(channel.sid).messages.create(
        body="d%d" % i, x_twilio_webhook_enabled=ON).sid for i in range(3)]
    time.sleep(14)
    rcv.start()
    try:
        hits = rcv.wait("post", "onMessageSent", 3, timeout=26)
        assert [h.params["MessageSid"] for h in hits] == sids
        assert int(hits[0].params["RetryCount"]) >= 1, hits[0].params
    finally:
        rcv.stop()


# --------------------------------------------------------------------------- channel webhooks


def test_channel_webhook_type_webhook(banter, service, svc, rcv, channel):
    hooks(svc, rcv, pre=False)
    wh = svc.channels(channel.sid).webhooks.create(
        type="webhook", configuration_url=rcv.url("chan"), configuration_method="POST",
        configuration_filters=["onMessageSent"])
    user = svc.users.create(identity=unique("u"))
    svc.channels(channel.sid).members.create(identity=user.identity, x_twilio_webhook_enabled=ON)
    m = svc.channels(channel.sid).messages.create(body="to both", x_twilio_webhook_enabled=ON)
    hit = rcv.wait_one("chan", "onMessageSent")
    check_common(hit, banter, service, "onMessageSent")
    assert hit.params["WebhookSid"] == wh.sid
    assert hit.params["WebhookType"] == "webhook"
    assert hit.params["MessageSid"] == m.sid
    assert hit.params["ChannelSid"] == channel.sid
    svc_hit = rcv.wait_one("post", "onMessageSent")
    assert "WebhookSid" not in svc_hit.params
    rcv.wait_one("post", "onMemberAdded")
    # filtered: onMemberAdded is not sent to the channel webhook
    assert [h.event for h in rcv.assert_quiet("chan", expect=1)] == ["onMessageSent"]


def test_channel_webhook_get_method(banter, service, svc, rcv, channel):
    wh = svc.channels(channel.sid).webhooks.create(
        type="webhook", configuration_url=rcv.url("chan"), configuration_method="GET",
        configuration_filters=["onMessageSent"])
    svc.channels(channel.sid).messages.create(body="get me", x_twilio_webhook_enabled=ON)
    hit = rcv.wait_one("chan", "onMessageSent")
    assert hit.method == "GET" and hit.body == ""
    check_common(hit, banter, service, "onMessageSent")
    assert hit.params["WebhookSid"] == wh.sid
    assert hit.params["Body"] == "get me"


def test_channel_webhook_needs_header(svc, rcv, channel):
    svc.channels(channel.sid).webhooks.create(
        type="webhook", configuration_url=rcv.url("chan"), configuration_filters=["onMessageSent"])
    svc.channels(channel.sid).messages.create(body="silent")
    rcv.assert_quiet()


def test_channel_trigger_webhook(banter, service, svc, rcv, channel):
    wh = svc.channels(channel.sid).webhooks.create(
        type="trigger", configuration_url=rcv.url("trig"), configuration_method="POST",
        configuration_triggers=["help"])
    bodies = ["I need HELP!", "helpful tips", "nothing here", "help", "self-help: ok"]
    for b in bodies:
        svc.channels(channel.sid).messages.create(body=b, x_twilio_webhook_enabled=ON)
    hits = rcv.wait("trig", "onMessageSent", 3)
    hits = rcv.assert_quiet("trig", expect=3, seconds=1.0)
    assert [h.params["Body"] for h in hits] == ["I need HELP!", "help", "self-help: ok"]
    for h in hits:
        check_common(h, banter, service, "onMessageSent")
        assert h.params["WebhookSid"] == wh.sid
        assert h.params["WebhookType"] == "trigger"


# --------------------------------------------------------------------------- metrics, rejection


def test_metrics_counters(base_url, svc, rcv, channel):
    before, resp = metrics(base_url)
    assert resp.headers["content-type"].startswith("text/plain"), resp.headers
    assert "# TYPE banter_webhook_deliveries_total counter" in resp.text
    assert set(before) == {"sent", "retried", "failed"}, resp.text
    hooks(svc, rcv, pre=False, post_webhook_retry_count=1)
    rcv.script("post", (503, "", 0), (200, "", 0), (400, "", 0))
    svc.channels(channel.sid).messages.create(body="a", x_twilio_webhook_enabled=ON)
    svc.channels(channel.sid).messages.create(body="b", x_twilio_webhook_enabled=ON)
    rcv.wait("post", "onMessageSent", 3, timeout=8)

    def grown():
        now, _ = metrics(base_url)
        return (now["sent"] >= before["sent"] + 1 and now["retried"] >= before["retried"] + 1
                and now["failed"] >= before["failed"] + 1)
    deadline = time.monotonic() + 5
    while not grown() and time.monotonic() < deadline:
        time.sleep(0.1)
    after, _ = metrics(base_url)
    assert grown(), (before, after)


def test_rejected_change_sends_nothing(svc, rcv, channel):
    hooks(svc, rcv)
    assert_rest_error(lambda: svc.channels(channel.sid).messages.create(
        body="x" * (32 * 1024 + 1), x_twilio_webhook_enabled=ON), 400, 50504)
    assert_rest_error(lambda: svc.channels(channel.sid).messages.create(
        body="x", attributes="{not json", x_twilio_webhook_enabled=ON), 400, 50304)
    assert svc.channels(channel.sid).messages.list() == []
    rcv.assert_quiet()


# --------------------------------------------------------------------------- private targets

LOCAL_SPELLINGS = ("127.0.0.1", "127.1", "2130706433", "0x7f000001", "[::ffff:127.0.0.1]",
                   "localhost", "user@127.0.0.1", "evil.com@127.0.0.1")


def test_private_targets_refused_when_not_allowed(tmp_path):
    """With --webhooks-allow-private false no spelling of this machine is reached, and a
    pre-event hook at an open port fails exactly like one at a closed port."""
    server = BanterServer(tmp_path, extra_args=["--webhooks-allow-private", "false"])
    server.start()
    rcv = Receiver(server.auth_token).start()
    try:
        c = make_client(server.account_sid, server.auth_token, server.url)
        errors = []
        bases = ["http://%s:%d" % (host, rcv.port) for host in LOCAL_SPELLINGS]
        bases.append("http://127.0.0.1:%d" % free_port())  # closed
        for base in bases:
            pre = c.chat.v2.services(c.chat.v2.services.create(friendly_name=unique("svc")).sid)
            pre.update(pre_webhook_url=base + rcv.path("pre"), webhook_method="POST")
            ch = pre.channels.create(friendly_name=unique("ch"))
            err = assert_rest_error(lambda: pre.channels(ch.sid).messages.create(
                body="x", x_twilio_webhook_enabled=ON), 502, 50076)
            errors.append((err.status, err.code, err.msg))
            post = c.chat.v2.services(c.chat.v2.services.create(friendly_name=unique("svc")).sid)
            post.update(post_webhook_url=base + rcv.path("post"), webhook_method="POST")
            ch = post.channels.create(friendly_name=unique("ch"))
            post.channels(ch.sid).webhooks.create(
                type="webhook", configuration_url=base + rcv.path("chan"),
                configuration_filters=["onMessageSent"])
            post.channels(ch.sid).messages.create(body="x", x_twilio_webhook_enabled=ON)
        assert len(set(errors)) == 1, errors
        assert "127.0.0.1" not in errors[0][2] and "refused" not in errors[0][2].lower()
        assert wait_until(lambda: metrics(server.url)[0]["failed"] >= 2 * len(errors), 5)
        rcv.assert_quiet()
        assert metrics(server.url)[0]["retried"] == 0
    finally:
        rcv.stop()
        server.stop()


# --------------------------------------------------------------------------- crash


def test_at_least_once_across_crash(tmp_path):
    server = BanterServer(tmp_path)
    server.start()
    port = free_port()
    rcv = Receiver(server.auth_token, port)  # down
    try:
        c = make_client(server.account_sid, server.auth_token, server.url)
        s = c.chat.v2.services.create(friendly_name=unique("svc"))
        sv = c.chat.v2.services(s.sid)
        sv.update(post_webhook_url=rcv.url("post"), webhook_method="POST",
                  post_webhook_retry_count=0)
        ch = sv.channels.create(friendly_name=unique("ch"))
        sids = [sv.channels(ch.sid).messages.create(
            body="crash %d" % i, x_twilio_webhook_enabled=ON).sid for i in range(5)]
        time.sleep(0.5)
        server.proc.kill()
        server.proc.wait(timeout=10)
        server._stderr.close()
        server.url = None
        server.start()  # same data, same account
        rcv.start()
        hits = rcv.wait("post", "onMessageSent", 5, timeout=35)
        got = [h.params["MessageSid"] for h in hits]
        assert set(got) == set(sids), (got, sids)
        first = list(dict.fromkeys(h.params["Body"] for h in hits))
        assert first == ["crash %d" % i for i in range(5)], first
        for h in hits:
            assert h.params["InstanceSid"] == s.sid
    finally:
        rcv.stop()
        server.stop()
