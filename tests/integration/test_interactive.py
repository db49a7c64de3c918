#!/usr/bin/env python3
"""Integration: the interactive mode of `chat`, driven through a pty as a
person would use it, against a real chatd.

Alice types /send in the line editor; Bob (one-shot commands) receives the
message, and Alice's screen shows its mark move from ... to \u2713, \u2713\u2713
and read. A message arriving while Alice is half-way through a line is
printed above the prompt and her partial line comes back intact. /open
makes plain lines messages; /quit exits 0. /send-file uploads and sends
a file, and a file that arrives is saved to DIR/media/ as `sync` does.

Reuses scripts/demo's server and `chat` helpers (CHAT, CHATD and
LC_SOURCE_ROOT come from meson). Exits 0 when every check held."""
import os
import re
import select
import subprocess
import sys
import time

from harness import demo, expect, run

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][0-9A-Za-z]|\x1b[=>]")


class Pty:
    """`chat` in interactive mode on a pseudo-terminal."""

    def __init__(self, d, who, *flags):
        self.master, slave = os.openpty()
        env = dict(os.environ, CHAT_PASSWORD=demo.PASSWORD, TERM="xterm",
                   COLUMNS="200", LINES="50")
        self.p = subprocess.Popen(
            [d.chat_bin, "--home", os.path.join(d.tmp, who),
             "--server", d.server, "--http", d.http] + list(flags),
            stdin=slave, stdout=slave, stderr=slave, env=env,
            start_new_session=True)
        os.close(slave)
        self.raw = b""
        self.pos = 0  # what expect() has consumed of the screen text

    def text(self):
        return ANSI.sub("", self.raw.decode("utf-8", "replace"))

    def pump(self, timeout):
        r, _, _ = select.select([self.master], [], [], timeout)
        if r:
            try:
                self.raw += os.read(self.master, 65536)
            except OSError:  # the child closed the terminal
                return False
        return True

    def expect(self, pattern, what, timeout=20):
        """Wait until @pattern appears after what was matched before."""
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        while True:
            m = rx.search(self.text(), self.pos)
            if m:
                self.pos = m.end()
                return m
            left = deadline - time.monotonic()
            if left <= 0 or not self.pump(min(left, 0.2)) and \
                    self.p.poll() is not None:
                raise demo.StepFailed("%s (screen after the last match: %r)"
                                      % (what, self.text()[self.pos:]))

    def type(self, s):
        os.write(self.master, s.encode())

    def close(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()
        os.close(self.master)


def ticks(d):
    alice = Pty(d, "Alice")
    try:
        alice.expect(r"-- online as Alice", "Alice's prompt comes online")
        alice.type("/send +15550002 hello from the prompt\r")
        alice.expect(r"\[Bob\] me: hello from the prompt  \.\.\.",
                     "the own message shown at once, pending")
        alice.expect(r"\[Bob\] me: hello from the prompt  \u2713\r?\n",
                     "\u2713 once the server stored it")
        msgs, _ = d.sync("Bob")
        expect([m["text"] for m in msgs] == ["hello from the prompt"],
               "Bob received what Alice typed, got %r" % msgs)
        alice.expect(r"\[Bob\] me: hello from the prompt  \u2713\u2713",
                     "\u2713\u2713 once Bob's device has it")
        d.chat("Bob", "read", "+15550001")
        alice.expect(r"\[Bob\] me: hello from the prompt  read",
                     "read once Bob opened the chat")
        print("ok: /send, then ... \u2713 \u2713\u2713 read on Alice's screen")

        alice.type("half a li")
        alice.expect(r"half a li", "the typed text is echoed")
        d.send("Bob", "+15550001", "a message while Alice types")
        alice.expect(r"\[Bob\] Bob: a message while Alice types\r?\n"
                     r"(.*\r)?> half a li",
                     "the message above the prompt, the partial line "
                     "redrawn after it")
        alice.type("ne\r")
        alice.expect(r"no open chat", "a plain line without /open")
        print("ok: a live message does not garble the line being typed")

        alice.type("/open +15550002\r")
        alice.expect(r"\[Bob\]> ", "the prompt names the open chat")
        alice.type("plain words go to Bob\r")
        alice.expect(r"me: plain words go to Bob  \u2713\r?\n",
                     "a plain line is sent to the open chat")
        msgs, _ = d.sync("Bob")
        expect([m["text"] for m in msgs] == ["plain words go to Bob"],
               "Bob received the plain line, got %r" % msgs)
        alice.type("/history\r")
        alice.expect(r"me: plain words go to Bob", "/history of the open chat")
        alice.type("/help\r")
        alice.expect(r"/send TO TEXT", "/help lists the commands")
        alice.expect(r"/send-file TO PATH", "/help lists /send-file")
        alice.type("/quit\r")
        rc = alice.p.wait(15)
        expect(rc == 0, "/quit exits 0, got %d" % rc)
        print("ok: /open, /history, /help, /quit")
    finally:
        alice.close()


def files(d):
    """/send-file from the prompt; a file received while online is saved
    to DIR/media/ and its path printed."""
    alice = Pty(d, "Alice")
    try:
        alice.expect(r"-- online as Alice", "Alice's prompt comes online")
        data = os.urandom(70000)
        path = os.path.join(d.tmp, "notes from alice.bin")
        with open(path, "wb") as f:
            f.write(data)
        alice.type("/send-file +15550002 %s\r" % path)
        alice.expect(r"\[Bob\] me: \[file notes from alice\.bin 68 KiB\]",
                     "the own file shown once uploaded")
        alice.expect(r"\[Bob\] me: \[file notes from alice\.bin 68 KiB\]"
                     r"  \u2713", "\u2713 once the server stored it")
        ev = d.chat("Bob", "sync", "--wait", "1")
        got = [e for e in ev if e.get("event") == "file" and "path" in e]
        expect(len(got) == 1, "Bob received Alice's file, got %r" % ev)
        with open(got[0]["path"], "rb") as f:
            expect(f.read() == data, "Bob's copy has Alice's bytes")
        alice.type("/send-file +15550002 %s/missing\r" % d.tmp)
        alice.expect(r"cannot send .*missing", "a missing file is refused")
        print("ok: /send-file uploads and sends; a missing file is refused")

        back = os.urandom(5000)
        path = os.path.join(d.tmp, "reply.txt")
        with open(path, "wb") as f:
            f.write(back)
        d.chat("Bob", "send-file", "+15550001", path)
        m = alice.expect(r"\[Bob\] Bob: \[text reply\.txt 5 KiB\]\r?\n"
                         r"(?:.*\r?\n)*?.*saved (\S+)\r?\n",
                         "a received file is saved and its path printed")
        saved = m.group(1)
        expect(saved.startswith(os.path.join(d.tmp, "Alice", "media") +
                                "/") and saved.endswith("-reply.txt"),
               "saved under DIR/media/ID8-NAME, got %r" % saved)
        with open(saved, "rb") as f:
            expect(f.read() == back, "the saved file has Bob's bytes")
        alice.type("/quit\r")
        rc = alice.p.wait(15)
        expect(rc == 0, "/quit exits 0, got %d" % rc)
        print("ok: a file received in the interactive mode is saved")
    finally:
        alice.close()


def not_a_tty(d):
    """Lines from a pipe: no prompt, no editor; EOF ends the program."""
    p = subprocess.run(
        [d.chat_bin, "--home", os.path.join(d.tmp, "Alice"),
         "--server", d.server],
        input="/send +15550002 from a pipe\n/chats\n", capture_output=True,
        text=True, timeout=60)
    expect(p.returncode == 0, "EOF ends the interactive mode with 0, got "
           "%d (%r)" % (p.returncode, p.stderr))
    expect("\x1b" not in p.stdout and "> " not in p.stdout,
           "no prompt nor escape codes in a pipe: %r" % p.stdout)
    expect("[Bob] me: from a pipe  ..." in p.stdout and "Bob  " in p.stdout,
           "the commands ran in order: %r" % p.stdout)
    msgs, _ = d.sync("Bob")
    expect([m["text"] for m in msgs] == ["from a pipe"],
           "Bob received the piped line, got %r" % msgs)
    print("ok: stdin not a terminal, lines run in order, EOF exits 0")


def main():
    def steps(d):
        ticks(d)
        files(d)
        not_a_tty(d)
    return run(steps)


if __name__ == "__main__":
    sys.exit(main())
