#!/usr/bin/env python3
"""Integration: nothing is lost when the server restarts mid-conversation
or a client dies between its outbox write and the server's ack; group
membership commands, and a removed member reads nothing later.

Reuses scripts/demo's server and `chat` helpers (CHAT, CHATD and
LC_SOURCE_ROOT come from meson). Exits 0 when every check held."""
import os
import socket
import subprocess
import sys
import threading
import time

from harness import demo, expect, run


def texts(msgs):
    return [m["text"] for m in msgs]


def restart_mid_conversation(d):
    """Bob stays connected (a long sync) while chatd restarts on the same
    port and data: his session reconnects and receives what Alice sent
    before and after, each once."""
    d.send("Alice", "+15550002", "before the restart")
    home = os.path.join(d.tmp, "Bob")
    bob = subprocess.Popen(
        [d.chat_bin, "--home", home, "--server", d.server, "--json",
         "sync", "--wait", "12"], stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ, CHAT_PASSWORD=demo.PASSWORD))
    try:
        time.sleep(2)
        addr = d.server
        d.stop_server()
        time.sleep(0.5)
        d.start_server(listen=addr)
        expect(d.server == addr, "chatd back on the same port")
        d.send("Alice", "+15550002", "after the restart")
        out, err = bob.communicate(timeout=60)
    finally:
        if bob.poll() is None:
            bob.kill()
            bob.wait()
    msgs = [demo.json.loads(line) for line in out.splitlines()]
    msgs = [m for m in msgs if m.get("event") == "message"]
    expect(texts(msgs) == ["before the restart", "after the restart"],
           "Bob's session got both messages once across the restart, got "
           "%r (stderr %r)" % (texts(msgs), err))
    print("ok: server restarted mid-conversation, nothing lost")


class Proxy:
    """TCP relay in front of chatd: client bytes pass; server bytes pass
    until `budget` bytes were relayed (None: no limit), then vanish, as an
    ack lost on the way."""

    def __init__(self, target):
        host, port = target.rsplit(":", 1)
        self.target = (host, int(port))
        self.budget = None
        self.s2c = 0
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(4)
        self.addr = "127.0.0.1:%d" % self.lsock.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            s = socket.create_connection(self.target)
            self.s2c = 0
            threading.Thread(target=self.pump, args=(c, s, False),
                             daemon=True).start()
            threading.Thread(target=self.pump, args=(s, c, True),
                             daemon=True).start()

    def pump(self, a, b, from_server):
        while True:
            try:
                data = a.recv(65536)
            except OSError:
                data = b""
            if not data:
                for x in (a, b):
                    try:
                        x.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                return
            if from_server and self.budget is not None:
                room = max(0, self.budget - self.s2c)
                data = data[:room]
            if from_server:
                self.s2c += len(data)
            try:
                b.sendall(data)
            except OSError:
                return

    def close(self):
        self.lsock.close()


def killed_before_ack(d):
    """Alice's `chat send` reaches the server but never sees the ack (the
    proxy drops it) and is killed; her next run resends from the outbox;
    Bob gets the message once and Alice sees it delivered."""
    d.sync("Bob")
    d.sync("Alice")
    p = Proxy(d.server)
    real = d.server
    try:
        d.server = p.addr
        d.sync("Alice")          # measure a login with nothing pending
        login_bytes = p.s2c
        p.budget = login_bytes
        home = os.path.join(d.tmp, "Alice")
        cmd = [d.chat_bin, "--home", home, "--server", p.addr, "--json",
               "send", "+15550002", "sent once, acked never"]
        try:
            subprocess.run(cmd, stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=3,
                           env=dict(os.environ, CHAT_PASSWORD=demo.PASSWORD))
            expect(False, "the send waited for its ack")
        except subprocess.TimeoutExpired:
            pass                 # killed (SIGKILL) before any ack
    finally:
        d.server = real
        p.close()
    msgs, recs = d.sync("Alice")  # resends from the outbox
    expect(any(r["state"] == "sent" for r in recs),
           "the restarted client resent and got the ack, got %r" % recs)
    msgs, _ = d.sync("Bob")
    expect(texts(msgs) == ["sent once, acked never"],
           "Bob got the message exactly once, got %r" % texts(msgs))
    msgs, _ = d.sync("Bob")
    expect(msgs == [], "nothing more for Bob")
    print("ok: client killed between outbox write and ack: resent, "
          "delivered once")


def members(ev):
    # the answer to the own request (change 100); pushes may come first
    g = [e for e in ev if e.get("event") == "group" and e["change"] == 100]
    expect(len(g) == 1, "one group answer, got %r" % ev)
    return sorted(m["name"] for m in g[0]["members"])


def group_membership(d):
    """group add / remove / leave / info by name; a removed member gets
    nothing sent after the removal."""
    d.register("Carol")
    d.contact("Carol", "Alice")
    ev = d.chat("Alice", "group", "create", "team", "+15550002")
    expect(members(ev) == ["Bob", "me"], "team: Alice and Bob")
    ev = d.chat("Alice", "group", "add", "group:team", "carol@example.com")
    expect(members(ev) == ["Bob", "Carol", "me"], "Carol added")
    d.send("Alice", "group:team", "for the three of us")
    for who in ("Bob", "Carol"):
        msgs, _ = d.sync(who)
        expect(texts(msgs) == ["for the three of us"],
               "%s got the group message, got %r" % (who, texts(msgs)))
    ev = d.chat("Carol", "group", "info", "group:team")
    expect(len(members(ev)) == 3, "Carol's group info by name")
    ev = d.chat("Alice", "group", "remove", "group:team",
                "carol@example.com")
    expect(members(ev) == ["Bob", "me"], "Carol removed")
    d.send("Alice", "group:team", "Carol is gone")
    msgs, _ = d.sync("Bob")
    expect(texts(msgs) == ["Carol is gone"], "Bob still gets the group")
    msgs, _ = d.sync("Carol")
    expect(msgs == [], "the removed member got nothing, got %r" % msgs)
    ev = d.chat("Carol", "history", "group:team")
    expect("Carol is gone" not in texts(ev), "nor is it in her history")
    d.chat("Bob", "group", "leave", "group:team")
    ev = d.chat("Alice", "group", "info", "group:team")
    expect(members(ev) == ["me"], "Bob left")
    print("ok: group add, remove, leave, info by name; removed member "
          "reads nothing later")


def main():
    def steps(d):
        restart_mid_conversation(d)
        killed_before_ack(d)
        group_membership(d)
    return run(steps)


if __name__ == "__main__":
    sys.exit(main())
