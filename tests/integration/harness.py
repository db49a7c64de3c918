"""Shared by the Python integration tests: scripts/demo loaded as a module
(its chatd and `chat` helpers; CHAT, CHATD and LC_SOURCE_ROOT come from
meson), and one way to run a test's steps against a fresh server."""
import importlib.machinery
import importlib.util
import os
import sys

_root = os.environ.get("LC_SOURCE_ROOT", ".")
_loader = importlib.machinery.SourceFileLoader(
    "demo", os.path.join(_root, "scripts", "demo"))
demo = importlib.util.module_from_spec(
    importlib.util.spec_from_loader("demo", _loader))
_loader.exec_module(demo)
expect = demo.expect


def run(steps, cls=None, show_log=False):
    """Start chatd on a fresh directory, register Alice and Bob (each a
    contact of the other; d.users maps each name to what register
    returned), then call steps(d). Returns the exit status:
    0 when every check held, 1 after printing the first that did not (and
    with show_log, the end of chatd's log). chatd is always stopped and the
    directory removed."""
    d = (cls or demo.Demo)(os.environ["CHAT"], os.environ["CHATD"])
    try:
        d.start_server()
        d.users = {who: d.register(who) for who in ("Alice", "Bob")}
        d.contact("Alice", "Bob")
        d.contact("Bob", "Alice")
        steps(d)
        return 0
    except demo.StepFailed as e:
        print("FAILED: expected %s" % e)
        if show_log:
            with open(d.log, "rb") as f:
                sys.stdout.write(f.read().decode(errors="replace")[-4000:])
        return 1
    finally:
        d.cleanup()
