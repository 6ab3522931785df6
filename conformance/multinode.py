"""Shared by the multi-node conformance tests: three `banter serve` nodes on one fresh PostgreSQL
database (the `cluster` fixture), SDK clients per node, and bounded polling helpers.

Not collected by pytest (no `test_` prefix); the test modules import what they use.
"""

import contextlib
import os
import queue
import secrets
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from conftest import BANTER_BIN, LISTEN_RE, PG_ADMIN_URL, database_url, psql, run_cli

NODES = 3
STARTUP_TIMEOUT = 30.0
HTTP_TIMEOUT = 15.0  # seconds, per SDK request
POOL_TIMEOUT = 120.0  # seconds, for a whole batch of concurrent calls
REVOKE_DEADLINE = 1.0  # seconds from the return of the CLI delete until every node answers 401
REVOKE_OBSERVE = 5.0  # keep polling this long after a missed deadline, to report the real delay
ROUNDS = 5  # fresh databases for the start-up race


# --------------------------------------------------------------------------- environment


def _pg_unavailable_reason():
    """None when psql can connect to PG_ADMIN_URL, else why not."""
    if not os.path.exists(BANTER_BIN):
        return "banter binary not found at %s (set BANTER_BIN)" % BANTER_BIN
    try:
        proc = subprocess.run(
            ["psql", PG_ADMIN_URL, "-v", "ON_ERROR_STOP=1", "-tAq", "-c", "select 1"],
            capture_output=True, text=True, timeout=15,
            env=dict(os.environ, PGCONNECT_TIMEOUT="5"),
        )
    except FileNotFoundError:
        return "psql is not installed (needed to create the shared test database)"
    except subprocess.TimeoutExpired:
        return "PostgreSQL at %s did not answer within 15 s" % PG_ADMIN_URL
    if proc.returncode != 0:
        return "PostgreSQL not reachable at %s (set BANTER_TEST_PG_URL): %s" % (
            PG_ADMIN_URL, proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else proc.returncode)
    return None


def _has_account_delete():
    try:
        proc = subprocess.run([BANTER_BIN, "account", "delete", "--help"],
                              capture_output=True, text=True, timeout=15)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0


ACCOUNT_DELETE_AVAILABLE = _has_account_delete()


def make_client(username, password, base_url, account_sid=None):
    """A twilio-python Client aimed at one node, with a bounded HTTP timeout."""
    http = TwilioHttpClient(timeout=HTTP_TIMEOUT)
    if account_sid is None:
        c = Client(username, password, http_client=http)
    else:
        c = Client(username, password, account_sid=account_sid, http_client=http)
    c.edge = None
    c.region = None
    c.chat.base_url = base_url
    c.conversations.base_url = base_url
    return c


# --------------------------------------------------------------------------- cluster


class Node:
    def __init__(self, index, db_url, account_sid, auth_token, log_dir, extra_args=()):
        self.index = index
        self.url = None
        env = dict(os.environ, BANTER_ACCOUNT_SID=account_sid, BANTER_AUTH_TOKEN=auth_token)
        env.pop("BANTER_LISTEN", None)
        env.pop("BANTER_DATA_DIR", None)
        env.pop("BANTER_PUBLIC_URL", None)
        self.log_path = os.path.join(str(log_dir), "node%d.stderr.log" % index)
        self._stderr = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [BANTER_BIN, "serve", "--listen", "127.0.0.1:0", "--database-url", db_url, *extra_args],
            stdout=subprocess.PIPE, stderr=self._stderr, env=env, text=True, bufsize=1,
        )
        self._lines = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def wait_ready(self, deadline):
        while self.url is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RuntimeError("node %d did not print its URL within %ss; log: %s"
                                   % (self.index, STARTUP_TIMEOUT, self.stderr_tail()))
            try:
                line = self._lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                self.proc.wait(timeout=5)
                raise RuntimeError("node %d exited early (rc=%s); log: %s"
                                   % (self.index, self.proc.returncode, self.stderr_tail()))
            m = LISTEN_RE.search(line)
            if m:
                self.url = m.group(1).rstrip("/")

    def stderr_tail(self, n=1500):
        """The error report of the log (from its `Error:` line, without the backtrace), else its end."""
        try:
            self._stderr.flush()
            with open(self.log_path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return "<no log>"
        at = text.find("Error:")
        if at >= 0:
            return text[at:].split("Stack backtrace:")[0].strip()[:n]
        return text[-n:]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._stderr.close()


class Cluster:
    def __init__(self, db_name, account_sid, auth_token, nodes):
        self.db_name = db_name
        self.db_url = database_url(db_name)
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.nodes = nodes
        self.clients = [make_client(account_sid, auth_token, n.url) for n in nodes]

    def clients_for(self, username, password, account_sid=None):
        return [make_client(username, password, n.url, account_sid) for n in self.nodes]

    def cli(self, *args):
        """`banter <group> <command> --database-url <db> <rest…>`, parsed KEY=VALUE output."""
        group, command, *rest = args
        return run_cli(group, command, "--database-url", self.db_url, *rest)


@pytest.fixture(scope="module")
def postgres():
    """Skips the module's tests unless PostgreSQL answers at PG_ADMIN_URL."""
    reason = _pg_unavailable_reason()
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="module")
def cluster(postgres, tmp_path_factory):
    with running_cluster(tmp_path_factory) as c:
        yield c


@contextlib.contextmanager
def running_cluster(tmp_path_factory, extra_args=()):
    """NODES nodes (with `banter serve` flags extra_args) on a fresh database, dropped after."""
    db_name = "banter_multinode_" + secrets.token_hex(8)
    psql("create database %s" % db_name)
    nodes = []
    try:
        account_sid = "AC" + secrets.token_hex(16)
        auth_token = secrets.token_hex(16)
        log_dir = tmp_path_factory.mktemp("multinode")
        # Node 1 first (it migrates the schema and creates the bootstrap account), then the
        # other two together. Starting all three at once is test_nodes_started_together_*.
        def node(i):
            return Node(i, database_url(db_name), account_sid, auth_token, log_dir, extra_args)

        nodes.append(node(1))
        nodes[0].wait_ready(time.monotonic() + STARTUP_TIMEOUT)
        for i in range(1, NODES):
            nodes.append(node(i + 1))
        deadline = time.monotonic() + STARTUP_TIMEOUT
        for n in nodes[1:]:
            n.wait_ready(deadline)
        yield Cluster(db_name, account_sid, auth_token, nodes)
        dead = [(n.index, n.proc.returncode, n.stderr_tail()) for n in nodes if n.proc.poll() is not None]
        assert not dead, "nodes exited during the tests: %r" % dead
    finally:
        for n in nodes:
            try:
                n.stop()
            except Exception:  # noqa: BLE001
                pass
        psql("drop database if exists %s with (force)" % db_name)


# --------------------------------------------------------------------------- helpers


def _service_view(c, sid):
    s = c.chat.v2.services(sid).fetch()
    return {"friendly_name": s.friendly_name, "limits": dict(s.limits or {})}


def _status_of(fn):
    """HTTP status of fn(): 200 when it returns, else the TwilioRestException status."""
    try:
        fn()
        return 200
    except TwilioRestException as e:
        return e.status


def _converges(predicate, seconds=3.0):
    """For failure messages only: does the predicate become true within `seconds`?"""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return "became consistent after %.2f s" % (seconds - (deadline - time.monotonic()))
        time.sleep(0.1)
    return "still inconsistent after %.0f s" % seconds


def _run_pool(jobs, workers):
    """Runs callables on a bounded pool; returns results (or exceptions) in job order."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(j) for j in jobs]
        done, not_done = wait(futures, timeout=POOL_TIMEOUT)
        for f in not_done:
            f.cancel()
        assert not not_done, "%d of %d calls did not finish within %ss" % (
            len(not_done), len(futures), POOL_TIMEOUT)
    out = []
    for f in futures:
        exc = f.exception()
        out.append(exc if exc is not None else f.result())
    return out


def _poll_until_refused(clients, probe):
    """Probes every client until each gets 401. Returns {node_index: seconds} measured from the
    call, polling at most REVOKE_OBSERVE seconds; any answer other than success or 401 raises."""
    t0 = time.monotonic()
    refused = {}
    while len(refused) < len(clients) and time.monotonic() - t0 < REVOKE_OBSERVE:
        for i, c in enumerate(clients):
            if i + 1 in refused:
                continue
            try:
                probe(c)
            except TwilioRestException as e:
                if e.status != 401:
                    raise
                refused[i + 1] = time.monotonic() - t0
        time.sleep(0.01)
    return refused


def _assert_revoked(what, clients, probe, t_deleted):
    """Every client must be refused with 401 within REVOKE_DEADLINE of t_deleted, and stay refused."""
    offset = time.monotonic() - t_deleted
    refused = {k: v + offset for k, v in _poll_until_refused(clients, probe).items()}
    timings = ", ".join("node %d %.3f s" % (k, v) for k, v in sorted(refused.items()))
    print("%s refused after: %s" % (what, timings or "-"))
    missing = [i + 1 for i in range(len(clients)) if i + 1 not in refused]
    assert not missing, "%s still accepted by node(s) %s %.1f s after the delete (refused: %s)" % (
        what, missing, REVOKE_DEADLINE + REVOKE_OBSERVE, timings)
    late = {k: v for k, v in refused.items() if v > REVOKE_DEADLINE}
    assert not late, "%s refused later than %.1f s: %s" % (what, REVOKE_DEADLINE, timings)
    # Stays refused (no stale credential put back into a node's cache).
    for i, c in enumerate(clients):
        assert _status_of(lambda: probe(c)) == 401, "%s accepted again by node %d" % (what, i + 1)


# --------------------------------------------------------------------------- start-up
