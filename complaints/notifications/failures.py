"""How a send failed, and how delivery goes on: the one exception every channel's sender raises."""

from __future__ import annotations

from datetime import datetime


class DeliveryFailed(Exception):
    """A send that did not succeed, and how to go on.

    ``permanent``: dead-letter now. ``skip``: nothing to deliver any more (the row is
    marked skipped, not failed). ``max_attempts``: dead-letter once this many attempts
    were made. ``retry_after``: the receiver's wish, in seconds. ``postpone_until``: not
    an attempt (nothing was sent): wait until then, attempts unchanged.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        skip: bool = False,
        retry_after: float | None = None,
        max_attempts: int | None = None,
        postpone_until: datetime | None = None,
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.skip = skip
        self.retry_after = retry_after
        self.max_attempts = max_attempts
        self.postpone_until = postpone_until

    @property
    def unhealthy(self) -> bool:
        """A sign of a slow, down or overloaded receiver (what the breaker counts)."""
        return not (self.permanent or self.skip or self.postpone_until) and self.max_attempts is None
