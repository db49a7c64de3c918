#!/usr/bin/env python3
"""Integration: chatd's WebSocket listener.

Alice talks over TCP, Bob over WebSocket (`chat --server ws://...`):
messages and their delivered and read receipts cross both ways. Then bad
input on the WebSocket port (a garbage upgrade, a wrong path, a plain
HTTP request, a refused Origin, an endless head, a text message, an
oversize message, an unmasked frame, a second prologue) while Bob stays
connected: each attacker gets its HTTP error or close code and is
disconnected, and Bob receives every message Alice sends meanwhile.

The WebSocket side is spoken here from first principles (RFC 6455 with
Python's hashlib and base64), so chatd's handshake is checked against an
implementation that shares no code with it. Reuses scripts/demo's chat
helpers (CHAT, CHATD and LC_SOURCE_ROOT come from meson). Exits 0 when
every check held."""
import base64
import hashlib
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import time

from harness import demo, expect, run

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
ORIGIN = "https://chat.example"
PROLOGUE = b"LCHAT\x01"


class WsDemo(demo.Demo):
    """The demo's server with a WebSocket listener; people in over_ws
    connect through it."""

    over_ws = ("Bob",)

    def start_server(self, data="data", listen="127.0.0.1:0"):
        data_dir = os.path.join(self.tmp, data)
        os.makedirs(data_dir, exist_ok=True)
        with open(self.log, "ab") as logf:
            self.chatd = subprocess.Popen(
                [self.chatd_bin, "--listen", listen, "--http", "127.0.0.1:0",
                 "--ws", "127.0.0.1:0", "--ws-origins", ORIGIN,
                 # one worker: /metrics answers per worker, and the
                 # upgrade counts below are checked exactly
                 "--workers", "1",
                 "--data", data_dir, "--pwhash-opslimit", "1",
                 "--pwhash-memlimit", "8192", "--log-level", "debug"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=logf)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with open(self.log, "rb") as f:
                m = re.search(rb"event=worker_ready .*frames=(\d+) "
                              rb"http=(\d+) ws=(\d+) path=(\S+)", f.read())
            if m:
                self.server = "127.0.0.1:" + m.group(1).decode()
                self.http_port = int(m.group(2))
                self.http = "127.0.0.1:%d" % self.http_port
                self.ws_port = int(m.group(3))
                self.ws_url = "ws://127.0.0.1:%d%s" % (
                    self.ws_port, m.group(4).decode())
                return
            if self.chatd.poll() is not None:
                break
            time.sleep(0.05)
        raise demo.StepFailed("chatd started with a WebSocket listener")

    def chat(self, who, *args, ok=True):
        saved = self.server
        if who in self.over_ws:
            self.server = self.ws_url
        try:
            return super().chat(who, *args, ok=ok)
        finally:
            self.server = saved


# ------------------------------------------------------------ raw WebSocket
def accept_of(key):
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()
                            ).decode()


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    return s


def read_all(s, limit=1 << 20):
    """Everything until the server closes (or 10 s pass)."""
    out = b""
    try:
        while len(out) < limit:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except socket.timeout:
        raise demo.StepFailed("the server closed the attacker's connection")
    return out


def upgrade(port, path="/v1/ws", extra=""):
    """A WebSocket after a checked handshake, with what followed it."""
    key = base64.b64encode(os.urandom(16)).decode()
    s = connect(port)
    s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
               "Upgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n%s\r\n"
               % (path, port, key, extra)).encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        b = s.recv(4096)
        if not b:
            raise demo.StepFailed("an answer to the upgrade")
        buf += b
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    expect(lines[0].startswith("HTTP/1.1 101 "), "101 for a good upgrade, "
           "got %r" % lines[0])
    hdr = dict(l.split(": ", 1) for l in lines[1:])
    expect(hdr.get("Sec-WebSocket-Accept") == accept_of(key),
           "Sec-WebSocket-Accept = base64(SHA-1(key + GUID))")
    return s, rest


def frame(opcode, payload, fin=True, masked=True, length=None):
    n = len(payload) if length is None else length
    b1 = (0x80 if fin else 0) | opcode
    mbit = 0x80 if masked else 0
    if n < 126:
        head = struct.pack("!BB", b1, mbit | n)
    elif n < 65536:
        head = struct.pack("!BBH", b1, mbit | 126, n)
    else:
        head = struct.pack("!BBQ", b1, mbit | 127, n)
    if not masked:
        return head + payload
    mask = os.urandom(4)
    return head + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(payload))


def frames(data):
    """Server frames (unmasked): [(opcode, payload)]."""
    out = []
    while len(data) >= 2:
        op, n = data[0] & 0x0F, data[1] & 0x7F
        expect(not data[1] & 0x80, "server frames are not masked")
        o = 2
        if n == 126:
            n, o = struct.unpack("!H", data[2:4])[0], 4
        elif n == 127:
            n, o = struct.unpack("!Q", data[2:10])[0], 10
        out.append((op, data[o:o + n]))
        data = data[o + n:]
    return out


def close_code(rest_and_more):
    fs = frames(rest_and_more)
    closes = [p for op, p in fs if op == 8]
    expect(closes, "a close frame, got frames %r" % [op for op, _ in fs])
    return struct.unpack("!H", closes[0][:2])[0]


def http_refusal(port, raw):
    s = connect(port)
    s.sendall(raw)
    got = read_all(s)
    s.close()
    m = re.match(rb"HTTP/1.1 (\d{3}) ", got)
    expect(m, "an HTTP answer, got %r" % got[:60])
    return int(m.group(1)), got


# ------------------------------------------------------------ the checks
def conversation(d):
    """TCP and WebSocket users talk, with delivered and read ticks."""
    text = "from Alice over TCP"
    mid = d.send("Alice", "+15550002", text)
    msgs, _ = d.sync("Bob")
    expect([(m["from_name"], m["text"]) for m in msgs] == [("Alice", text)],
           "Bob (WebSocket) received Alice's message, got %r" % msgs)
    _, recs = d.sync("Alice")
    expect([(r["id"], r["state"]) for r in recs] == [(mid, "delivered")],
           "Alice saw delivered from Bob, got %r" % recs)
    d.chat("Bob", "read", "+15550001")
    _, recs = d.sync("Alice")
    expect([(r["id"], r["state"]) for r in recs] == [(mid, "read")],
           "Alice saw read from Bob, got %r" % recs)
    reply = "from Bob over WebSocket"
    rid = d.send("Bob", "+15550001", reply)
    msgs, _ = d.sync("Alice")
    expect([(m["from_name"], m["text"]) for m in msgs] == [("Bob", reply)],
           "Alice received Bob's reply, got %r" % msgs)
    d.chat("Alice", "read", "+15550002")
    _, recs = d.sync("Bob")
    expect(sorted((r["id"], r["state"]) for r in recs) ==
           [(rid, "delivered"), (rid, "read")] or
           [(r["id"], r["state"]) for r in recs] == [(rid, "read")],
           "Bob saw his reply delivered and read, got %r" % recs)
    print("ok: TCP and WebSocket clients converse, receipts both ways")


def attacks(d):
    """Each bad input ends only its own connection."""
    port = d.ws_port
    st, body = http_refusal(port, b"\x16\x03\x01\x02\x00garbage\r\n\r\n")
    expect(st == 400 and body.endswith(b"\n"), "garbage upgrade: 400")
    st, _ = http_refusal(port, b"GET /other HTTP/1.1\r\nHost: x\r\n"
                               b"Upgrade: websocket\r\n\r\n")
    expect(st == 404, "wrong path: 404")
    st, body = http_refusal(port, b"GET /v1/ws HTTP/1.1\r\nHost: x\r\n\r\n")
    expect(st == 426 and b"Upgrade: websocket" in body,
           "plain HTTP on the WebSocket path: 426 Upgrade Required")
    st, _ = http_refusal(port, b"GET /v1/ws HTTP/1.1\r\nHost: x\r\n"
                         b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                         b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                         b"Sec-WebSocket-Version: 13\r\n"
                         b"Origin: https://evil.example\r\n\r\n")
    expect(st == 403, "an Origin not allowed: 403")
    st, _ = http_refusal(port, b"GET /v1/ws HTTP/1.1\r\nX: " +
                         b"a" * 9000)
    expect(st == 400, "a head that never ends: 400 at 8 KiB")
    print("ok: refused upgrades (400, 404, 426, 403, 400)")

    s, rest = upgrade(port, extra="Origin: %s\r\n" % ORIGIN)
    s.sendall(frame(2, PROLOGUE) + frame(1, b"hello"))
    code = close_code(rest + read_all(s))
    expect(code == 1003, "text message: close 1003, got %d" % code)
    s, rest = upgrade(port)
    s.sendall(frame(2, PROLOGUE) + frame(2, b"", length=70000)[:14] +
              b"\0" * 64)
    code = close_code(rest + read_all(s))
    expect(code == 1009, "oversize message: close 1009, got %d" % code)
    s, rest = upgrade(port)
    s.sendall(frame(2, PROLOGUE, masked=False))
    code = close_code(rest + read_all(s))
    expect(code == 1002, "unmasked frame: close 1002, got %d" % code)
    s, rest = upgrade(port)
    s.sendall(frame(2, PROLOGUE + b"\0"))
    code = close_code(rest + read_all(s))
    expect(code == 1002, "a prologue message of 7 bytes: close 1002, got %d"
           % code)
    s, rest = upgrade(port)
    s.sendall(frame(2, b"XCHAT\x01"))
    got = frames(rest + read_all(s))
    expect(got[0] == (2, PROLOGUE) and got[-1][0] == 8,
           "the server's prologue, then a close for a bad prologue")
    print("ok: text, oversize, unmasked and bad prologue messages closed "
          "(1003, 1009, 1002, 1002, close)")


def others_unaffected(d):
    """Bob stays connected over WebSocket through every attack and gets
    each message Alice sends meanwhile."""
    home = os.path.join(d.tmp, "Bob")
    bob = subprocess.Popen(
        [d.chat_bin, "--home", home, "--server", d.ws_url, "--json",
         "sync", "--wait", "10"], stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ, CHAT_PASSWORD=demo.PASSWORD))
    sent = []
    try:
        time.sleep(1.5)
        for i in range(3):
            attacks(d)
            sent.append("during attack round %d" % i)
            d.send("Alice", "+15550002", sent[-1])
        out, err = bob.communicate(timeout=60)
    finally:
        if bob.poll() is None:
            bob.kill()
            bob.wait()
    msgs = [demo.json.loads(l) for l in out.splitlines()]
    got = [m["text"] for m in msgs if m.get("event") == "message"]
    expect(got == sent, "Bob's WebSocket session got every message while "
           "others were refused, got %r (stderr %r)" % (got, err))
    expect(d.chatd.poll() is None, "chatd still running")
    with open(d.log, "rb") as f:
        log = f.read()
    expect(log.count(b"event=ws_upgrade_refused") >= 15,
           "every refused upgrade logged")
    print("ok: a WebSocket client kept its session through the attacks")


def metrics(d):
    """The upgrades chatd answered, counted by status on /metrics."""
    import urllib.request
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics"
                                % d.http_port, timeout=10) as r:
        text = r.read().decode()
    got = dict(re.findall(r'^chatd_ws_upgrades_total\{status="(\w+)"\} '
                          r'(\d+)$', text, re.M))
    got = {k: int(v) for k, v in got.items()}
    # 3 rounds: 2 garbage/endless heads (400), 1 each 404, 426, 403, and
    # 5 accepted attackers; the chat commands' upgrades are 101 too
    expect(got.get("400") == 6 and got.get("404") == 3 and
           got.get("426") == 3 and got.get("403") == 3 and
           got.get("101", 0) >= 15, "upgrades by status on /metrics, got %r"
           % got)
    print("ok: /metrics counts WebSocket upgrades by status %r" % got)


def main():
    def steps(d):
        conversation(d)
        others_unaffected(d)
        metrics(d)
        d.chatd.send_signal(signal.SIGTERM)
        expect(d.chatd.wait(15) == 0, "chatd drains and exits 0")
    return run(steps, WsDemo, show_log=True)


if __name__ == "__main__":
    sys.exit(main())
