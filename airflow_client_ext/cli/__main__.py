"""``python -m airflow_client_ext.cli``: the ``airflow-client-ext`` command."""

from __future__ import annotations

from . import main

if __name__ == "__main__":
    main()
