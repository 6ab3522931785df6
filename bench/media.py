#!/usr/bin/env python3
"""Media throughput and memory: starts a release build of Banter on loopback (media on local
disk, in the server's temporary data directory) and measures

    upload    POST /mcs/v1/Services/IS…/Media of a BENCH_MEDIA_MB (default 100) MB file, until
              the 201 (the file is fsynced by then)
    download  GET of its signed temporary URL, every byte read
    disk      the same directory's own sequential write (with fsync) and read of a file of the
              same size, measured in the same run, as the yardstick of both
    memory    the server's peak RSS (VmHWM) after a BENCH_MEDIA_BIG_MB (default 1024) MB upload

The throughputs are medians of BENCH_MEDIA_RUNS (default 5) rounds of yardstick, upload and
download (a shared or virtual disk varies from one second to the next).

    bench/media.py
    BENCH_MEDIA_MB=500 bench/media.py

Loopback only; the files are removed with the data directory. Both reads come from the disk, not
the OS page cache: the yardstick file and the uploaded file are evicted from it (posix_fadvise
DONTNEED, which touches only those files) before they are read.
"""
import http.client
import json
import os
import statistics
import time
import urllib.parse

from run import ROOT, server

MB = 1024 * 1024
SIZE_MB = int(os.environ.get("BENCH_MEDIA_MB", "100"))
BIG_MB = int(os.environ.get("BENCH_MEDIA_BIG_MB", "1024"))
RUNS = int(os.environ.get("BENCH_MEDIA_RUNS", "5"))
CHUNK = os.urandom(MB)


def disk_speed(directory, size_mb):
    """Sequential write (1 MB writes, then fsync) and read of size_mb MB in `directory`: MB/s."""
    path = os.path.join(directory, "disk-yardstick.bin")
    start = time.perf_counter()
    with open(path, "wb") as f:
        for _ in range(size_mb):
            f.write(CHUNK)
        f.flush()
        os.fsync(f.fileno())
    write = size_mb / (time.perf_counter() - start)
    evict(path)
    start = time.perf_counter()
    with open(path, "rb") as f:
        while f.read(MB):
            pass
    read = size_mb / (time.perf_counter() - start)
    os.remove(path)
    return write, read


def evict(path):
    """Drops a (synced) file's pages from the OS cache, so the next read comes from the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def upload(banter, service, size_mb):
    """Streams size_mb MB to MCS; returns (seconds, media record)."""
    host = urllib.parse.urlsplit(banter.base)
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=600)
    start = time.perf_counter()
    conn.putrequest("POST", f"/mcs/v1/Services/{service}/Media?Filename=bench.bin")
    conn.putheader("Authorization", "Basic " + banter.auth)
    conn.putheader("Content-Type", "application/octet-stream")
    conn.putheader("Content-Length", str(size_mb * MB))
    conn.endheaders()
    for _ in range(size_mb):
        conn.send(CHUNK)
    resp = conn.getresponse()
    body = resp.read()
    elapsed = time.perf_counter() - start
    if resp.status != 201:
        raise SystemExit(f"upload: {resp.status} {body[:300]!r}")
    return elapsed, json.loads(body)


def download(url):
    """GETs a signed URL, reading every byte; returns (seconds, bytes)."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=600)
    start = time.perf_counter()
    conn.request("GET", f"{parts.path}?{parts.query}")
    resp = conn.getresponse()
    total = 0
    while True:
        block = resp.read(MB)
        if not block:
            break
        total += len(block)
    return time.perf_counter() - start, total


def peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main():
    binary = os.environ.get("BANTER_BIN", os.path.join(ROOT, "target", "release", "banter"))
    limit = str(max(SIZE_MB, BIG_MB) + 1)
    with server(binary, prefix="banter-media-", extra_args=["--media-size-limit-mb", limit]) as banter:
        data_dir = os.path.dirname(banter.db)
        svc = banter.call("POST", "/v2/Services", {"FriendlyName": "media"})["sid"]
        runs = {"disk_write": [], "disk_read": [], "upload": [], "download": []}
        for _ in range(RUNS):
            disk_write, disk_read = disk_speed(data_dir, SIZE_MB)
            up_s, media = upload(banter, svc, SIZE_MB)
            assert media["size"] == SIZE_MB * MB, media
            record = json.loads(fetch(banter, svc, media["sid"]))
            evict(os.path.join(data_dir, "media", svc, media["sid"]))
            down_s, got = download(record["links"]["content_direct_temporary"])
            assert got == SIZE_MB * MB, got
            for name, value in [("disk_write", disk_write), ("disk_read", disk_read),
                                ("upload", SIZE_MB / up_s), ("download", SIZE_MB / down_s)]:
                runs[name].append(value)
        m = {name: statistics.median(values) for name, values in runs.items()}
        print(f"medians of {RUNS} runs, {SIZE_MB} MB each")
        print(f"disk (same directory)  write+fsync {m['disk_write']:8.1f} MB/s   read {m['disk_read']:8.1f} MB/s")
        print(f"upload                 {m['upload']:8.1f} MB/s   {100 * m['upload'] / m['disk_write']:5.1f} % of the disk's write")
        print(f"download               {m['download']:8.1f} MB/s   {100 * m['download'] / m['disk_read']:5.1f} % of the disk's read")
    # Memory on a fresh server: its peak RSS over start-up and one big upload.
    with server(binary, prefix="banter-media-", extra_args=["--media-size-limit-mb", limit]) as banter:
        svc = banter.call("POST", "/v2/Services", {"FriendlyName": "media"})["sid"]
        start_rss = peak_rss_mb(banter.proc.pid)
        big_s, big = upload(banter, svc, BIG_MB)
        assert big["size"] == BIG_MB * MB
        print(f"upload {BIG_MB} MB         {BIG_MB / big_s:8.1f} MB/s   peak RSS {peak_rss_mb(banter.proc.pid):.1f} MB"
              f" (at start {start_rss:.1f} MB)")


def fetch(banter, service, sid):
    host = urllib.parse.urlsplit(banter.base)
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
    conn.request("GET", f"/mcs/v1/Services/{service}/Media/{sid}", headers={"Authorization": "Basic " + banter.auth})
    return conn.getresponse().read()


if __name__ == "__main__":
    main()
