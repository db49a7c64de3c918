#!/usr/bin/env python3
"""Integration: a contact reinstalls (a new home directory, the same
phone: a new device with a new identity key) and the other side is told,
under both key-change policies of `chat --on-key-change`:

- continue (the default): the key-change event is printed (an object with
  --json, a warning line without) and the message still goes out;
- hold: the event says held, the message waits in the outbox (across
  runs) until `trust`, which sends it; so does a message to a group Bob
  is in (its sender key would reach the new key).

Then a group: Bob reinstalls once more and stays silent; Alice's next
group message is refused by chatd as STALE_DEVICES, her `chat` gives its
sender key to the new device and resends, and the new device reads it with
no direct message in between.

Reuses scripts/demo's server and `chat` helpers (CHAT, CHATD and
LC_SOURCE_ROOT come from meson). Exits 0 when every check held."""
import os
import subprocess
import sys

from harness import demo, expect, run

BOB = "+15550002"


def events(ev, kind):
    return [e for e in ev if e.get("event") == kind]


def reinstall(d, home):
    """Bob on a fresh device: a new store, so a new identity key."""
    os.makedirs(os.path.join(d.tmp, home), exist_ok=True)
    acc = events(d.chat(home, "login", "--phone", BOB), "account")
    expect(len(acc) == 1, "Bob logged in from %s" % home)
    return acc[0]["device"]


def texts(d, who):
    msgs, _ = d.sync(who)
    return [m["text"] for m in msgs]


def mine(ev, held):
    """No receipt in @ev concerns a held message."""
    ids = {h["id"] for h in held}
    return not [r for r in events(ev, "receipt") if r["id"] in ids]


def safety_number(d):
    return d.chat("Alice", "fingerprint", BOB)[0]["safety_number"]


def continue_policy(d, bob):
    sn_before = safety_number(d)
    dev = reinstall(d, "Bob2")
    ev = d.chat("Alice", "send", BOB, "after the reinstall")
    ch = events(ev, "identity_changed")
    expect(ch == [{"event": "identity_changed", "user": bob, "device": dev,
                   "name": "Bob", "held": False}],
           "one key-change object naming Bob's new device, got %r" % ch)
    expect([r["state"] for r in events(ev, "receipt")][-1:] == ["sent"],
           "by default the message still goes out: %r" % ev)
    expect(texts(d, "Bob2") == ["after the reinstall"],
           "the reinstalled device reads it")
    expect(safety_number(d) != sn_before,
           "the safety number follows the new key")
    print("ok: continue: key-change event as JSON, the message delivered")

    # without --json: a warning line, once
    dev = reinstall(d, "Bob3")
    p = subprocess.run(
        [d.chat_bin, "--home", os.path.join(d.tmp, "Alice"), "--server",
         d.server, "send", BOB, "said plainly"], capture_output=True,
        text=True, timeout=60)
    expect(p.returncode == 0, "the send went through: %r" % p.stderr)
    warn = "warning: Bob/%d has a new identity key" % dev
    expect(p.stdout.count(warn) == 1,
           "one warning line %r, got %r" % (warn, p.stdout))
    expect(texts(d, "Bob3") == ["said plainly"], "Bob3 reads it")
    print("ok: continue: a warning line for people")


def hold_policy(d, bob):
    hold = ("--on-key-change", "hold")
    ev = d.chat("Alice", *hold, "group", "create", "pals", BOB)
    expect(events(ev, "group"), "Alice made a group with Bob: %r" % ev)
    dev = reinstall(d, "Bob4")
    ev = d.chat("Alice", *hold, "send", BOB, "held until trusted")
    ch = events(ev, "identity_changed")
    expect(len(ch) == 1 and ch[0]["device"] == dev and ch[0]["held"],
           "the key-change object says held, got %r" % ch)
    held = events(ev, "held")
    expect(len(held) == 1 and mine(ev, held), "the send ends held, unsent: "
           "%r" % ev)
    expect(texts(d, "Bob4") == [], "nothing reached the new device")
    ev = d.chat("Alice", *hold, "send", BOB, "still held")
    held += events(ev, "held")
    expect(len(held) == 2 and mine(ev, held),
           "a later send is held at once: %r" % ev)
    ev = d.chat("Alice", *hold, "sync", "--wait", "1")
    expect(mine(ev, held), "a restart keeps them held: %r" % ev)
    expect(texts(d, "Bob4") == [], "still nothing at Bob's")
    print("ok: hold: the event says held, messages wait across runs")

    ev = d.chat("Alice", *hold, "send", "group:pals", "group held")
    gheld = events(ev, "held")
    expect(len(gheld) == 1 and gheld[0].get("chat_name") == "group:pals"
           and mine(ev, gheld),
           "a message to Bob's group ends held, unsent: %r" % ev)
    print("ok: hold: a message to a group with Bob in it is held too")

    ev = d.chat("Alice", *hold, "trust", BOB)
    tr = events(ev, "trusted")
    expect(tr == [{"event": "trusted", "user": bob, "name": "Bob",
                   "was_held": True}], "trust accepted the key: %r" % tr)
    sent = {r["id"] for r in events(ev, "receipt") if r["state"] == "sent"}
    expect(sent >= {h["id"] for h in held},
           "trust sent both held messages: %r" % ev)
    expect(texts(d, "Bob4") == ["held until trusted", "still held",
                                "group held"],
           "Bob's new device reads all three, in order")
    ev = d.chat("Alice", *hold, "send", BOB, "trusted now")
    expect(events(ev, "held") == [] and
           events(ev, "receipt")[-1]["state"] == "sent",
           "after trust messages flow: %r" % ev)
    print("ok: hold: trust sends what was held, in order")


def group_new_device(d):
    ev = d.chat("Alice", "group", "create", "crew", BOB,
                demo.PEOPLE["Carol"][1])
    expect(events(ev, "group"), "Alice made a group with Bob, Carol: %r" % ev)
    d.send("Alice", "group:crew", "crew one")
    expect(texts(d, "Carol") == ["crew one"], "Carol read the group")
    dev = reinstall(d, "Bob5")
    ev = d.chat("Alice", "send", "group:crew", "crew two")
    ch = events(ev, "identity_changed")
    expect(len(ch) == 1 and ch[0]["device"] == dev,
           "the group send found Bob's new device: %r" % ev)
    expect(events(ev, "receipt")[-1:] and
           events(ev, "receipt")[-1]["state"] == "sent",
           "the group message went out: %r" % ev)
    expect(texts(d, "Bob5") == ["crew two"],
           "Bob's new device reads the group with no direct message")
    expect(texts(d, "Carol") == ["crew two"], "Carol reads it once")
    print("ok: group: a member's new device found and given the key")


def main():
    def steps(d):
        d.send("Alice", BOB, "before")
        expect(texts(d, "Bob") == ["before"], "Bob read the first message")
        continue_policy(d, d.users["Bob"])
        hold_policy(d, d.users["Bob"])
        d.register("Carol")
        group_new_device(d)
    return run(steps)


if __name__ == "__main__":
    sys.exit(main())
