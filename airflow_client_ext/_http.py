"""Small HTTP pieces shared by the transport and the auth flows: the request the flows see,
URL redaction, and reading an error body."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

#: Headers whose values are secrets: never logged, never shown, dropped on a cross-host
#: redirect. Auth objects add their own (for example a custom API-key header).
SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})

_SECRET_QUERY = re.compile(r"pass|secret|token|key|auth|sig|credential", re.IGNORECASE)
REDACTED = "***"


@dataclass
class Request:
    """One HTTP request as the auth flows see it; they may change its headers."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | str | None = None
    fields: Any = None
    encode_multipart: bool = True
    #: False: a 3xx is handed back as is (an auth flow that reads a login redirect)
    follow_redirects: bool = True
    #: True: a 3xx (not followed) is the answer, as a 2xx is: a web form's post, which
    #: redirects to a page once it is done
    redirect_is_answer: bool = False


def _safe_query(query: str) -> str:
    pairs = [(k, REDACTED if _SECRET_QUERY.search(k) else v) for k, v in parse_qsl(query)]
    return urlencode(pairs, safe="*")


def safe_path(url: str) -> str:
    """``/api/v2/dags?limit=5`` from a URL: no scheme, host or credentials; secrets masked."""
    parts = urlsplit(url)
    query = _safe_query(parts.query)
    return parts.path + (f"?{query}" if query else "")


def safe_url(url: str) -> str:
    """The URL without user info and with secret query values masked."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, _safe_query(parts.query), ""))


def redact_headers(headers: dict[str, str], sensitive: frozenset[str]) -> dict[str, str]:
    return {k: (REDACTED if k.lower() in sensitive else v) for k, v in headers.items()}


def secret_pattern(secret: str) -> re.Pattern[str]:
    """Where ``secret`` stands as a value: not inside a longer word.

    An edge of the secret that is a letter or digit must not touch another letter or digit:
    with the password ``admin``, ``user admin:`` is masked but ``administrator`` is left
    alone. An edge that is punctuation (``p@ss!``) needs no such guard. The testing plugin's
    secrets guard looks for leaks with the same rule, so what is masked and what counts as a
    leak never disagree.
    """
    head = r"(?<![0-9A-Za-z])" if secret[:1].isalnum() else ""
    tail = r"(?![0-9A-Za-z])" if secret[-1:].isalnum() else ""
    return re.compile(head + re.escape(secret) + tail)


def redact_text(text: str, secrets: list[str]) -> str:
    """``text`` with each secret masked as ``***`` where it stands as a value."""
    # a plain substring test first: a migration masks with thousands of secrets (every
    # variable value), and compiling a pattern for each, per text, made it quadratic
    for secret in sorted({s for s in secrets if s and s in text}, key=len, reverse=True):
        text = secret_pattern(secret).sub(REDACTED, text)
    return text


@dataclass(frozen=True)
class Problem:
    """What an error body says: RFC 7807 members, FastAPI's ``detail``, or an excerpt."""

    title: str | None
    detail: Any
    type: str | None
    excerpt: str
    is_json: bool


def read_problem(body: bytes, content_type: str, limit: int) -> Problem:
    text = body.decode("utf-8", errors="replace")
    excerpt = " ".join(text.split())
    if len(excerpt) > limit:
        excerpt = excerpt[:limit] + f"... ({len(text)} characters)"
    doc: Any = None
    if "json" in content_type.lower() or text.lstrip().startswith(("{", "[")):
        try:
            doc = json.loads(text)
        except ValueError:
            doc = None
    if not isinstance(doc, dict):
        return Problem(None, None, None, excerpt, is_json=doc is not None)
    title = doc.get("title")
    return Problem(
        title=str(title) if title is not None else None,
        detail=doc.get("detail", doc.get("error")),
        type=str(doc["type"]) if doc.get("type") is not None else None,
        excerpt=excerpt,
        is_json=True,
    )


def describe_detail(detail: Any) -> str:
    """A one-line reading of a ``detail`` member (FastAPI validation lists included)."""
    if detail is None:
        return ""
    if isinstance(detail, list):
        parts = []
        for item in detail[:5]:
            if isinstance(item, dict):
                loc = ".".join(str(p) for p in item.get("loc", []))
                parts.append(f"{loc}: {item.get('msg', item)}" if loc else str(item.get("msg")))
            else:
                parts.append(str(item))
        more = f" (+{len(detail) - 5} more)" if len(detail) > 5 else ""
        return "; ".join(parts) + more
    if isinstance(detail, dict):
        return json.dumps(detail, sort_keys=True)[:300]
    return str(detail)
