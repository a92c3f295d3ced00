"""Tests of the harness itself (``airflow_client_ext.testing``) against real Airflow servers.

Run with ``pytest tests/harness`` (add ``--airflow-version 3.3.2`` to restrict the versions).
The session servers come from the plugin's ``airflow_server`` fixture and serve the session
copy of ``tests/dags`` made by tests/conftest.py (shared with the other suites); tests that
start their own ``AirflowServer`` stop it themselves.
"""
