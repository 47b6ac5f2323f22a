"""ETag / If-Match for claims: the ETag is the claim's version, a counter every write bumps.

A client sends back the ETag it read in `If-Match`; claims.services.claim_update compares it
with the version under a row lock and refuses a stale write with 412. Without If-Match the
write goes through (the browser's hidden version field does the same job there).
"""

from __future__ import annotations

import re

from rest_framework.request import Request

from common.errors import ApplicationError

MSG_BAD_IF_MATCH = 'If-Match must be the ETag you read, such as "3".'
_TAG = re.compile(r'^(?:W/)?"?(\d{1,18})"?$')


def etag_for(version: int) -> str:
    return f'"{version}"'


def if_match_versions(request: Request) -> set[int] | None:
    """The versions If-Match accepts; None when absent or `*` (any version)."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    versions: set[int] = set()
    for tag in header.split(","):
        match = _TAG.match(tag.strip())
        if match is None:
            raise ApplicationError(MSG_BAD_IF_MATCH)
        versions.add(int(match.group(1)))
    return versions


def expected_version(request: Request, current: int) -> int | None:
    """The version to compare-and-set against: the one If-Match names (current if it lists it).

    With several ETags, a list that holds the current version passes; otherwise one of them is
    sent on and the service refuses it as stale.
    """
    versions = if_match_versions(request)
    if versions is None:
        return None
    return current if current in versions else min(versions)
