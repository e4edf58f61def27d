"""Leases on generations being built: who builds one, and when another process may take over.

A builder (a `stratlog rebuild`, a projector rebuilding after a version change, a verify)
owns its generation under a name that says where it runs (host:pid:token) and renews a
heartbeat while it works. Another process takes the generation over when the lease is
stale, or at once when the owner ran on the same host and its process is gone (a rerun
after `kill -9` need not wait out the lease). Heartbeats are compared with the reader's
clock: hosts whose clocks disagree by more than the lease would take over too early.
"""

import os
import socket
import uuid
from datetime import datetime, timedelta

LEASE_S = 10.0  # a builder silent this long has lost its generation to whoever wants it


def process_owner() -> str:
    """This process as a lease owner: host:pid:token."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def owner_is_gone(owner: str) -> bool:
    """True when `owner` ran on this host and its process no longer exists."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def lease_is_free(
    holder: str | None, heartbeat: datetime | None, owner: str, now: datetime, lease_s: float
) -> bool:
    """Whether `owner` may take a lease `holder` last renewed at `heartbeat`."""
    if holder is None or holder == owner or owner_is_gone(holder):
        return True
    return heartbeat is None or now - heartbeat > timedelta(seconds=lease_s)
