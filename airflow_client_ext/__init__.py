"""airflow-client-ext: one client for Apache Airflow 2 (``/api/v1``) and 3 (``/api/v2``).

The generated clients live in the top-level packages ``airflow_client_ext_v1`` and
``airflow_client_ext_v2``; this package is the handwritten layer on top. Importing it must
stay cheap: nothing here imports a generated module at import time.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
