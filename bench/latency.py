#!/usr/bin/env python3
"""End-to-end latency through Twilio's client SDK: starts a release build of Banter on loopback,
connects two twilio-chat 6.0.0 clients (bench/latency.js) and measures, at a fixed rate, the
time from a send to the other client's messageAdded:

    (g) client -> client   alice's sendMessage() -> bob's messageAdded
    (h) REST -> client     an operator POST Message -> bob's messageAdded

    bench/latency.py                 # SQLite, 1000 messages/s for BENCH_SECONDS (default 10)
    bench/latency.py --postgres [URL]
    BENCH_RATE=500 bench/latency.py

Needs Node and `npm ci` in conformance/node (the pinned SDK).
"""
import argparse
import json
import os
import subprocess

from run import PG_DEFAULT_URL, ROOT, server

SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
RATE = int(os.environ.get("BENCH_RATE", "1000"))


def main():
    parser = argparse.ArgumentParser(description="Client SDK latency benchmark (loopback).")
    parser.add_argument("--postgres", nargs="?", const=PG_DEFAULT_URL, metavar="URL")
    args = parser.parse_args()
    binary = os.environ.get("BANTER_BIN", os.path.join(ROOT, "target", "release", "banter"))
    with server(binary, args.postgres, prefix="banter-latency-") as banter:
        svc = banter.call("POST", "/v2/Services", {"FriendlyName": "latency"})["sid"]
        ch = banter.call("POST", f"/v2/Services/{svc}/Channels", {"UniqueName": "latency"})["sid"]
        for identity in ("alice", "bob"):
            banter.call("POST", f"/v2/Services/{svc}/Channels/{ch}/Members", {"Identity": identity})
        request = {
            "uri": banter.base.replace("http://", "ws://", 1) + "/v3/wsconnect",
            "alice": banter.access_token(svc, "alice"),
            "bob": banter.access_token(svc, "bob"),
            "channel": ch,
            "rest": {"url": banter.base, "account_sid": banter.sid, "auth_token": banter.token,
                     "service_sid": svc},
            "rate": RATE,
            "seconds": SECONDS,
        }
        out = subprocess.run(["node", os.path.join(ROOT, "bench", "latency.js")], input=json.dumps(request),
                             capture_output=True, text=True, timeout=SECONDS * 4 + 120)
        if out.returncode != 0:
            raise SystemExit(f"latency.js failed: {out.stderr.strip()}")
        result = json.loads(out.stdout)
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(f"{backend}, {RATE} messages/s for {SECONDS} s, two twilio-chat 6.0.0 clients in one Node process")
    print(f"| {'scenario':<28} | {'sent':>6} | {'recv':>6} | {'rate/s':>6} | {'p50 ms':>7} | {'p99 ms':>7} | {'max ms':>7} |")
    print(f"|{'-' * 30}|{'-' * 8}|{'-' * 8}|{'-' * 8}|{'-' * 9}|{'-' * 9}|{'-' * 9}|")
    for key, name in (("g", "(g) client -> client"), ("h", "(h) REST -> client")):
        r = result[key]
        print(f"| {name:<28} | {r['sent']:>6} | {r['received']:>6} | {r['rate']:>6} | "
              f"{r['p50_ms']!s:>7} | {r['p99_ms']!s:>7} | {r['max_ms']!s:>7} |")


if __name__ == "__main__":
    main()
