"""Leases: which process works on a render in flight, or resumes a cut-off turn.

Several processes may share one database (PostgreSQL, or one SQLite file). Each render in
flight and each running turn is held by one of them at a time: the row names its
`lease_owner` (a process's `LeaseTerms.owner`), when the lease runs out (`lease_expires`)
and a fence, a counter the store bumps at every claim. The holder renews its leases well
before they run out; every later write it makes of that row names the fence it claimed
with (`Hold`), so a process that was paused past its lease, and lost the row to another,
writes nothing when it wakes. A process that dies stops renewing; once its leases have run
out, another process's periodic scan claims the rows and carries on.

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


def new_owner() -> str:
    """This process's name in the `lease_owner` column: host, pid and a random part (a
    restarted process with the same pid is still another owner)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


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
