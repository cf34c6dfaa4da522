"""Admin registrations. Each area's admin lives with its code and is imported here."""

from complaints.notifications import admin as notifications_admin

__all__ = ["notifications_admin"]
