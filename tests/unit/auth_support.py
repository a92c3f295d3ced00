"""Auth flows driven by hand: canned answers of Airflow 2's webserver login form."""

from __future__ import annotations

from collections.abc import Generator

import urllib3

from airflow_client_ext._http import Request

LOGIN_PAGE = (
    b'<html><form method="post"><input id="csrf_token" name="csrf_token" type="hidden" '
    b'value="tok-123"><input name="username"></form></html>'
)


def page(
    status: int, body: bytes = b"", headers: dict[str, str] | None = None
) -> urllib3.HTTPResponse:
    return urllib3.HTTPResponse(
        body=body, status=status, headers=headers or {}, preload_content=True
    )


def login_answers(cookie: str = "s3cr3t-session") -> list[urllib3.HTTPResponse]:
    return [
        page(200, LOGIN_PAGE, {"Set-Cookie": "session=pre-login; HttpOnly; Path=/"}),
        page(302, b"", {"Location": "/home", "Set-Cookie": f"session={cookie}; HttpOnly; Path=/"}),
    ]


def run(
    flow: Generator[Request, urllib3.BaseHTTPResponse, None],
    answers: list[urllib3.HTTPResponse],
) -> list[Request]:
    sent = []
    request = next(flow)
    while True:
        sent.append(
            Request(
                request.method,
                request.url,
                dict(request.headers),
                request.body,
                follow_redirects=request.follow_redirects,
            )
        )
        try:
            request = flow.send(answers.pop(0))
        except StopIteration:
            return sent
