"""A TCP proxy that a test puts between a client SDK and Banter, so it can take the network
away: cut() resets every connection it carries (both TCP sides, at once, as a dropped link
does), and refusing() resets each new connection as soon as it is accepted, so the SDK's
reconnect attempts fail until the test lets them through again. It keeps the start of what each
connection carried, which twilsock_headers() reads back as twilsock frames.

Runs its own asyncio loop on a daemon thread; the test calls it from its own thread.

Not collected by pytest (no ``test_`` prefix); the test modules import what they use.
"""

import asyncio
import json
import socket
import struct
import threading
import time
import zlib
from contextlib import contextmanager

_RESET = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST, not FIN
KEPT = 256 * 1024  # bytes of each direction of each connection kept for twilsock_headers()


def _reset(writer):
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _RESET)
        except OSError:
            pass
    writer.transport.abort()


class TcpProxy:
    def __init__(self, target_host, target_port):
        self.target = (target_host, target_port)
        self.accepted = 0  # connections forwarded to the target
        self.refused = 0  # connections reset because the proxy was refusing
        # Of each forwarded connection, in order: {"up": client to server, "down": server to
        # client}, the first KEPT bytes of each.
        self.transcripts = []
        self._refusing = False
        self._pairs = set()  # (client writer, upstream writer) of the open connections
        self._loop = asyncio.new_event_loop()
        self._server = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def start(self):
        """Starts listening on 127.0.0.1; returns the port."""
        self._thread.start()
        self._server = self._call(asyncio.start_server(self._serve, "127.0.0.1", 0))
        return self._server.sockets[0].getsockname()[1]

    def stop(self):
        async def close():
            self._server.close()
            for pair in list(self._pairs):
                for w in pair:
                    _reset(w)
        if self._server is not None:
            self._call(close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def cut(self):
        """Resets every connection open now, on both sides; returns how many there were."""
        async def cut():
            pairs = list(self._pairs)
            self._pairs.clear()
            for pair in pairs:
                for w in pair:
                    _reset(w)
            return len(pairs)
        return self._call(cut())

    @contextmanager
    def refusing(self):
        """While inside, every new connection is reset as soon as it is accepted."""
        self._refusing = True
        try:
            yield
        finally:
            self._refusing = False

    def wait_refused(self, count, timeout=15.0):
        """Waits until `count` connections in all have been refused; False on timeout."""
        deadline = time.monotonic() + timeout
        while self.refused < count:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def _call(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=10)

    async def _serve(self, reader, writer):
        if self._refusing:
            self.refused += 1
            _reset(writer)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            _reset(writer)
            return
        self.accepted += 1
        pair = (writer, up_writer)
        self._pairs.add(pair)
        kept = {"up": bytearray(), "down": bytearray()}
        self.transcripts.append(kept)
        await asyncio.gather(self._pump(reader, up_writer, pair, kept["up"]),
                             self._pump(up_reader, writer, pair, kept["down"]))

    async def _pump(self, reader, writer, pair, kept):
        """Copies until EOF, then closes the other side too (a cut has already reset both)."""
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                kept += data[:KEPT - len(kept)]
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        if pair in self._pairs:
            self._pairs.discard(pair)
            for w in pair:
                w.close()


def twilsock_headers(stream):
    """The twilsock frame headers in one direction of a WebSocket connection (a transcript's
    "up" or "down"), in order: the HTTP upgrade is skipped, WebSocket frames are unmasked and
    joined (and inflated, where permessage-deflate was agreed), and each message's header
    (TWILSOCK V3.0 <size>, CR LF, the JSON header) is parsed; a message cut off at the end of
    what was kept is left out."""
    data = bytes(stream)
    pos = data.index(b"\r\n\r\n") + 4
    inflate = zlib.decompressobj(-zlib.MAX_WBITS)
    headers, message, compressed = [], b"", False
    while pos + 2 <= len(data):
        b0, b1 = data[pos], data[pos + 1]
        pos += 2
        size = b1 & 0x7F
        if size >= 126:
            width = 2 if size == 126 else 8
            size = int.from_bytes(data[pos:pos + width], "big")
            pos += width
        mask = data[pos:pos + 4] if b1 & 0x80 else None
        pos += 4 if mask else 0
        if pos + size > len(data):
            break
        payload = data[pos:pos + size]
        pos += size
        if mask:
            payload = bytes(c ^ mask[i % 4] for i, c in enumerate(payload))
        opcode = b0 & 0x0F
        if opcode not in (0, 1, 2):
            continue  # control frames: ping, pong, close
        if opcode:
            compressed = bool(b0 & 0x40)
        message += payload
        if b0 & 0x80:  # FIN: the message is whole
            if compressed:
                message = inflate.decompress(message + b"\x00\x00\xff\xff")
            first, rest = message.split(b"\r\n", 1)
            assert first.startswith(b"TWILSOCK V3.0 "), first
            headers.append(json.loads(rest[:int(first.split()[2])]))
            message = b""
    return headers
