"""tap.py - TAP output for Python tests, as tests/tap.sh is for shell ones.

    sys.path.insert(0, <the tests folder>); import tap
    tap.ok(cond, "what a user would check"); tap.skip("what", "why")
    tap.plan()      # at the end: 1..<checks so far>; or tap.plan(N) first
    sys.exit(1 if tap.failed else 0)
"""
import sys

count = 0   # checks printed
failed = 0  # of them, not ok


def ok(cond, what):
    """Prints "ok N - what" or "not ok N - what"; returns cond."""
    global count, failed
    count += 1
    if not cond:
        failed += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", count, what))
    sys.stdout.flush()
    return cond


def skip(what, why):
    """A check that could not run here, and why."""
    global count
    count += 1
    print("ok %d - %s # SKIP %s" % (count, what, why))
    sys.stdout.flush()


def plan(n=None):
    """The plan line: n, or the number of checks printed so far."""
    print("1..%d" % (count if n is None else n))
    sys.stdout.flush()
