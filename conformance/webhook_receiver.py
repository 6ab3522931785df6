"""The webhook receiver shared by the webhook conformance tests: a real HTTP server in the test
process that records every request and checks its signature with twilio-python's
``RequestValidator``, plus the fixtures and helpers the tests share. Not collected by pytest.
"""

import collections
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


def check_common(hit, banter, service, event, retry="0", identity=None):
    """The parameters every request carries: Source API for the operator's REST actions,
    Source SDK and ClientIdentity for an end user's (identity)."""
    p = hit.params
    for k in COMMON:
        assert k in p, "%s: missing %s in %s" % (event, k, p)
    assert p["EventType"] == event
    assert p["AccountSid"] == banter.account_sid
    assert p["InstanceSid"] == service.sid
    assert p["RetryCount"] == retry
    if identity is None:
        assert p["Source"] == "API"
        assert "ClientIdentity" not in p, p
    else:
        assert p["Source"] == "SDK"
        assert p["ClientIdentity"] == identity, p
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
