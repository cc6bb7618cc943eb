"""Leases: which process works on a render in flight, or resumes a cut-off turn.

Several processes may share one database (PostgreSQL, or one SQLite file). Each render in
flight and each running turn is held by one of them at a time: the row names its
`lease_owner` (a process's `LeaseTerms.owner`), when the lease runs out (`lease_expires`)
and a fence, a counter the store bumps at every claim. The holder renews its leases well
before they run out; every later write it makes of that row names the fence it claimed
with (`Hold`), so a process that was paused past its lease, and lost the row to another,
writes nothing when it wakes. A process that dies stops renewing; once its leases have run
out, another process's periodic scan claims the rows and carries on.

A process that is gone from this very host (same host name and pid namespace, and its pid
no longer runs: a `kill -9`, a crash) need not be waited out: its leases are taken at once
(`owner_is_gone`), so a restart on one machine resumes without delay.

A process also stops acting on a row by itself once its own clock says the lease has run
out without a renewal (`Holdings.valid`): waking from a pause, it checks before it polls
or posts, rather than after.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from dataclasses import dataclass, field

#: How long a lease lasts unless renewed (the `LEASE_SECONDS` setting's default).
DEFAULT_LEASE_SECONDS = 30.0


def _pid_namespace() -> str:
    """Which pids this process sees (Linux: its pid namespace; containers differ)."""
    try:
        return os.readlink("/proc/self/ns/pid").strip("pid:[]")
    except OSError:
        return ""


def new_owner() -> str:
    """This process's name in the `lease_owner` column: host, pid namespace, pid and a
    random part (a restarted process with the same pid is still another owner)."""
    return f"{socket.gethostname()}:{_pid_namespace()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def owner_is_gone(owner: str) -> bool:
    """True for an owner that was a process on this host, in this pid namespace, that no
    longer runs (killed, crashed): its leases need not be waited out. Unknown or remote
    owners, and any doubt, count as alive."""
    host, namespace, pid, _ = ([*owner.split(":"), "", "", ""])[:4]
    if host != socket.gethostname() or not namespace or namespace != _pid_namespace():
        return False
    if not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # it exists, under another user
        return False
    return False


@dataclass(frozen=True, slots=True)
class LeaseTerms:
    """Who this process is, and how long its leases last."""

    seconds: float = DEFAULT_LEASE_SECONDS
    owner: str = field(default_factory=new_owner)

    @property
    def renew_every(self) -> float:
        """Leases are renewed three times per lease, so two missed renewals lose nothing."""
        return self.seconds / 3

    @property
    def scan_every(self) -> float:
        """How often expired leases are looked for: a dead process's work waits at most
        its lease plus this."""
        return self.seconds / 3


@dataclass(frozen=True, slots=True)
class Hold:
    """A lease as claimed: the owner, and the fence every later write must name."""

    owner: str
    fence: int


class Holdings:
    """The leases one process holds of one kind (renders, turns), each with the moment
    (this process's monotonic clock) after which it may no longer count on it."""

    def __init__(self, terms: LeaseTerms) -> None:
        self._terms = terms
        self._held: dict[str, tuple[Hold, float]] = {}

    def add(self, key: str, hold: Hold, granted_at: float) -> None:
        """`granted_at`: the monotonic time just *before* the claim or renewal was asked."""
        self._held[key] = (hold, granted_at + self._terms.seconds)

    def renewed(self, key: str, hold: Hold, granted_at: float) -> None:
        current = self._held.get(key)
        if current is not None and current[0] == hold:
            self._held[key] = (hold, granted_at + self._terms.seconds)

    def get(self, key: str) -> Hold | None:
        current = self._held.get(key)
        return None if current is None else current[0]

    def valid(self, key: str, hold: Hold | None = None) -> bool:
        """Held (with this fence, if given) and not run out by this process's clock."""
        current = self._held.get(key)
        if current is None or (hold is not None and current[0] != hold):
            return False
        return time.monotonic() < current[1]

    def drop(self, key: str, hold: Hold | None = None) -> None:
        """Forget the lease (only if it is still `hold`, when given)."""
        current = self._held.get(key)
        if current is not None and (hold is None or current[0] == hold):
            del self._held[key]

    def items(self) -> list[tuple[str, Hold]]:
        return [(key, hold) for key, (hold, _) in self._held.items()]

    def __contains__(self, key: object) -> bool:
        return key in self._held

    def __len__(self) -> int:
        return len(self._held)
