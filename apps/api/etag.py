"""`ETag` / `If-None-Match` for every GET of the API, done once for all endpoints.

A successful GET gets a strong ETag: a digest of the body it sends. A request whose
`If-None-Match` names that tag (or `*`) gets 304 Not Modified with no body. The digest
costs one SHA-256 of the body, and the handler still runs: the saving is the transfer,
and a client polling a list learns in one round trip that nothing changed.
"""

from __future__ import annotations

import hashlib

from django.http import HttpRequest, HttpResponseBase, HttpResponseNotModified

# Headers a 304 keeps (RFC 9110 §15.4.5), besides our rate-limit and request-id headers.
_KEPT_ON_304 = ("ETag", "Cache-Control", "Vary", "Content-Location", "Date", "Expires")


def etag_for(content: bytes) -> str:
    return '"' + hashlib.sha256(content).hexdigest()[:32] + '"'


def _tags(header: str) -> set[str]:
    tags = set()
    for part in header.split(","):
        tag = part.strip()
        if tag.startswith("W/"):
            tag = tag[2:]  # weak comparison (RFC 9110 §13.1.2)
        if tag:
            tags.add(tag)
    return tags


def etag_apply(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    """Tag a GET's 200 response; answer 304 when the client already has it."""
    if request.method not in ("GET", "HEAD") or response.status_code != 200:
        return response
    if response.streaming or response.has_header("ETag"):
        return response
    tag = etag_for(response.content)  # type: ignore[attr-defined]
    response["ETag"] = tag
    # Per key and program: shared caches must not keep it; clients revalidate each time.
    response["Cache-Control"] = "private, no-cache"
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match and (if_none_match.strip() == "*" or tag in _tags(if_none_match)):
        not_modified = HttpResponseNotModified()
        for name, value in response.items():
            if name in _KEPT_ON_304 or name.lower().startswith(("ratelimit-", "x-request")):
                not_modified[name] = value
        not_modified["ETag"] = tag
        return not_modified
    return response
