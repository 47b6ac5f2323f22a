"""The one application error type. Services raise it; the API maps it to HTTP once
(`common.api.exception_handler`), the browser views show its message."""

from __future__ import annotations


class ApplicationError(Exception):
    """A failure the user can understand and act on. `status` is the HTTP status it maps to."""

    status = 400

    def __init__(self, message: str, *, extra: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


class NotFound(ApplicationError):
    status = 404


class PermissionDenied(ApplicationError):
    status = 403


class Conflict(ApplicationError):
    """The request clashes with existing data (a duplicate article, a decided candidate)."""

    status = 409


class TooLarge(ApplicationError):
    """An upload past a size or count limit."""

    status = 413


class PreconditionFailed(ApplicationError):
    """A stale write: the object changed since the client read it (If-Match mismatch)."""

    status = 412
