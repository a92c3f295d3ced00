"""Exit codes of the ``airflow-client-ext`` command, and the one place errors map to them.

No click or rich here: the mapping is plain Python, tested on its own.
"""

from __future__ import annotations

from enum import IntEnum

from ..errors import (
    AirflowClientError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    DagPausedError,
    DagRunFailedError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
    UnsupportedFeatureError,
    UnsupportedScheduleError,
    WaitTimeoutError,
)


class ExitCode(IntEnum):
    """What a pipeline can branch on."""

    OK = 0
    RUN_FAILED = 1
    USAGE = 2
    AUTH = 3
    NOT_FOUND = 4
    TIMEOUT = 5
    SERVER = 6
    INTERRUPTED = 130


#: The exit codes as ``--help`` and the README list them.
EXIT_CODES_HELP: tuple[tuple[ExitCode, str], ...] = (
    (ExitCode.OK, "success"),
    (ExitCode.RUN_FAILED, "the run failed (its failed tasks and log tails are shown)"),
    (
        ExitCode.USAGE,
        "usage: bad arguments or settings, a request the server rejected or cannot serve",
    ),
    (ExitCode.AUTH, "authentication (or permission) refused"),
    (ExitCode.NOT_FOUND, "not found: no such DAG, run or task"),
    (ExitCode.TIMEOUT, "timeout: the run (or the server) was not done in time"),
    (ExitCode.SERVER, "server or transport error (5xx, no answer, unexpected answer)"),
    (ExitCode.INTERRUPTED, "interrupted (Ctrl-C)"),
)

# Most specific first: the first class that matches wins.
_MAPPING: tuple[tuple[type[BaseException], ExitCode], ...] = (
    (DagRunFailedError, ExitCode.RUN_FAILED),
    (WaitTimeoutError, ExitCode.TIMEOUT),
    (AuthenticationError, ExitCode.AUTH),
    (PermissionDeniedError, ExitCode.AUTH),
    (NotFoundError, ExitCode.NOT_FOUND),
    (BadRequestError, ExitCode.USAGE),
    (InvalidArgumentError, ExitCode.USAGE),
    (DagPausedError, ExitCode.USAGE),
    (UnsupportedScheduleError, ExitCode.USAGE),
    (UnsupportedFeatureError, ExitCode.USAGE),
    (ConflictError, ExitCode.USAGE),
    (ConfigurationError, ExitCode.USAGE),
    (RateLimitError, ExitCode.SERVER),
    (ServerError, ExitCode.SERVER),
    (UnexpectedResponseError, ExitCode.SERVER),
    (TransportError, ExitCode.SERVER),
    (AirflowClientError, ExitCode.SERVER),
    (KeyboardInterrupt, ExitCode.INTERRUPTED),
)


def exit_code_for(exc: BaseException) -> ExitCode:
    """The exit code of an error; anything unexpected counts as a server error (6)."""
    for cls, code in _MAPPING:
        if isinstance(exc, cls):
            return code
    return ExitCode.SERVER


def exit_codes_text() -> str:
    """The exit-code table, one ``code  meaning`` line each (for ``--help``)."""
    return "\n".join(f"{int(code):>3}  {meaning}" for code, meaning in EXIT_CODES_HELP)
