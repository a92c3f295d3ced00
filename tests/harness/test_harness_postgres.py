"""The throwaway PostgreSQL of the harness: its own cluster on a loopback port, stopped by
its pid (and gone with its folder) at stop, also when the block raises or the start fails.
Airflow on it is exercised by tests/contract/test_starship.py and test_migrate.py."""

from __future__ import annotations

import os
import socket
import subprocess

import pytest

from airflow_client_ext.testing import AirflowServerError
from airflow_client_ext.testing.postgres import PostgresServer, find_postgres_bin


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def query(server: PostgresServer, sql: str) -> str:
    out = subprocess.run(
        [str(find_postgres_bin() / "psql"), "-h", "127.0.0.1", "-p", str(server.port),
         "-U", server.user, "-d", server.database, "-tAc", sql],
        check=True, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    return out.stdout.strip()


def test_a_cluster_of_its_own_started_and_stopped_by_pid() -> None:
    with PostgresServer() as server:
        pid = server.pid
        assert pid is not None
        assert alive(pid)
        home = server.home
        assert home is not None
        assert home.exists()
        assert query(server, "select current_database()") == "airflow"
        assert server.sqlalchemy_url == (
            f"postgresql+psycopg2://airflow@127.0.0.1:{server.port}/airflow"
        )
        backends = query(server, "select count(*) from pg_stat_activity")
        assert int(backends) >= 1
    assert not alive(pid)
    assert not home.exists()
    server.stop()  # idempotent


def test_stopped_when_the_block_raises() -> None:
    class Boom(Exception):
        pass

    server = PostgresServer()

    def fail_inside() -> None:
        with server:
            raise Boom

    with pytest.raises(Boom):
        fail_inside()
    pid = server.pid
    assert pid is not None
    assert not alive(pid)


def test_a_failed_start_leaves_nothing_behind() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        server = PostgresServer(port=busy.getsockname()[1], startup_timeout=60)
        with pytest.raises(AirflowServerError, match="PostgreSQL"):
            server.start()
    assert server.home is not None
    assert not server.home.exists()
    assert server.pid is None or not alive(server.pid)
