"""Typed errors a use case raises; `http.py` maps each to its status and the contract's error body."""

from __future__ import annotations


class HeyZackError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unauthenticated(HeyZackError):
    status = 401
    code = "unauthenticated"


class Forbidden(HeyZackError):
    status = 403
    code = "forbidden"


class NotFound(HeyZackError):
    status = 404
    code = "not_found"


class Conflict(HeyZackError):
    status = 409
    code = "conflict"


class Invalid(HeyZackError):
    status = 422
    code = "invalid"


class Unavailable(HeyZackError):
    """A dependency does not answer right now; the same request may succeed later."""

    status = 503
    code = "unavailable"
