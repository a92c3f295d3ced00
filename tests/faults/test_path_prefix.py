"""Airflow behind a reverse proxy that mounts it under a path prefix (``/airflow``): the
client detects the version there (with or without ``/api/vN`` in the URL), logs in at
``/airflow/auth/token`` on Airflow 3, and lists, triggers and retries under the prefix."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from faultproxy import FaultProxy, Status

from airflow_client_ext import AirflowClient
from airflow_client_ext.errors import ConfigurationError
from airflow_client_ext.testing import AirflowInstance

PREFIX = "/airflow"


@pytest.mark.parametrize("suffix", ["", "/api/vN", "/api/vN/"], ids=["root", "api", "api-slash"])
def test_client_works_behind_a_path_prefix(
    airflow_server: AirflowInstance,
    make_client: Callable[..., AirflowClient],
    runs,
    fault_figures,
    suffix: str,
) -> None:
    api = airflow_server.api_version
    with FaultProxy(airflow_server.url, prefix=PREFIX) as proxy:
        client = make_client(proxy.url + PREFIX + suffix.replace("vN", api))

        assert client.api_version == api
        assert client.server_version == airflow_server.version
        assert client.base_url == proxy.url + PREFIX
        dags = client.api("DAGApi").get_dags(limit=100)
        assert runs.dag_id in {d.dag_id for d in dags.dags}

        # a trigger, through one 503 on the way: retried under the prefix too
        proxy.plan(Status(503), match=f"POST /api/{api}/dags/{runs.dag_id}/dagRuns")
        marker = uuid.uuid4().hex
        run_id = f"faults_prefix_{uuid.uuid4().hex[:12]}"
        run = runs.trigger(client, run_id, {"marker": marker})
        assert run.dag_run_id == run_id
        assert proxy.pending == 0

        log = proxy.log
        assert all(r.path.startswith(PREFIX + "/") for r in log), [r.path for r in log]
        assert not [r for r in log if r.action == "not-found"]
        assert proxy.count("POST", f"{PREFIX}/api/{api}/dags/{runs.dag_id}/dagRuns") == 2
        logins = proxy.count("POST", f"{PREFIX}/auth/token")
        if api == "v2":
            assert logins == 1  # TokenAuth found the token endpoint under the prefix
            assert [r.upstream_status for r in log if r.path == f"{PREFIX}/auth/token"] == [201]
        else:
            assert logins == 0  # Airflow 2: the same credentials go as basic auth
        assert len(log) == client.transport.stats.requests

    assert runs.with_marker(marker) == [run_id]
    fault_figures.add_triggers(airflow_server.version, triggers=1, runs_created=1)


def test_without_the_prefix_detection_says_where_to_look(
    airflow_server: AirflowInstance, make_client: Callable[..., AirflowClient]
) -> None:
    with FaultProxy(airflow_server.url, prefix=PREFIX) as proxy:
        client = make_client(proxy.url)  # the prefix is missing
        with pytest.raises(ConfigurationError) as caught:
            _ = client.api_version
        assert "path prefix" in str(caught.value)
        assert "404" in str(caught.value)
        assert {r.action for r in proxy.log} == {"not-found"}
