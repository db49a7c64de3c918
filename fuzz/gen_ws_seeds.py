#!/usr/bin/env python3
"""Write the seed corpora of the WebSocket harnesses (run by hand when the
handshake or the framing changes):

    fuzz/gen_ws_seeds.py fuzz/corpus
"""
import base64
import hashlib
import os
import struct
import sys

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
KEY = "dGhlIHNhbXBsZSBub25jZQ=="
ZERO_KEY = base64.b64encode(bytes(16)).decode()


def accept(key):
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest())


def req(path="/v1/ws", method="GET", extra=b"", key=KEY, ver=b"13"):
    return (method.encode() + b" " + path.encode() + b" HTTP/1.1\r\n"
            b"Host: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: " + key.encode() + b"\r\n"
            b"Sec-WebSocket-Version: " + ver + b"\r\n" + extra + b"\r\n")


def answer(key):
    return (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept(key) +
            b"\r\n\r\n")


def frame(op, payload, fin=True, masked=True, length=None):
    n = len(payload) if length is None else length
    b1 = (0x80 if fin else 0) | op
    m = 0x80 if masked else 0
    if n < 126:
        head = struct.pack("!BB", b1, m | n)
    elif n < 65536:
        head = struct.pack("!BBH", b1, m | 126, n)
    else:
        head = struct.pack("!BBQ", b1, m | 127, n)
    if not masked:
        return head + payload
    mask = b"\x12\x34\x56\x78"
    return head + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(payload))


PRO = b"LCHAT\x01"


def main(out):
    r = os.path.join(out, "ws_request")
    c = os.path.join(out, "ws_conn")
    os.makedirs(r, exist_ok=True)
    os.makedirs(c, exist_ok=True)
    seeds_r = {
        "ok": req(),
        "ok-origin": req(extra=b"Origin: https://b.example\r\n"),
        "bad-origin": req(extra=b"Origin: https://c.example\r\n"),
        "path": req("/x"),
        "query": req("/v1/ws?a=b"),
        "post": req(method="POST"),
        "version": req(ver=b"8"),
        "key": req(key="short"),
        "fold": req(extra=b"X: a\r\n b\r\n"),
        "plain": b"GET /v1/ws HTTP/1.1\r\nHost: h\r\n\r\n",
        "answer-101": answer(KEY),
        "answer-400": b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n",
    }
    for name, data in seeds_r.items():
        with open(os.path.join(r, name), "wb") as f:
            f.write(data)
    srv = req()
    cli = answer(ZERO_KEY)
    seeds_c = {
        # server side (first byte even)
        "srv-frames": b"\x00" + srv + frame(2, PRO) + frame(2, b"x" * 32) +
        frame(2, b"y" * 200),
        "srv-fragments": b"\x00" + srv + frame(2, PRO) +
        frame(2, b"ab", fin=False) + frame(9, b"p") + frame(0, b"cd"),
        "srv-text": b"\x00" + srv + frame(2, PRO) + frame(1, b"hi"),
        "srv-oversize": b"\x02" + srv + frame(2, PRO) +
        frame(2, b"", length=70000) + bytes(16),
        "srv-unmasked": b"\x00" + srv + frame(2, PRO, masked=False),
        "srv-close": b"\x00" + srv + frame(2, PRO) +
        frame(8, b"\x03\xe8bye"),
        "srv-empty": b"\x00" + srv + frame(2, PRO) + frame(2, b""),
        "srv-bad-head": b"\x00" + b"GET / HTTP/1.0\r\n\r\n",
        # client side (first byte odd)
        "cli-frames": b"\x01" + cli + frame(2, PRO, masked=False) +
        frame(2, b"z" * 48, masked=False),
        "cli-masked": b"\x01" + cli + frame(2, PRO),
        "cli-404": b"\x01" + b"HTTP/1.1 404 Not Found\r\n\r\n",
        "cli-ping": b"\x01" + cli + frame(9, b"", masked=False) +
        frame(2, PRO, masked=False),
    }
    for name, data in seeds_c.items():
        with open(os.path.join(c, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "fuzz/corpus")
