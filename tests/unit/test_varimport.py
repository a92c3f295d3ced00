"""Airflow 2's variables through the webserver's import form (``_varimport``), without a
server: which variables go through it, the posts (creates with ``skip``, updates with
``overwrite``, 500 a post), each item's result from reading the variables back, and every
way the form can fail over to one request each. The fake is ``FakeResources(2)`` with the
webserver's login, form page and import form; tests/contract proves it on real Airflow 2."""

from __future__ import annotations

import io
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import urllib3
from resources_support import FakeResources

from airflow_client_ext import AirflowClient, BasicAuth, BearerAuth
from airflow_client_ext import _varimport as varimport
from airflow_client_ext._config_io import CONFIG_FORMAT
from airflow_client_ext._versions import V1Adapter
from airflow_client_ext._writes import Write
from airflow_client_ext.errors import ConflictError, TransportError

PASSWORD = "pw-varimport-never-shown"
TOKEN = "csrf-token-of-the-form"


class FakeWebserver(FakeResources):
    """Airflow 2.11's API plus its login form, ``/variable/add`` (the CSRF token) and
    ``/variable/varimport``, which stores the file's values as ``Variable.set`` does (no
    description, a whole new row) and redirects to the list whatever happened."""

    def __init__(self) -> None:
        super().__init__(2)
        self.sessions: set[str] = set()
        self.logins = 0
        self.imports: list[tuple[str, dict[str, Any]]] = []
        self.form_page_status = 200
        self.import_status = 302
        self.end_session_at_import = 0  # imports answered with the login redirect first
        self.ignored: set[str] = set()  # keys the import fails to store
        self.lose_import_answer = False

    def request(self, method: str, url: str, body: Any = None, **kw: Any) -> urllib3.HTTPResponse:
        path = urlsplit(url).path
        if path.startswith("/api/"):
            return super().request(method, url, body, **kw)
        self.sent.append(_Sent(method, path))
        cookie = kw.get("headers", {}).get("Cookie", "")
        logged_in = any(f"session={s}" in cookie for s in self.sessions)
        if path == "/login/" and method == "GET":
            return _page(200, f'<input name="csrf_token" value="{TOKEN}">', cookie="pre")
        if path == "/login/":
            form = parse_qs(body)
            assert form["csrf_token"] == [TOKEN]
            if form["password"] != [PASSWORD]:
                return _redirect("/login/")
            self.logins += 1
            session = f"s{self.logins}"
            self.sessions.add(session)
            return _redirect("/home", cookie=session)
        if not logged_in:
            return _redirect("/login/?next=x")
        if path == "/variable/add":
            return _page(self.form_page_status, f'<input name="csrf_token" value="{TOKEN}">')
        if path == "/variable/varimport":
            fields = kw["fields"]
            assert fields["csrf_token"] == TOKEN
            if self.end_session_at_import:
                self.end_session_at_import -= 1
                self.sessions.clear()
                return _redirect("/login/?next=x")
            if self.import_status != 302:  # an error page that echoes the upload
                return _page(self.import_status, "Ooops " + fields["file"][1].decode())
            name, document, content_type = fields["file"]
            assert (name, content_type) == ("variables.json", "application/json")
            values = json.loads(document)
            self.imports.append((fields["action_if_exists"], values))
            for key, value in values.items():
                if key in self.ignored:
                    continue
                if fields["action_if_exists"] == "skip" and key in self.variables:
                    continue
                self.variables[key] = {"key": key, "value": value}  # no description
            if self.lose_import_answer:
                raise urllib3.exceptions.ProtocolError("Connection aborted.")
            return _redirect("/variable/list/")
        return _page(404, "no such page")

    def api_writes(self) -> list[str]:
        return [f"{s.method} {s.path}" for s in self.writes() if s.path.startswith("/api/")]


class _Sent:
    def __init__(self, method: str, path: str) -> None:
        self.method, self.path, self.query, self.body = method, path, {}, None


def _page(status: int, html: str, cookie: str | None = None) -> urllib3.HTTPResponse:
    data = html.encode()
    headers = {"Content-Type": "text/html", "Content-Length": str(len(data))}
    if cookie:
        headers["Set-Cookie"] = f"session={cookie}; Path=/; HttpOnly"
    return urllib3.HTTPResponse(
        body=io.BytesIO(data), status=status, headers=headers, preload_content=False
    )


def _redirect(location: str, cookie: str | None = None) -> urllib3.HTTPResponse:
    response = _page(302, "")
    response.headers["Location"] = location
    if cookie:
        response.headers["Set-Cookie"] = f"session={cookie}; Path=/; HttpOnly"
    return response


def airflow2(fake: FakeWebserver, auth: Any = None) -> tuple[V1Adapter, AirflowClient]:
    client = AirflowClient(
        "http://airflow.test:8080", auth=auth or BasicAuth("admin", PASSWORD), api_version="v1"
    )
    client._info.server_version = fake.version
    client.transport._manager_for = lambda url: fake  # type: ignore[method-assign]
    return V1Adapter(client), client


def creates(count: int, prefix: str = "k") -> list[Write]:
    return [
        Write(f"{prefix}{i:03d}", {"key": f"{prefix}{i:03d}", "value": f"v{i}"})
        for i in range(count)
    ]


def update(key: str, value: str, current: dict[str, Any], fields: tuple[str, ...]) -> Write:
    return Write(key, {"key": key, "value": value, "description": None}, current, fields)


def run(made: V1Adapter, writes: list[Write]) -> dict[int, Any]:
    out: dict[int, Any] = {}
    for results, stop in made.write_items("variable", writes, 4):
        for index, failure in results:
            assert index not in out, "an item has two results"
            out[index] = failure
        if stop is not None:
            out[-1] = stop
    return out


# -- which variables go through the form -----------------------------------------------------
def test_only_a_variable_that_is_to_have_no_description_is_importable() -> None:
    assert varimport.importable(Write("a", {"key": "a", "value": "1"}))
    assert not varimport.importable(Write("a", {"key": "a", "value": "1", "description": "d"}))
    plain = {"key": "a", "value": "0", "description": None}
    described = {"key": "a", "value": "0", "description": "keep me"}
    assert varimport.importable(update("a", "1", plain, ("value",)))
    # the form would drop the description that the update keeps
    assert not varimport.importable(update("a", "1", described, ("value",)))
    # ... unless the update clears it anyway
    assert varimport.importable(update("a", "1", described, ("value", "description")))


# -- the posts --------------------------------------------------------------------------------
def test_many_variables_go_in_a_few_posts_and_each_result_is_read_back() -> None:
    fake = FakeWebserver()
    fake.variables = {
        "u0": {"key": "u0", "value": "old", "description": None},
        "u1": {"key": "u1", "value": "old", "description": "kept"},
    }
    made, client = airflow2(fake)
    writes = creates(1030)
    writes += [update("u0", "new", fake.variables["u0"], ("value",))]
    writes += [update("u1", "new", fake.variables["u1"], ("value",))]  # described: by itself
    writes += [Write("d", {"key": "d", "value": "x", "description": "one by one"})]
    results = run(made, writes)
    assert results == dict.fromkeys(range(len(writes)))
    # creates with skip, 500 a post; the update with overwrite
    assert [(action, len(doc)) for action, doc in fake.imports] == [
        ("skip", 500), ("skip", 500), ("skip", 30), ("overwrite", 1)
    ]  # fmt: skip
    assert fake.logins == 1
    # only the described ones went through the API
    assert fake.api_writes() == ["PATCH /api/v1/variables/u1", "POST /api/v1/variables"]
    assert fake.variables["k1029"]["value"] == "v1029"
    assert fake.variables["u0"]["value"] == "new"
    assert fake.variables["u1"] == {"key": "u1", "value": "new", "description": "kept"}
    assert fake.variables["d"]["description"] == "one by one"
    assert PASSWORD not in repr(client)
    assert PASSWORD not in repr(client.auth)


def test_a_few_variables_go_one_request_each() -> None:
    fake = FakeWebserver()
    made, _ = airflow2(fake)
    writes = creates(varimport.MIN_ITEMS - 1)
    assert run(made, writes) == dict.fromkeys(range(len(writes)))
    assert fake.imports == []
    assert len(fake.api_writes()) == len(writes)


def test_without_a_username_and_password_every_variable_goes_by_itself() -> None:
    fake = FakeWebserver()
    made, _ = airflow2(fake, auth=BearerAuth("a-token"))
    writes = creates(40)
    assert run(made, writes) == dict.fromkeys(range(40))
    assert fake.imports == []
    assert fake.logins == 0
    assert len(fake.api_writes()) == 40


@pytest.mark.parametrize(
    "where",
    ["form page 404", "form page redirects home", "import 403", "import 400 (CSRF)"],
)
def test_a_form_that_is_not_there_for_the_user_means_one_request_each(where: str) -> None:
    fake = FakeWebserver()
    if where == "form page 404":
        fake.form_page_status = 404
    elif where == "form page redirects home":
        fake.form_page_status = 302  # Airflow 2's answer to a user without the permission
    else:
        fake.import_status = 403 if "403" in where else 400
    made, _ = airflow2(fake)
    writes = creates(30)
    assert run(made, writes) == dict.fromkeys(range(30))
    assert fake.imports == []
    assert len(fake.api_writes()) == 30  # each once
    assert [v["value"] for v in fake.variables.values()] == [f"v{i}" for i in range(30)]


def test_what_the_form_did_not_store_is_written_by_itself_with_its_own_error() -> None:
    fake = FakeWebserver()
    fake.ignored = {"k003", "k007"}
    made, _ = airflow2(fake)
    writes = creates(25)
    assert run(made, writes) == dict.fromkeys(range(25))
    assert fake.api_writes() == ["POST /api/v1/variables"] * 2
    assert fake.variables["k007"]["value"] == "v7"


def test_a_variable_that_appeared_meanwhile_is_not_overwritten_by_a_create() -> None:
    fake = FakeWebserver()
    made, _ = airflow2(fake)
    writes = creates(25)
    fake.variables["k004"] = {"key": "k004", "value": "someone else's", "description": None}
    results = run(made, writes)
    assert isinstance(results.pop(4), ConflictError)  # the API's 409, as without the form
    assert results == {i: None for i in range(25) if i != 4}
    assert fake.variables["k004"]["value"] == "someone else's"


def test_a_session_that_ended_logs_in_again_and_posts_once_more() -> None:
    fake = FakeWebserver()
    fake.end_session_at_import = 1
    made, _ = airflow2(fake)
    assert run(made, creates(30)) == dict.fromkeys(range(30))
    assert len(fake.imports) == 1  # the refused post was not carried out
    assert fake.logins == 2
    assert fake.api_writes() == []


def test_a_post_whose_answer_is_lost_is_not_posted_again() -> None:
    fake = FakeWebserver()
    fake.lose_import_answer = True
    made, _ = airflow2(fake)
    results = run(made, creates(30))
    stop = results.pop(-1)
    assert isinstance(stop, TransportError)
    assert "may have reached the server" in str(stop)
    # what the server holds is reported as written; nothing is sent again
    assert results == dict.fromkeys(range(30))
    assert len(fake.imports) == 1
    assert fake.api_writes() == []


def test_import_config_on_airflow_2_reports_each_variable() -> None:
    fake = FakeWebserver()
    fake.variables = {"same": {"key": "same", "value": "1", "description": None}}
    _, client = airflow2(fake)
    variables = [{"key": f"k{i}", "value": str(i)} for i in range(30)]
    variables.append({"key": "same", "value": "1"})
    report = client.import_config({"format": CONFIG_FORMAT, "version": 1, "variables": variables})
    outcomes = {
        item.name: outcome
        for outcome in ("created", "unchanged")
        for item in getattr(report, outcome)
    }
    assert outcomes["same"] == "unchanged"
    assert [outcomes[f"k{i}"] for i in range(30)] == ["created"] * 30
    assert len(fake.imports) == 1
    assert fake.api_writes() == []


def test_a_form_error_page_never_puts_the_values_in_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake = FakeWebserver()
    fake.import_status = 500
    made, _ = airflow2(fake)
    writes = [Write(f"k{i}", {"key": f"k{i}", "value": f"s3cret-{i}"}) for i in range(25)]
    with caplog.at_level("DEBUG", logger="airflow_client_ext"):
        assert run(made, writes) == dict.fromkeys(range(25))
    assert "POST /variable/varimport answered 500" in caplog.text
    assert "s3cret" not in caplog.text
    assert len(fake.api_writes()) == 25


def test_each_posts_results_come_before_the_next_post(monkeypatch: pytest.MonkeyPatch) -> None:
    """An interruption (a crash in what records the results, a Ctrl-C) loses no more than
    the post in flight, and a progress display moves post by post."""
    monkeypatch.setattr(varimport, "ITEMS_PER_POST", 10)
    fake = FakeWebserver()
    made, _ = airflow2(fake)
    seen: list[tuple[int, int]] = []
    for results, stop in made.write_items("variable", creates(25), 4):
        assert stop is None
        seen.append((len(results), len(fake.imports)))
    assert seen == [(10, 1), (10, 2), (5, 3)]
