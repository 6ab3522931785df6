#!/usr/bin/env python3
"""Many client sockets against a release build on loopback (bench/fanout.js, a minimal twilsock
client in Node): one message fanned out to CLIENTS sockets following one channel (p50/p99 from
the REST POST to each arrival), a reconnect storm of all of them at once (time until every one
is re-subscribed and has the message it missed), and IDLE more sockets held open (server memory
per socket).

    BANTER_BIN=target/release/banter python3 bench/fanout.py [--postgres [URL]] [--reachability]
    BENCH_CLIENTS=1000 BENCH_IDLE=10000 BENCH_MESSAGES=20 (the defaults)

Needs Node and `npm ci` in conformance/node (for the `ws` package).
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import resource
import subprocess
import time

from run import PG_DEFAULT_URL, ROOT, server

CLIENTS = int(os.environ.get("BENCH_CLIENTS", "1000"))
IDLE = int(os.environ.get("BENCH_IDLE", "10000"))
MESSAGES = int(os.environ.get("BENCH_MESSAGES", "20"))


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(account, key_sid, key_secret, service, identity):
    """An Access Token as the helper libraries mint it (HS256, twilio-fpa;v=1, a chat grant)."""
    now = int(time.time())
    header = {"alg": "HS256", "typ": "JWT", "cty": "twilio-fpa;v=1"}
    payload = {"jti": f"{key_sid}-{now}", "iss": key_sid, "sub": account, "nbf": now - 5, "exp": now + 3600,
               "grants": {"identity": identity, "chat": {"service_sid": service}}}
    signing = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    sig = hmac.new(key_secret.encode(), signing.encode(), hashlib.sha256).digest()
    return f"{signing}.{b64(sig)}"


def main():
    parser = argparse.ArgumentParser(description="Client socket crowd benchmark (loopback).")
    parser.add_argument("--postgres", nargs="?", const=PG_DEFAULT_URL, metavar="URL")
    parser.add_argument("--reachability", action="store_true",
                        help="enable the service's ReachabilityEnabled (every socket counts who is online)")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if CLIENTS + IDLE + 100 > hard:
        raise SystemExit(f"the open-file limit ({hard}) is too low for {CLIENTS + IDLE} sockets")
    binary = os.environ.get("BANTER_BIN", os.path.join(ROOT, "target", "release", "banter"))
    os.environ["BANTER_MAX_CONNECTIONS"] = str(CLIENTS + IDLE + 100)
    with server(binary, args.postgres, prefix="banter-fanout-") as banter:
        svc = banter.call("POST", "/v2/Services", {"FriendlyName": "fanout"})["sid"]
        settings = {"Limits.ChannelMembers": "1000"}
        if args.reachability:
            settings["ReachabilityEnabled"] = "true"
        banter.call("POST", f"/v2/Services/{svc}", settings)
        ch = banter.call("POST", f"/v2/Services/{svc}/Channels", {"UniqueName": "crowd"})["sid"]
        identities = [f"u{i}" for i in range(min(CLIENTS, 999))] + ["idle"]
        for identity in identities:
            banter.call("POST", f"/v2/Services/{svc}/Channels/{ch}/Members", {"Identity": identity})
        out = subprocess.run([binary, "key", "create", *banter.db_args, "--account", banter.sid],
                             capture_output=True, text=True, timeout=60, check=True)
        key = dict(line.split("=", 1) for line in out.stdout.split() if "=" in line)
        mint = lambda who: token(banter.sid, key["API_KEY_SID"], key["API_KEY_SECRET"], svc, who)  # noqa: E731
        tokens = [mint(identities[i % (len(identities) - 1)]) for i in range(CLIENTS)]
        idle = mint("idle")
        request = {
            "uri": banter.base.replace("http://", "ws://", 1) + "/v3/wsconnect",
            "tokens": tokens, "idle_tokens": [idle] * IDLE, "list_sid": "ES" + ch[2:], "channel": ch,
            "messages": MESSAGES, "server_pid": banter.proc.pid,
            "rest": {"url": banter.base, "account_sid": banter.sid, "auth_token": banter.token, "service_sid": svc},
        }
        res = subprocess.run(["node", os.path.join(ROOT, "bench", "fanout.js")], input=json.dumps(request),
                             capture_output=True, text=True, timeout=900)
        if res.returncode != 0:
            raise SystemExit(f"fanout.js failed: {res.stderr.strip()[-2000:]}")
        r = json.loads(res.stdout)
    f, s, i = r["fanout"], r["storm"], r["idle"]
    print(f"{'PostgreSQL' if args.postgres else 'SQLite'}{', reachability' if args.reachability else ''}; "
          f"{CLIENTS} sockets connected and subscribed in "
          f"{r['connect_ms']} ms")
    print(f"fan-out: {f['messages']} messages x {f['clients']} sockets: {f['delivered']}/{f['expected']} delivered, "
          f"p50 {f['p50_ms']} ms, p99 {f['p99_ms']} ms, max {f['max_ms']} ms")
    print(f"reconnect storm: {s['clients']} sockets re-established in {s['all_established_ms']} ms, "
          f"{s['caught_up']} got the message they missed")
    print(f"idle: {i['sockets']} more sockets in {i['connect_ms']} ms; server RSS {i['rss_before_kb']} -> "
          f"{i['rss_after_kb']} kB, {i['kb_per_socket']} kB per socket")


if __name__ == "__main__":
    main()
