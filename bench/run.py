#!/usr/bin/env python3
"""Banter load benchmark: starts a release build on loopback and drives it with wrk.

Prints requests/s, p50 and p99 for each scenario and the ratio to GET /healthz measured in the
same run. Every phase is bounded in time (BENCH_SECONDS, default 10) and only 127.0.0.1 is used.

    bench/run.py                    # embedded SQLite in a temporary data directory (default)
    bench/run.py --postgres [URL]   # a fresh database banter_bench_<hex> on the PostgreSQL server
                                    # at URL (default postgres://postgres@127.0.0.1:5432/postgres),
                                    # created and dropped with psql
"""
import argparse
import contextlib
import base64
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
BIG = int(os.environ.get("BENCH_BIG_MESSAGES", "1000000"))
PG_DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/postgres"


class Banter:
    def __init__(self, binary, data_dir=None, database_url=None, extra_args=()):
        self.sid = "AC" + secrets.token_hex(16)
        self.token = secrets.token_hex(16)
        env = dict(os.environ, BANTER_ACCOUNT_SID=self.sid, BANTER_AUTH_TOKEN=self.token, BANTER_LOG="warn")
        db_args = ["--database-url", database_url] if database_url else ["--data-dir", data_dir]
        self.proc = subprocess.Popen(
            [binary, "serve", "--listen", "127.0.0.1:0", *db_args, *extra_args],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
        deadline = time.time() + 30
        for line in self.proc.stdout:
            if line.startswith("banter listening on "):
                self.base = line.split()[-1].strip()
                break
            if time.time() > deadline:
                raise SystemExit("banter did not start")
        else:
            raise SystemExit(f"banter exited before listening (rc={self.proc.wait(timeout=15)})")
        self.auth = base64.b64encode(f"{self.sid}:{self.token}".encode()).decode()
        self.binary, self.db_args = binary, db_args
        self.db = os.path.join(data_dir, "banter.db") if data_dir else None

    def call(self, method, path, form=None):
        data = urllib.parse.urlencode(form or {}).encode() if method == "POST" else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Authorization", "Basic " + self.auth)
        with urllib.request.urlopen(req) as resp:
            return json.loads(resp.read() or b"{}")

    def access_token(self, service, identity):
        """An Access Token for `identity`, minted by `banter token` (which creates its key)."""
        out = subprocess.run([self.binary, "token", *self.db_args, "--account", self.sid, "--service", service,
                              "--identity", identity], capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            raise SystemExit(f"banter token failed: {out.stderr.strip()}")
        return out.stdout.strip().splitlines()[-1]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=15)


@contextlib.contextmanager
def server(binary, postgres=None, prefix="banter-bench-", extra_args=()):
    """A started Banter on a fresh database: a temporary SQLite directory, or a new database
    banter_bench_<hex> on the PostgreSQL server at `postgres`; stopped and removed afterwards.
    `extra_args`: more `banter serve` flags."""
    data_dir = pg_db = db_url = None
    if postgres:
        pg_db = "banter_bench_" + secrets.token_hex(6)
        psql(postgres, f"create database {pg_db};", timeout=60)
        db_url = with_database(postgres, pg_db)
    else:
        data_dir = tempfile.mkdtemp(prefix=prefix)
    banter = None
    try:
        banter = Banter(binary, data_dir=data_dir, database_url=db_url, extra_args=extra_args)
        yield banter
    finally:
        if banter:
            banter.stop()
        if data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)
        if pg_db:
            psql(postgres, f"drop database if exists {pg_db} with (force);", timeout=60)


def seed(db, channel_sid, account, service, count):
    """Bulk-loads `count` messages into a channel (setup only; the server keeps serving)."""
    conn = sqlite3.connect(db, timeout=30)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    rows = ((f"IM{secrets.token_hex(16)}", account, service, channel_sid, i, now, now) for i in range(count))
    with conn:
        conn.executemany(
            "insert into messages (sid, account_sid, service_sid, channel_sid, idx, from_identity, body, "
            "attributes, was_edited, date_created, date_updated) values (?, ?, ?, ?, ?, 'seed', 'seeded', '{}', 0, ?, ?)",
            rows)
        conn.execute(
            "update channels set next_index = ?1, messages_count = ?1, "
            "last_message_sid = (select sid from messages where channel_sid = ?2 order by idx desc limit 1) "
            "where sid = ?2", (count, channel_sid))
    conn.close()


def psql(url, sql, timeout=600):
    """Runs SQL (one or more statements) on the PostgreSQL server at `url` and returns stdout."""
    proc = subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-X", "-q", "-tA", "-f", "-"],
                          input=sql, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise SystemExit(f"psql failed: {proc.stderr.strip()}")
    return proc.stdout.strip()


def with_database(url, name):
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def seed_pg(db_url, channel_sid, account, service, count, batch=250_000):
    """Bulk-loads `count` messages into a channel with INSERT … SELECT generate_series, in batches
    (setup only; the server keeps serving). SIDs are IM + md5(channel, index): 32 hex digits."""
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    q = lambda v: "'" + v.replace("'", "''") + "'"
    statements = []
    for lo in range(0, count, batch):
        hi = min(count, lo + batch) - 1
        statements.append(
            "insert into messages (sid, account_sid, service_sid, channel_sid, idx, from_identity, body, "
            "attributes, was_edited, date_created, date_updated) "
            f"select 'IM' || md5({q(channel_sid)} || ':' || i), {q(account)}, {q(service)}, {q(channel_sid)}, i, "
            f"'seed', 'seeded', '{{}}', false, {q(now)}, {q(now)} from generate_series({lo}, {hi}) as i;")
    statements.append(
        f"update channels set next_index = {count}, messages_count = {count}, "
        f"last_message_sid = (select sid from messages where channel_sid = {q(channel_sid)} and idx = {count - 1}) "
        f"where sid = {q(channel_sid)};")
    psql(db_url, "begin;\n" + "\n".join(statements) + "\ncommit;\nanalyze messages;\nanalyze channels;\n")


def wrk(banter, path, mode="get", paths=(), seconds=SECONDS, token=None):
    env = dict(os.environ, BENCH_MODE=mode, BENCH_PATHS=",".join(paths))
    if token:
        env["BENCH_TOKEN"] = token
    elif path != "/healthz":
        env["BENCH_AUTH"] = banter.auth
    out = subprocess.run(
        ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "5s",
         "-s", os.path.join(ROOT, "bench", "wrk.lua"), banter.base + path],
        env=env, capture_output=True, text=True, timeout=seconds + 60).stdout
    line = next(l for l in out.splitlines() if l.startswith("RESULT "))
    _, n, rps, p50, p99, errors = line.split()
    return {"requests": int(n), "rps": float(rps), "p50": float(p50), "p99": float(p99), "errors": int(errors)}


def main():
    parser = argparse.ArgumentParser(description="Banter load benchmark (wrk on loopback).")
    parser.add_argument("--postgres", nargs="?", const=PG_DEFAULT_URL, metavar="URL",
                        help="run on PostgreSQL: a fresh database banter_bench_<hex> is created on the "
                             f"server at URL (default {PG_DEFAULT_URL}) and dropped afterwards")
    args = parser.parse_args()
    binary = os.environ.get("BANTER_BIN", os.path.join(ROOT, "target", "release", "banter"))
    if not shutil.which("wrk"):
        raise SystemExit("wrk is required (apt-get install wrk)")
    data_dir = pg_db = db_url = None
    if args.postgres:
        if not shutil.which("psql"):
            raise SystemExit("psql is required for --postgres (apt-get install postgresql-client)")
        version = psql(args.postgres, "show server_version;", timeout=30)
        pg_db = "banter_bench_" + secrets.token_hex(6)
        psql(args.postgres, f"create database {pg_db};", timeout=60)
        db_url = with_database(args.postgres, pg_db)
        backend = f"PostgreSQL {version.split()[0]} (fresh database {pg_db}, default pool)"
    else:
        data_dir = tempfile.mkdtemp(prefix="banter-bench-")
        backend = "SQLite synchronous=FULL"
    try:
        banter = Banter(binary, data_dir=data_dir, database_url=db_url)
    except BaseException:
        if pg_db:
            psql(args.postgres, f"drop database if exists {pg_db} with (force);", timeout=60)
        raise
    try:
        svc = banter.call("POST", "/v2/Services", {"FriendlyName": "bench"})["sid"]
        chans = [banter.call("POST", f"/v2/Services/{svc}/Channels", {"UniqueName": f"c{i}"})["sid"]
                 for i in range(100)]
        mid = banter.call("POST", f"/v2/Services/{svc}/Channels", {"UniqueName": "ten-thousand"})["sid"]
        big = banter.call("POST", f"/v2/Services/{svc}/Channels", {"UniqueName": "big"})["sid"]
        print(f"seeding 10000 and {BIG} messages ...", file=sys.stderr)
        started = time.monotonic()
        if db_url:
            seed_pg(db_url, mid, banter.sid, svc, 10_000)
            seed_pg(db_url, big, banter.sid, svc, BIG)
        else:
            seed(banter.db, mid, banter.sid, svc, 10_000)
            seed(banter.db, big, banter.sid, svc, BIG)
        print(f"seeded in {time.monotonic() - started:.1f}s", file=sys.stderr)
        msgs = lambda ch: f"/v2/Services/{svc}/Channels/{ch}/Messages"
        banter.call("POST", f"/v2/Services/{svc}/Channels/{chans[2]}/Members", {"Identity": "bench"})
        token = banter.access_token(svc, "bench")
        conv = banter.call("POST", f"/v1/Services/{svc}/Conversations", {"UniqueName": "conv"})["sid"]
        banter.call("POST", f"/v1/Services/{svc}/Conversations/{conv}/Participants", {"Identity": "bench"})
        conv_msgs = f"/v1/Services/{svc}/Conversations/{conv}/Messages"
        # Chat v2 and Conversations sends, interleaved (this machine's speed drifts): the pair
        # is compared in the same run.
        pairs = [(wrk(banter, msgs(chans[0]), "post_one", seconds=5), wrk(banter, conv_msgs, "post_one", seconds=5))
                 for _ in range(2)]
        chat_rps = sum(c["rps"] for c, _ in pairs)
        conv_rps = sum(v["rps"] for _, v in pairs)
        rows = [
            ("(a) GET /healthz (ceiling)", wrk(banter, "/healthz")),
            ("(b) POST Message, 1 channel", wrk(banter, msgs(chans[0]), "post_one")),
            ("(g) POST Message, Conversations", wrk(banter, conv_msgs, "post_one")),
            ("(c) POST Message, 100 channels", wrk(banter, msgs(chans[0]), "post_many", [msgs(c) for c in chans])),
            ("(f) POST Message, Access Token", wrk(banter, msgs(chans[2]), "post_one", token=token)),
            ("(d) GET Messages page of 50", wrk(banter, msgs(mid) + "?PageSize=50")),
            ("(e) fetch Channel", wrk(banter, f"/v2/Services/{svc}/Channels/{chans[1]}")),
            ("GET page 50, 10k msgs, middle", wrk(banter, msgs(mid) + "?PageSize=50&PageToken=PTa5000", seconds=5)),
            (f"GET page 50, {BIG // 1000}k msgs, middle",
             wrk(banter, msgs(big) + f"?PageSize=50&PageToken=PTa{BIG // 2}", seconds=5)),
            (f"GET page 50, {BIG // 1000}k msgs, newest",
             wrk(banter, msgs(big) + "?PageSize=50&Order=desc", seconds=5)),
        ]
        count = banter.call("GET", f"/v2/Services/{svc}/Channels/{chans[0]}")["messages_count"]
    finally:
        banter.stop()
        if data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)
        if pg_db:
            psql(args.postgres, f"drop database if exists {pg_db} with (force);", timeout=60)
    ceiling = rows[0][1]["rps"]
    print(f"\nBanter bench: {CONNECTIONS} connections, {SECONDS}s per phase, {backend}, loopback\n")
    print(f"| {'scenario':<34} | {'req/s':>9} | {'p50 ms':>7} | {'p99 ms':>7} | {'ratio':>6} | {'errors':>6} |")
    print(f"|{'-' * 36}|{'-' * 11}|{'-' * 9}|{'-' * 9}|{'-' * 8}|{'-' * 8}|")
    for name, r in rows:
        print(f"| {name:<34} | {r['rps']:>9.0f} | {r['p50']:>7.2f} | {r['p99']:>7.2f} | "
              f"{r['rps'] / ceiling:>6.0%} | {r['errors']:>6} |")
    print(f"\nmessages_count of the single-channel target after the run: {count}")
    print(f"POST Message, Conversations / Chat v2 (2 interleaved pairs of 5 s): {conv_rps / chat_rps:.0%}")


if __name__ == "__main__":
    main()
