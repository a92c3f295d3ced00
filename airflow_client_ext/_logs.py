"""Task logs, read as a stream: a 10 MB log is never held twice, and its tail in 64 KiB.

The generated ``get_log`` methods load the whole answer, and on Airflow 3 parse it into one
pydantic model per line: several copies of a big log at once. The workflows read logs here
instead, straight from the transport (same auth, retries of the request, typed errors):

- Airflow 2 (``/api/v1``): ``Accept: text/plain``; the body is the log.
- Airflow 3 (``/api/v2``): ``Accept: application/x-ndjson``; the server streams one JSON
  document per log line (a structured message, rendered as
  :func:`render_log_message` renders the JSON form's lines;
  a line that is not JSON is kept as it is). A server that answers the JSON form anyway
  (``{"content": [...], "continuation_token": ...}``) is read whole within
  ``max_body_bytes`` and rendered the same way.

The adapters of :mod:`airflow_client_ext._versions` build the request and pass their
renderer of a structured line.

Chunks go to a sink: :class:`_FullText` keeps the bytes once (the text is made at the
end), :class:`_Tail` keeps the last :data:`TAIL_BYTES` only. The body's deadline
(``max_body_seconds``) applies as to any answer; a log has no size limit.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, Protocol

from ._body import BodyTooLarge
from ._http import Request

Render = Callable[[Any], str]

#: what a tail read keeps of a log: ample for its last 40 lines / 4096 characters
TAIL_BYTES = 64 * 1024


class _Sink(Protocol):
    def write(self, data: bytes) -> None: ...
    def text(self) -> str: ...


class _FullText:
    def __init__(self) -> None:
        self._buffer = io.BytesIO()

    def write(self, data: bytes) -> None:
        self._buffer.write(data)

    def text(self) -> str:
        data = self._buffer.getvalue()
        self._buffer = io.BytesIO()
        return data.decode("utf-8", errors="replace")


class _Tail:
    def __init__(self, keep: int = TAIL_BYTES) -> None:
        self._keep = keep
        self._buffer = bytearray()

    def write(self, data: bytes) -> None:
        self._buffer += data
        if len(self._buffer) > 2 * self._keep:
            del self._buffer[: -self._keep]

    def text(self) -> str:
        kept = bytes(self._buffer[-self._keep :])
        return kept.decode("utf-8", errors="replace")


def read_log(client: Any, request: Request, *, render: Render | None, tail: bool = False) -> str:
    """The log that ``request`` asks for, as text (``tail``: only its end, at most
    :data:`TAIL_BYTES`). ``render``: how an Airflow 3 structured line becomes text; None for
    a plain-text endpoint (Airflow 2)."""
    sink: _Sink = _Tail() if tail else _FullText()
    transport = client.transport
    response = transport.send(request, preload_content=False)
    content_type = (response.headers.get("Content-Type") or "").lower()
    chunks = transport.stream_body(request, response)
    if render is not None and "ndjson" in content_type:
        lines: Iterable[bytes] = _lines(chunks)
        if tail:  # render only the lines that can be in the tail
            lines = _last(lines, 4 * TAIL_BYTES)
        for line in lines:
            sink.write(_render_line(line, render))
    elif render is not None and "json" in content_type:
        for item in _json_content(chunks, transport.max_body_bytes, request, transport):
            sink.write(_render(item, render))
    else:
        for chunk in chunks:
            sink.write(chunk)
    return sink.text()


def _lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The lines of a byte stream, across chunk boundaries (a long line grows in place)."""
    rest = bytearray()
    for chunk in chunks:
        cut = chunk.rfind(b"\n")
        if cut < 0:
            rest += chunk
            continue
        rest += chunk[:cut]
        yield from bytes(rest).split(b"\n")
        rest = bytearray(chunk[cut + 1 :])
    if rest:
        yield bytes(rest)


def _last(lines: Iterable[bytes], keep: int) -> deque[bytes]:
    """The last lines of a stream, about ``keep`` bytes of them (a JSON line is longer than
    the text it renders to)."""
    kept: deque[bytes] = deque()
    size = 0
    for line in lines:
        kept.append(line)
        size += len(line)
        while size > keep and len(kept) > 1:
            size -= len(kept.popleft())
    return kept


def _render_line(line: bytes, render: Render) -> bytes:
    if not line.strip():
        return b""
    try:
        doc = json.loads(line)
    except ValueError:
        return line.rstrip(b"\r") + b"\n"
    if isinstance(doc, dict) and "event" not in doc and "content" in doc:
        content = doc["content"]
        items = content if isinstance(content, list) else [content]
        return b"".join(_render(item, render) for item in items)
    return _render(doc, render)


def _render(item: Any, render: Render) -> bytes:
    if isinstance(item, dict):
        item = dict(item)
        stamp = item.get("timestamp")
        if isinstance(stamp, str):  # as the generated model reads it, for the same text
            with contextlib.suppress(ValueError):
                item["timestamp"] = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    text = item if isinstance(item, str) else render(item)
    return (text + "\n").encode("utf-8")


def _json_content(
    chunks: Iterable[bytes], max_bytes: int, request: Request, transport: Any
) -> list[Any]:
    buffer = io.BytesIO()
    for chunk in chunks:
        buffer.write(chunk)
        if buffer.tell() > max_bytes:
            exc = BodyTooLarge(
                f"the log's JSON answer is larger than max_body_bytes={max_bytes}; raise "
                "max_body_bytes, or read the log from the server's log folder",
                value=max_bytes,
                received=buffer.tell(),
            )
            raise transport.body_error(request, exc) from None
    try:
        doc = json.loads(buffer.getvalue())
    except ValueError:
        return [buffer.getvalue().decode("utf-8", errors="replace")]
    content = doc.get("content") if isinstance(doc, dict) else doc
    return content if isinstance(content, list) else [content or ""]


def render_log_message(message: Any) -> str:
    """One line (or a few, for an error) of text from an Airflow 3 structured log message
    (a ``StructuredLogMessage``, a dict of the same shape, or a plain string)."""
    if message is None:
        return ""
    if isinstance(message, str):
        return message
    if isinstance(message, Mapping):
        fields = dict(message)
    else:
        fields = dict(getattr(message, "additional_properties", None) or {})
        fields["event"] = getattr(message, "event", "")
        fields["timestamp"] = getattr(message, "timestamp", None)
    event = str(fields.pop("event", "") or "")
    timestamp = fields.pop("timestamp", None)
    level = fields.pop("level", None)
    logger = fields.pop("logger", None)
    errors = fields.pop("error_detail", None)
    # where the line came from, and the task instance's own identity (the same on every line)
    for noise in (
        "filename", "lineno", "chan", "logger_name",
        "ti_id", "dag_id", "task_id", "run_id", "map_index", "try_number",
    ):  # fmt: skip
        fields.pop(noise, None)
    head = []
    if timestamp:
        stamp = timestamp.isoformat() if isinstance(timestamp, datetime) else str(timestamp)
        head.append(f"[{stamp}]")
    if logger:
        head.append(f"{{{logger}}}")
    if level:
        head.append(str(level).upper())
    line = " ".join(head)
    line = f"{line} - {event}" if line else event
    if fields:
        line += " " + " ".join(f"{k}={_short(v)}" for k, v in fields.items())
    lines = [line]
    for error in errors if isinstance(errors, list) else []:
        if not isinstance(error, Mapping):
            continue
        lines.append("Traceback (most recent call last):")
        for frame in error.get("frames") or []:
            if isinstance(frame, Mapping):
                lines.append(
                    f'  File "{frame.get("filename")}", line {frame.get("lineno")}, '
                    f"in {frame.get('name')}"
                )
        lines.append(f"{error.get('exc_type')}: {error.get('exc_value')}")
    return "\n".join(lines)


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 200 else text[:200] + "..."


__all__ = ["TAIL_BYTES", "read_log", "render_log_message"]
