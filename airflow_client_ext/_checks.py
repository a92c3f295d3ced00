"""The checks of every argument, made before anything is sent.

Each check is a small pure function: it returns the value to use (a parsed date, a list of
states, a plain copy of a conf) or raises :class:`~airflow_client_ext.errors.InvalidArgumentError`
(for a client setting: :class:`~airflow_client_ext.errors.InvalidSettingError`, which is
also a ``ConfigurationError``) whose message names the argument, says what it may be and
shows what it got (never a secret)::

    dag_id must be a non-empty string of letters, digits, '_', '.' and '-', at most 250
    characters (Airflow's rule for DAG and task ids); got 'etl/daily' ('/' is not allowed)

Ids are refused only for what cannot work:

- DAG and task ids follow Airflow's own rule (``KEY_REGEX`` ``^[\\w.-]+$``, at most 250
  characters): no DAG or task can have another id, so the server could only answer 404.
- Other ids that go into a URL path (run ids, connection ids, pool names): not empty, no
  leading or trailing whitespace, no control characters, no ``/`` (the generated client
  sends it as ``%2F``, which Airflow's servers decode before routing: the request reaches
  another route or none), and not ``.`` or ``..`` (URL path steps, dropped by urllib3).
  Anything else (``:``, ``+``, ``~``, ``@``, non-ASCII letters) may be in a run id.
- Ids that travel in a body or a query (Starship's routes, import documents) may hold
  ``/`` too.

No click here: the CLI wraps these same checks in click types (``cli/_params.py``).
"""

from __future__ import annotations

import math
import numbers
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta, timezone
from enum import Enum
from typing import Any, NoReturn
from urllib.parse import SplitResult, urlsplit

from .errors import InvalidArgumentError, InvalidSettingError

#: Airflow's rule for DAG and task ids: ``airflow.utils.helpers.KEY_REGEX`` (``\w`` is
#: Unicode-aware there as here) and ``validate_key``'s default ``max_length``.
KEY_PATTERN = re.compile(r"^[\w.-]+$")
KEY_MAX_LENGTH = 250
#: Airflow's default ``[scheduler] allowed_run_id_pattern``: what a trigger may name its run.
RUN_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.~:+-]+$")
#: The states of a DAG run (both majors).
DAG_RUN_STATES = ("queued", "running", "success", "failed")
#: The states of a task instance on Airflow 2 or 3 (``none``: no state yet).
TASK_INSTANCE_STATES = (
    "none",
    "scheduled",
    "queued",
    "running",
    "success",
    "restarting",
    "failed",
    "up_for_retry",
    "up_for_reschedule",
    "upstream_failed",
    "skipped",
    "removed",
    "deferred",
    "awaiting_input",
)
#: Airflow's limit on a DAG run's note.
NOTE_MAX_LENGTH = 1000
#: A header name (RFC 9110 ``token``).
HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_USERINFO = re.compile(r"//[^/?#]*@")
_SHOWN_CHARS = 80


# -- how a value and an error look ------------------------------------------------------------
def shown(value: Any, *, secret: bool = False) -> str:
    """A short, one-line picture of a value for a message (never a secret's text)."""
    if secret:
        if isinstance(value, str):
            return "an empty string" if not value else f"a string of {len(value)} characters"
        return "None" if value is None else f"a {type(value).__name__}"
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return repr(value)
    if isinstance(value, str):
        text = value if len(value) <= _SHOWN_CHARS else value[: _SHOWN_CHARS - 3] + "..."
        return repr(text)
    if isinstance(value, datetime):
        return f"datetime {value.isoformat()}"
    text = repr(value)
    if len(text) > _SHOWN_CHARS:
        text = text[: _SHOWN_CHARS - 3] + "..."
    return f"{type(value).__name__} {text}"


def fail(
    name: str,
    expected: str,
    value: Any,
    why: str = "",
    *,
    setting: bool = False,
    secret: bool = False,
    picture: str | None = None,
) -> NoReturn:
    """Raise the error of argument ``name``: ``<name> must be <expected>; got <value> (why)``."""
    error = InvalidSettingError if setting else InvalidArgumentError
    got = picture if picture is not None else shown(value, secret=secret)
    raise error(
        f"{name} must be {expected}; got {got}" + (f" ({why})" if why else ""), argument=name
    )


#: Unicode's control characters (category Cc, a set that never changes): U+0000-U+001F,
#: U+007F-U+009F
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_KEY = re.compile(r"[\w.-]+")


def _control(text: str) -> str | None:
    """The first control character of ``text``, if any."""
    found = _CONTROL.search(text)
    return found.group() if found is not None else None


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


# -- ids --------------------------------------------------------------------------------------
def _id_problem(value: Any, *, key: bool, path: bool) -> str | None:
    """Why ``value`` cannot be such an id ("" when it is not a non-empty string), or None."""
    if not isinstance(value, str) or not value:
        return ""
    if not value.strip():
        return "only whitespace"
    if value != value.strip():
        return "leading or trailing whitespace"
    control = _control(value)
    if control is not None:
        return f"the control character {control!r}"
    if key:
        if len(value) > KEY_MAX_LENGTH:
            return f"{len(value)} characters"
        if _KEY.fullmatch(value):
            return None
        bad = next((c for c in value if not KEY_PATTERN.match(c)), None)
        return f"{bad!r} is not allowed" if bad is not None else None
    if path and "/" in value:
        return "'/' cannot travel in a URL path: Airflow's servers decode %2F before routing"
    if path and value in (".", ".."):
        return "'.' and '..' are URL path steps, which are dropped"
    return None


def check_id(
    name: str, value: Any, *, key: bool = False, path: bool = True, wildcard: bool = False
) -> str:
    """An id: ``key=True`` for DAG and task ids (Airflow's rule), else the rules of an id
    that goes into a URL path (``path=False``: into a body or a query); ``wildcard=True``
    also takes ``"~"`` (every DAG, every run)."""
    if wildcard and value == "~":
        return "~"
    why = _id_problem(value, key=key, path=path)
    if why is None:
        return str(value)
    if key:
        expected = (
            "a non-empty string of letters, digits, '_', '.' and '-', at most "
            f"{KEY_MAX_LENGTH} characters (Airflow's rule for DAG and task ids)"
        )
    else:
        expected = "a non-empty string without leading/trailing whitespace" + (
            ", control characters or '/'" if path else " or control characters"
        )
    if wildcard:
        expected += ", or '~' for all"
    fail(name, expected, value, why)


def check_dag_id(value: Any, *, wildcard: bool = False, name: str = "dag_id") -> str:
    return check_id(name, value, key=True, wildcard=wildcard)


def check_task_id(value: Any) -> str:
    return check_id("task_id", value, key=True)


def check_run_id(value: Any, *, wildcard: bool = False) -> str:
    """The id of an existing run (any id Airflow made, ``scheduled__...+00:00`` included)."""
    return check_id("run_id", value, wildcard=wildcard)


def check_new_run_id(value: Any) -> str:
    """The id a trigger gives its run: Airflow's default ``allowed_run_id_pattern``, no
    ``..`` (Airflow 3 refuses it)."""
    if isinstance(value, str) and RUN_ID_PATTERN.fullmatch(value) and ".." not in value:
        return value
    why = ""
    if isinstance(value, str) and ".." in value:
        why = "'..' is refused by Airflow 3"
    elif isinstance(value, str) and value:
        bad = next((c for c in value if not RUN_ID_PATTERN.match(c)), None)
        why = f"{bad!r} is not allowed" if bad is not None else ""
    fail(
        "run_id",
        "a non-empty string of letters, digits and '_.~:+-' without '..' (Airflow's default "
        "[scheduler] allowed_run_id_pattern)",
        value,
        why,
    )


def check_ids(name: str, value: Any, *, key: bool = False) -> list[str] | None:
    """None, or a non-empty list of ids (a comma list in one string is split)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",")]
    expected = "None or a non-empty list of ids"
    if isinstance(value, Mapping | bytes) or not isinstance(value, Iterable):
        fail(name, expected, value)
    items = list(value)
    if not items:
        fail(name, expected, value, "an empty list selects nothing: give None for all")
    return [check_id(name, item, key=key) for item in items]


# -- numbers ----------------------------------------------------------------------------------
def check_seconds(
    name: str,
    value: Any,
    *,
    none: str | None = None,
    zero: bool = False,
    setting: bool = False,
) -> float | None:
    """A finite number of seconds, > 0 (``zero=True``: >= 0); no bool, NaN or infinity.
    ``none`` says what None means when None is allowed."""
    if value is None and none is not None:
        return None
    ok = _is_number(value) and math.isfinite(value) and (value >= 0 if zero else value > 0)
    if ok:
        return float(value)
    expected = "a finite number of seconds >= 0" if zero else "a positive, finite number of seconds"
    if none is not None:
        expected += f", or None ({none})"
    fail(name, expected, value, setting=setting)


def check_backoff(
    initial: Any, factor: Any, cap: Any, *, names: Sequence[str] = ("initial", "factor", "cap")
) -> tuple[float, float, float]:
    """Delays that start at ``initial`` seconds and grow by ``factor`` up to ``cap``."""
    first = check_seconds(names[0], initial)
    assert first is not None
    if not (_is_number(factor) and math.isfinite(factor) and factor >= 1):
        fail(names[1], "a finite number >= 1 (the growth of each delay)", factor)
    if not (_is_number(cap) and math.isfinite(cap) and cap >= first):
        fail(names[2], f"a finite number of seconds >= {names[0]} ({first:g})", cap)
    return first, float(factor), float(cap)


def check_int(
    name: str,
    value: Any,
    *,
    minimum: int,
    maximum: int | None = None,
    meaning: str = "",
    none: str | None = None,
    setting: bool = False,
) -> int | None:
    """An integer (no bool, no float) from ``minimum`` to ``maximum``."""
    if value is None and none is not None:
        return None
    if _is_int(value) and minimum <= value and (maximum is None or value <= maximum):
        return int(value)
    expected = (
        f"an integer >= {minimum}" if maximum is None else f"an integer from {minimum} to {maximum}"
    )
    if meaning:
        expected += f" ({meaning})"
    if none is not None:
        expected += f", or None ({none})"
    fail(name, expected, value, setting=setting)


def check_statuses(name: str, value: Any) -> frozenset[int]:
    """A set of HTTP statuses (integers from 100 to 599)."""
    expected = "a set of HTTP statuses (integers from 100 to 599)"
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        fail(name, expected, value, setting=True)
    statuses = list(value)
    for status in statuses:
        if not (_is_int(status) and 100 <= status <= 599):
            fail(name, expected, value, f"{shown(status)} is not one", setting=True)
    return frozenset(int(status) for status in statuses)


def check_try_number(value: Any, *, none: str | None = "the latest try") -> int | None:
    return check_int("try_number", value, minimum=1, meaning="tries count from 1", none=none)


def check_map_index(value: Any) -> int:
    index = check_int("map_index", value, minimum=-1, meaning="-1: a task that is not mapped")
    assert index is not None
    return index


def check_page_size(name: str, value: Any, *, none: str | None = None) -> int | None:
    """Items per page: an integer >= 1."""
    return check_int(name, value, minimum=1, meaning="items per page", none=none)


def check_offset(value: Any, *, none: str | None = None) -> int | None:
    return check_int("offset", value, minimum=0, meaning="items to skip", none=none)


# -- flags, choices, states -------------------------------------------------------------------
def check_flag(name: str, value: Any, *, none: str | None = None, setting: bool = False) -> Any:
    """True or False (``none``: or None, meaning that); a truthy string is not a flag."""
    if isinstance(value, bool) or (value is None and none is not None):
        return value
    expected = "True or False" + (f", or None ({none})" if none is not None else "")
    fail(name, expected, value, setting=setting)


def check_choice(
    name: str,
    value: Any,
    allowed: Sequence[str],
    *,
    none: str | None = None,
    setting: bool = False,
) -> Any:
    """One of ``allowed`` (an ``Enum`` member counts by its value)."""
    if value is None and none is not None:
        return None
    plain = value.value if isinstance(value, Enum) else value
    if isinstance(plain, str) and plain in allowed:
        return plain
    expected = "one of: " + ", ".join(allowed) + (f" (or None: {none})" if none else "")
    fail(name, expected, value, setting=setting)


def check_states(name: str, value: Any, allowed: Sequence[str]) -> list[str] | None:
    """None, a state, or a non-empty list of states, each one of ``allowed``."""
    if value is None:
        return None
    expected = "a state or a non-empty list of states, each one of: " + ", ".join(allowed)
    items: Any = [value] if isinstance(value, str | Enum) else value
    if isinstance(items, Mapping | bytes) or not isinstance(items, Iterable):
        fail(name, expected, value)
    found = []
    for item in items:
        plain = item.value if isinstance(item, Enum) else item
        if not isinstance(plain, str) or plain not in allowed:
            fail(name, expected, value, f"{shown(item)} is not one" if item is not value else "")
        found.append(plain)
    if not found:
        fail(name, expected, value, "an empty list filters nothing: give None for all")
    return found


def check_kinds(name: str, value: Any, kinds: Sequence[str]) -> tuple[str, ...]:
    """A non-empty list of some of ``kinds`` (a comma list in one string is split; ``-`` is
    read as ``_``), in the order of ``kinds``."""
    expected = "a non-empty list of some of: " + ", ".join(kinds)
    items = value
    if isinstance(value, str):
        items = [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(items, Mapping | bytes) or not isinstance(items, Iterable):
        fail(name, expected, value)
    wanted = [item.replace("-", "_") if isinstance(item, str) else item for item in items]
    unknown = [item for item in wanted if item not in kinds]
    if unknown or not wanted:
        why = "unknown: " + ", ".join(shown(u) for u in unknown) if unknown else "none"
        fail(name, expected, value, why)
    return tuple(kind for kind in kinds if kind in wanted)


def check_callable(name: str, value: Any, *, none: str | None = None) -> Any:
    if callable(value) or (value is None and none is not None):
        return value
    fail(name, "a callable" + (f", or None ({none})" if none is not None else ""), value)


def check_instance(
    name: str, value: Any, kind: type, expected: str, *, none: str | None = None, setting: bool
) -> Any:
    if isinstance(value, kind) or (value is None and none is not None):
        return value
    fail(
        name, expected + (f", or None ({none})" if none is not None else ""), value, setting=setting
    )


# -- dates, text, JSON ------------------------------------------------------------------------
def check_aware_datetime(name: str, value: Any, *, none: str | None = None) -> datetime | None:
    """A timezone-aware datetime, from a datetime or an ISO 8601 string (``Z`` is UTC)."""
    if value is None and none is not None:
        return None
    expected = (
        "a timezone-aware datetime or an ISO 8601 string with an offset (e.g. "
        "2026-01-01T00:00:00+00:00)" + (f", or None ({none})" if none is not None else "")
    )
    parsed = value
    if isinstance(value, str):
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(
                text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
            )
        except ValueError:
            fail(name, expected, value, "not an ISO 8601 date")
    if not isinstance(parsed, datetime):
        fail(name, expected, value)
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        fail(
            name,
            expected,
            value,
            "no time zone: pass e.g. datetime(..., tzinfo=timezone.utc), so that Airflow reads "
            "it as meant",
        )
    return parsed


def check_note(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and len(value) <= NOTE_MAX_LENGTH):
        return value
    why = f"{len(value)} characters" if isinstance(value, str) else ""
    fail("note", f"None or a string of at most {NOTE_MAX_LENGTH} characters", value, why)


def check_conf(conf: Any, name: str = "conf") -> dict[str, Any]:
    """The conf to send: a JSON object (a dict with string keys and JSON values); None is
    ``{}``. Returns a plain copy, exactly as the server will see it."""
    import json

    if conf is None:
        return {}
    if not isinstance(conf, Mapping):
        fail(name, "a JSON object (a dict) or None", conf)
    check_json(conf, name)
    copied: dict[str, Any] = json.loads(json.dumps(conf, allow_nan=False))
    return copied


def check_json(value: Any, where: str) -> None:
    """Raise naming the first place of ``value`` that JSON cannot carry."""
    argument = re.split(r"[\[.]", where, maxsplit=1)[0]
    if value is None or isinstance(value, str | bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidArgumentError(
                f"{where} is {value!r}, which JSON cannot carry", argument=argument
            )
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidArgumentError(
                    f"{where} has the key {key!r} ({type(key).__name__}); JSON object keys "
                    "are strings",
                    argument=argument,
                )
            check_json(item, f"{where}[{key!r}]")
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            check_json(item, f"{where}[{index}]")
        return
    hint = " (send it as an ISO string)" if isinstance(value, datetime) else ""
    raise InvalidArgumentError(
        f"{where} is a {type(value).__name__}, which is not JSON-serializable{hint}: "
        f"{value!r:.100}",
        argument=argument,
    )


# -- backfills and run listings -------------------------------------------------------------
#: What a backfill re-runs besides dates without a run (Airflow 3's ``reprocess_behavior``).
REPROCESS_BEHAVIORS = ("none", "failed", "completed")
#: The longest prefix of the run ids a backfill names (a run id holds at most 250 characters).
PREFIX_MAX_LENGTH = 200


def check_run_id_prefix(value: Any, *, none: str | None = None) -> str | None:
    """The prefix of the run ids a backfill names on Airflow 2 (``<prefix><n:07d>_<date>``):
    letters, digits and ``_.~:+-`` (Airflow's default ``allowed_run_id_pattern``), no
    ``..``, at most :data:`PREFIX_MAX_LENGTH` characters, and never the word ``backfill``,
    which Airflow keeps for its own backfill runs."""
    if value is None and none is not None:
        return None
    expected = (
        f"a string of letters, digits and '_.~:+-', at most {PREFIX_MAX_LENGTH} characters, "
        "without '..' or the word 'backfill'" + (f", or None ({none})" if none else "")
    )
    if not isinstance(value, str) or not value:
        fail("prefix", expected, value)
    bad = next((c for c in value if not RUN_ID_PATTERN.match(c)), None)
    if bad is not None:
        fail("prefix", expected, value, f"{bad!r} is not allowed in a run id")
    if ".." in value:
        fail("prefix", expected, value, "'..' is refused by Airflow 3")
    if "backfill" in value.lower():
        fail("prefix", expected, value, "Airflow keeps 'backfill' for its own backfill runs")
    if len(value) > PREFIX_MAX_LENGTH:
        fail("prefix", expected, value, f"{len(value)} characters")
    return value


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _backfill_end(name: str, value: Any, *, end: bool) -> datetime:
    """One end of a backfill range. A day (a ``date``, or ``"2026-03-01"``) is that whole
    day in UTC: ``start`` from its 00:00, ``end`` up to its last microsecond."""
    if isinstance(value, str) and _DAY.fullmatch(value.strip()):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            fail(name, "a real day (YYYY-MM-DD)", value)
    if isinstance(value, date) and not isinstance(value, datetime):
        day = datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
        return day + timedelta(days=1, microseconds=-1) if end else day
    found = check_aware_datetime(name, value)
    assert found is not None
    return found


def check_backfill_range(start: Any, end: Any) -> tuple[datetime, datetime]:
    """The ``start`` and ``end`` of a backfill: aware datetimes, ISO strings with an offset,
    or days (``date`` or ``"YYYY-MM-DD"``: the whole day in UTC); ``start`` not after
    ``end``."""
    first = _backfill_end("start", start, end=False)
    last = _backfill_end("end", end, end=True)
    if first > last:
        fail(
            "end",
            f"at or after start ({first.isoformat()}): both ends are included",
            last,
        )
    return first, last


def check_backfill_id(value: Any) -> int:
    """The id of an Airflow 3 backfill (an integer >= 0, as ``Backfill.id`` holds it)."""
    found = check_int(
        "backfill_id", value, minimum=0, meaning="the id of an Airflow 3 backfill (Backfill.id)"
    )
    assert found is not None
    return found


def check_run_id_filter(name: str, value: Any) -> str | None:
    """A run id (or the start of one) to filter a listing by: None, or a non-empty string
    without leading/trailing whitespace or control characters."""
    return None if value is None else check_id(name, value, path=False)


# -- client settings: URLs, auth, timeouts, files ---------------------------------------------
def check_url(
    name: str,
    value: Any,
    *,
    credentials: bool = False,
    example: str = "http://localhost:8080",
    none: str | None = None,
) -> SplitResult | None:
    """An http(s) URL with a host (and a valid port); no whitespace, query or fragment, and
    no credentials unless ``credentials=True`` (a proxy's). Never shows a password."""
    if value is None and none is not None:
        return None
    expected = f"an http(s) URL with a host, e.g. {example}"
    expected += (
        ", without a query or fragment"
        if credentials
        else (", without credentials, query or fragment")
    )
    if none is not None:
        expected += f", or None ({none})"
    if not isinstance(value, str):
        fail(name, expected, value, setting=True)
    picture = repr(_USERINFO.sub("//***@", value))

    def refuse(why: str = "") -> NoReturn:
        fail(name, expected, value, why, setting=True, picture=picture)

    if not value:
        refuse()
    if any(c.isspace() for c in value) or _control(value) is not None:
        refuse("whitespace or a control character in it")
    if "://" not in value:
        refuse("no scheme: write http:// or https:// before the host")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https"):
        refuse(f"the scheme is {parts.scheme!r}")
    if not parts.hostname:
        refuse("no host")
    try:
        parts.port  # noqa: B018 - parsing it is the check
    except ValueError:
        refuse("the port is not a number from 0 to 65535")
    if not credentials and (parts.username or parts.password):
        refuse(
            "credentials in the URL would end up in logs: pass auth=BasicAuth(...) or "
            "TokenAuth(...) instead"
        )
    if parts.query or parts.fragment or value.endswith(("?", "#")):
        refuse("a query or fragment, which is not part of a base URL")
    return parts


def check_timeout(name: str, value: Any) -> Any:
    """Seconds, a ``(connect, read)`` pair of them, a ``urllib3.Timeout``, or None."""
    import urllib3

    if value is None or isinstance(value, urllib3.Timeout):
        return value
    pair = isinstance(value, tuple) and len(value) == 2
    parts = value if pair else (value,)
    if all(_is_number(v) and math.isfinite(v) and v > 0 for v in parts):
        return value
    fail(
        name,
        "a positive, finite number of seconds, a (connect, read) pair of them, a "
        "urllib3.Timeout, or None (the default: 10 s to connect, 60 s to read)",
        value,
        setting=True,
    )


def check_file(name: str, value: Any, *, none: str | None = None) -> Any:
    """The path of an existing file (str or PathLike)."""
    if value is None and none is not None:
        return None
    expected = "the path of an existing file" + (f", or None ({none})" if none else "")
    if not isinstance(value, str | os.PathLike) or not os.fspath(value):
        fail(name, expected, value, setting=True)
    if not os.path.isfile(value):
        fail(name, expected, value, "no such file", setting=True)
    return value


def check_client_cert(value: Any) -> Any:
    """None, a certificate file, or a ``(cert_file, key_file)`` pair."""
    if isinstance(value, tuple) and len(value) == 2:
        check_file("client_cert", value[0])
        check_file("client_cert", value[1])
        return value
    if value is not None and not isinstance(value, str | os.PathLike):
        fail(
            "client_cert",
            "None, a certificate file, or a (cert_file, key_file) pair",
            value,
            setting=True,
        )
    return check_file("client_cert", value, none="no client certificate")


def check_text(
    name: str,
    value: Any,
    *,
    secret: bool = False,
    header: bool = False,
    token: bool = False,
    no_colon: bool = False,
    none: str | None = None,
    context: str = "",
) -> Any:
    """A non-empty string for a credential or a header, never whitespace alone.

    Never a control character, except in a ``secret`` that is not sent as is (a password);
    ``header=True``: sent as a header's value, so no leading or trailing whitespace either
    (servers strip it); ``token=True``: no whitespace at all (a bearer token);
    ``no_colon``: no ':' (basic auth sends ``user:password``)."""
    if value is None and none is not None:
        return None
    if token:
        expected = "a non-empty string without whitespace or control characters"
    elif header:
        expected = "a non-empty string without control characters or leading/trailing whitespace"
    elif no_colon:
        expected = "a non-empty string without control characters or ':'"
    elif secret:
        expected = "a non-empty string"
    else:
        expected = "a non-empty string without control characters"
    if context:
        expected += f" ({context})"
    if none is not None:
        expected += f", or None ({none})"
    newline = " (a trailing newline from a file?)" if isinstance(value, str) else ""
    why = ""
    if not isinstance(value, str) or not value:
        pass
    elif not value.strip():
        why = "only whitespace"
    elif (token or header or not secret) and _control(value) is not None:
        why = "a control character in it" + (newline if value.endswith("\n") else "")
    elif token and any(c.isspace() for c in value):
        why = "whitespace in it"
    elif header and value != value.strip():
        why = "leading or trailing whitespace"
    elif no_colon and ":" in value:
        why = "':' in it"
    else:
        return value
    fail(name, expected, value, why, setting=True, secret=secret)


def check_feature(name: Any, known: Iterable[str]) -> str:
    """A name of the features table."""
    table = sorted(known)
    if isinstance(name, str) and name in table:
        return name
    raise InvalidArgumentError(
        f"unknown feature {name!r}: feature must be one of the table's names: " + ", ".join(table),
        argument="feature",
    )


def requirement(error: InvalidArgumentError) -> str:
    """``must be ...; got ...`` from an error of these checks (the whole message otherwise)."""
    message = str(error)
    prefix = f"{error.argument} " if error.argument else ""
    return message[len(prefix) :] if prefix and message.startswith(prefix) else message


__all__ = [
    "DAG_RUN_STATES",
    "KEY_MAX_LENGTH",
    "KEY_PATTERN",
    "NOTE_MAX_LENGTH",
    "PREFIX_MAX_LENGTH",
    "REPROCESS_BEHAVIORS",
    "RUN_ID_PATTERN",
    "TASK_INSTANCE_STATES",
    "check_aware_datetime",
    "check_backfill_id",
    "check_backfill_range",
    "check_backoff",
    "check_callable",
    "check_choice",
    "check_client_cert",
    "check_conf",
    "check_dag_id",
    "check_feature",
    "check_file",
    "check_flag",
    "check_id",
    "check_ids",
    "check_instance",
    "check_int",
    "check_json",
    "check_kinds",
    "check_map_index",
    "check_new_run_id",
    "check_note",
    "check_offset",
    "check_page_size",
    "check_run_id",
    "check_run_id_filter",
    "check_run_id_prefix",
    "check_seconds",
    "check_states",
    "check_statuses",
    "check_task_id",
    "check_text",
    "check_timeout",
    "check_try_number",
    "check_url",
    "fail",
    "requirement",
    "shown",
]
