"""Shared fixtures for the Banter SDK conformance suite.

Every test talks to a real ``banter serve`` process exclusively through the
official twilio-python SDK.  One server is started per pytest(-xdist) worker.
"""

import os
import queue
import re
import secrets
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest

# Must be set before `requests` builds its first session.
os.environ["NO_PROXY"] = "127.0.0.1,localhost"
os.environ["no_proxy"] = "127.0.0.1,localhost"

from twilio.base.exceptions import TwilioException, TwilioRestException  # noqa: E402
from twilio.rest import Client  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
BANTER_BIN = os.environ.get("BANTER_BIN", str(REPO / "target" / "debug" / "banter"))
# `sqlite` (default): each server gets a data directory; `postgres`: each server gets a fresh
# database on the PostgreSQL server at BANTER_TEST_PG_URL, dropped when the server stops.
TEST_DATABASE = os.environ.get("BANTER_TEST_DATABASE", "sqlite")
PG_ADMIN_URL = os.environ.get("BANTER_TEST_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
STARTUP_TIMEOUT = 20.0
LISTEN_RE = re.compile(r"banter listening on (http://\S+)")

SID_RE = {
    prefix: re.compile(r"^%s[0-9a-f]{32}$" % prefix)
    for prefix in ("AC", "IS", "RL", "US", "CR", "SK")
}


# --------------------------------------------------------------------------- helpers


def unique(prefix="t"):
    """A short unique name, safe for friendly names and identities."""
    return "%s-%s" % (prefix, uuid.uuid4().hex[:10])


def run_cli(*args, timeout=30):
    """Run a `banter` sub-command and parse its KEY=VALUE stdout lines."""
    proc = subprocess.run(
        [BANTER_BIN, *args], capture_output=True, text=True, timeout=timeout
    )
    assert proc.returncode == 0, "banter %s failed (%s): %s" % (
        " ".join(args), proc.returncode, proc.stderr)
    out = {}
    for line in proc.stdout.splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def make_client(username, password, base_url, account_sid=None):
    if account_sid is None:
        c = Client(username, password)
    else:
        c = Client(username, password, account_sid=account_sid)
    c.edge = None
    c.region = None
    c.chat.base_url = base_url
    c.conversations.base_url = base_url
    return c


def rest_error(fn, *args, **kwargs):
    """Call fn, require a TwilioRestException and return it."""
    with pytest.raises(TwilioRestException) as ei:
        fn(*args, **kwargs)
    return ei.value


def assert_rest_error(fn, status, code=None, *args, **kwargs):
    err = rest_error(fn, *args, **kwargs)
    assert err.status == status, "expected HTTP %s, got %s (code %s: %s)" % (
        status, err.status, err.code, err.msg)
    if code is not None:
        assert err.code == code, "expected code %s, got %s (HTTP %s: %s)" % (
            code, err.code, err.status, err.msg)
    return err


def list_error(fn, *args, **kwargs):
    """List calls raise plain TwilioException('Unable to fetch page', response).

    Returns (status_code, parsed_json_body_or_None)."""
    with pytest.raises(TwilioException) as ei:
        fn(*args, **kwargs)
    exc = ei.value
    assert len(exc.args) >= 2, "expected (message, response), got %r" % (exc.args,)
    resp = exc.args[1]
    try:
        import json
        body = json.loads(resp.text)
    except Exception:  # noqa: BLE001
        body = None
    return resp.status_code, body


def last_json(client):
    """Parsed JSON body of the last HTTP response this client received."""
    import json
    return json.loads(client.http_client._test_only_last_response.text)


def wait_until(predicate, timeout=3.0, interval=0.1):
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


# --------------------------------------------------------------------------- server


def psql(sql):
    """Run one statement as the PostgreSQL administrator of BANTER_TEST_PG_URL."""
    proc = subprocess.run(
        ["psql", PG_ADMIN_URL, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, "psql %r failed: %s" % (sql, proc.stderr)


def database_url(name):
    """BANTER_TEST_PG_URL pointed at database `name`."""
    from urllib.parse import urlsplit, urlunsplit
    parts = urlsplit(PG_ADMIN_URL)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


class BanterServer:
    def __init__(self, data_dir, extra_args=(), listen="127.0.0.1:0"):
        """extra_args: more `banter serve` flags, e.g. ["--webhooks-allow-private", "false"]
        (the default allows private webhook targets, since the server listens on 127.0.0.1)."""
        self.data_dir = str(data_dir)
        self.extra_args = list(extra_args)
        self.listen = listen
        self.pg_database = None
        if TEST_DATABASE in ("postgres", "postgresql", "pg"):
            self.pg_database = "banter_conf_" + secrets.token_hex(8)
            psql("create database %s" % self.pg_database)
            self.db_args = ["--database-url", database_url(self.pg_database)]
        else:
            self.db_args = ["--data-dir", self.data_dir]
        self.account_sid = "AC" + secrets.token_hex(16)
        self.auth_token = secrets.token_hex(16)
        self.url = None
        self.proc = None
        self._stderr = None

    def start(self):
        if not os.path.exists(BANTER_BIN):
            pytest.exit("banter binary not found at %s (set BANTER_BIN)" % BANTER_BIN, 2)
        env = dict(os.environ)
        env["BANTER_ACCOUNT_SID"] = self.account_sid
        env["BANTER_AUTH_TOKEN"] = self.auth_token
        self._stderr = open(os.path.join(self.data_dir, "banter.stderr.log"), "wb")
        self.proc = subprocess.Popen(
            [BANTER_BIN, "serve", "--listen", self.listen, *self.db_args, *self.extra_args],
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
            text=True,
            bufsize=1,
        )
        lines = queue.Queue()

        def pump():
            for line in self.proc.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while self.url is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.stop()
                raise RuntimeError("banter did not report its URL within %ss" % STARTUP_TIMEOUT)
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                self.stop()
                raise RuntimeError("banter exited early (rc=%s), see %s"
                                   % (self.proc.returncode, self._stderr.name))
            m = LISTEN_RE.search(line)
            if m:
                self.url = m.group(1).rstrip("/")

    def restart(self):
        """Stops the process (gracefully) and starts it again on the same address and database."""
        self.listen = self.url.split("://", 1)[1]
        self.stop_process()
        self.url = None
        self.start()

    def stop(self):
        self.stop_process()
        if self.pg_database is not None:
            try:
                psql("drop database if exists %s with (force)" % self.pg_database)
            finally:
                self.pg_database = None

    def stop_process(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self._stderr is not None:
            self._stderr.close()

    def create_account(self):
        out = run_cli("account", "create", *self.db_args)
        return out["ACCOUNT_SID"], out["AUTH_TOKEN"]

    def create_key(self, account_sid):
        out = run_cli("key", "create", *self.db_args, "--account", account_sid)
        return out["API_KEY_SID"], out["API_KEY_SECRET"]

    def delete_key(self, account_sid, key_sid):
        run_cli("key", "delete", *self.db_args, "--account", account_sid, key_sid)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def banter(tmp_path_factory):
    server = BanterServer(tmp_path_factory.mktemp("banter-data"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def base_url(banter):
    return banter.url


@pytest.fixture(scope="session")
def client(banter):
    return make_client(banter.account_sid, banter.auth_token, banter.url)


@pytest.fixture(scope="session")
def other_account(banter):
    return banter.create_account()


@pytest.fixture(scope="session")
def other_client(banter, other_account):
    sid, token = other_account
    return make_client(sid, token, banter.url)


def _best_effort_delete(resource):
    try:
        resource.delete()
    except Exception:  # noqa: BLE001
        pass


@pytest.fixture
def service(client):
    svc = client.chat.v2.services.create(friendly_name=unique("svc"))
    yield svc
    _best_effort_delete(client.chat.v2.services(svc.sid))


@pytest.fixture
def service_factory(client):
    """Create extra services that are removed at teardown."""
    created = []

    def make(friendly_name=None):
        svc = client.chat.v2.services.create(friendly_name=friendly_name or unique("svc"))
        created.append(svc.sid)
        return svc

    yield make
    for sid in created:
        _best_effort_delete(client.chat.v2.services(sid))


@pytest.fixture
def credential_factory(client):
    created = []

    def make(**kwargs):
        kwargs.setdefault("friendly_name", unique("cred"))
        cred = client.chat.v2.credentials.create(**kwargs)
        created.append(cred.sid)
        return cred

    yield make
    for sid in created:
        _best_effort_delete(client.chat.v2.credentials(sid))


@pytest.fixture
def roles_by_name(client):
    def get(service_sid):
        return {r.friendly_name: r for r in client.chat.v2.services(service_sid).roles.list()}
    return get


# --------------------------------------------------------------------------- messaging core helpers

SID_RE.update({
    prefix: re.compile(r"^%s[0-9a-f]{32}$" % prefix)
    for prefix in ("CH", "MB", "IM", "IN", "WH", "BS")
})


def create_binding(server, service_sid, identity, endpoint, binding_type,
                   credential_sid=None, message_types=(), account_sid=None):
    """Create a push binding through the `banter binding create` CLI; returns its BS sid."""
    args = ["binding", "create", *server.db_args,
            "--account", account_sid or server.account_sid,
            "--service", service_sid, "--identity", identity,
            "--endpoint", endpoint, "--type", binding_type]
    if credential_sid:
        args += ["--credential", credential_sid]
    for mt in message_types:
        args += ["--message-type", mt]
    return run_cli(*args)["BINDING_SID"]


@pytest.fixture
def svc(client, service):
    """The service context: client.chat.v2.services(service.sid)."""
    return client.chat.v2.services(service.sid)


@pytest.fixture
def channel(svc):
    """A fresh public channel in the per-test service."""
    return svc.channels.create(friendly_name=unique("ch"), unique_name=unique("uch"))
