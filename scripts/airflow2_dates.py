"""Reference logical dates from Airflow 2's own timetables, for tests/unit/test_backfill.py.

Run it with the Python of an Airflow 2 installation (no server, no database: it builds DAG
objects and asks them for their dates)::

    AIRFLOW_HOME=$(mktemp -d) /path/to/airflow-2.11.2-venv/bin/python scripts/airflow2_dates.py \
        > tests/unit/data/airflow2-backfill-dates.json

For each case it writes the ``schedule_interval`` and ``timezone`` exactly as
``GET /api/v1/dags/{dag_id}/details`` shows them (Airflow's own schemas dump them) and the
``[logical date, data interval end]`` pairs of ``DAG.iter_dagrun_infos_between(start, end)``
(what ``airflow dags backfill -s start -e end`` runs), in UTC. The client computes the same
dates without Airflow (``airflow_client_ext._schedule``); the unit test compares them.
"""

from __future__ import annotations

import datetime as dt
import json
import sys

CASES = [
    # name, schedule, time zone, start, end
    ("daily-utc", "0 0 * * *", "UTC", "2026-01-01T00:00:00+00:00", "2026-01-05T00:00:00+00:00"),
    (
        "daily-utc-unaligned",
        "@daily",
        "UTC",
        "2026-01-01T06:00:00+00:00",
        "2026-01-04T23:59:00+00:00",
    ),
    (
        "daily-amsterdam-spring",
        "@daily",
        "Europe/Amsterdam",
        "2026-03-27T00:00:00+01:00",
        "2026-04-01T00:00:00+02:00",
    ),
    (
        "daily-amsterdam-autumn",
        "0 0 * * *",
        "Europe/Amsterdam",
        "2026-10-23T00:00:00+02:00",
        "2026-10-28T00:00:00+01:00",
    ),
    (
        "0230-new-york-spring",
        "30 2 * * *",
        "America/New_York",
        "2026-03-06T00:00:00-05:00",
        "2026-03-10T23:00:00-04:00",
    ),
    (
        "0130-new-york-autumn",
        "30 1 * * *",
        "America/New_York",
        "2026-10-30T00:00:00-04:00",
        "2026-11-03T00:00:00-05:00",
    ),
    (
        "hourly-amsterdam-autumn",
        "0 * * * *",
        "Europe/Amsterdam",
        "2026-10-24T22:00:00+00:00",
        "2026-10-25T04:00:00+00:00",
    ),
    (
        "hourly-amsterdam-spring",
        "@hourly",
        "Europe/Amsterdam",
        "2026-03-28T22:00:00+00:00",
        "2026-03-29T03:00:00+00:00",
    ),
    (
        "30min-new-york-autumn",
        "*/30 * * * *",
        "America/New_York",
        "2026-11-01T04:00:00+00:00",
        "2026-11-01T08:00:00+00:00",
    ),
    ("weekly-utc", "@weekly", "UTC", "2026-01-01T00:00:00+00:00", "2026-02-01T00:00:00+00:00"),
    (
        "monthly-amsterdam",
        "@monthly",
        "Europe/Amsterdam",
        "2026-01-15T00:00:00+00:00",
        "2026-12-01T00:00:00+00:00",
    ),
    (
        "quarterly-utc",
        "@quarterly",
        "UTC",
        "2025-01-01T00:00:00+00:00",
        "2026-01-01T00:00:00+00:00",
    ),
    ("yearly-utc", "@yearly", "UTC", "2020-06-01T00:00:00+00:00", "2026-01-01T00:00:00+00:00"),
    ("annually-utc", "@annually", "UTC", "2023-01-01T00:00:00+00:00", "2025-01-01T00:00:00+00:00"),
    (
        "weekdays-utc",
        "15 6 * * 1-5",
        "UTC",
        "2026-01-01T00:00:00+00:00",
        "2026-01-14T00:00:00+00:00",
    ),
    (
        "fixed-offset",
        "0 9 * * *",
        "+05:30",
        "2026-01-01T00:00:00+00:00",
        "2026-01-04T00:00:00+00:00",
    ),
    (
        "timedelta-6h",
        "timedelta:21600",
        "UTC",
        "2026-01-01T03:00:00+00:00",
        "2026-01-03T03:00:00+00:00",
    ),
    (
        "relativedelta-1-month",
        "relativedelta:months=1",
        "UTC",
        "2026-01-31T00:00:00+00:00",
        "2026-06-30T00:00:00+00:00",
    ),
]


def main() -> None:
    import pendulum
    from airflow import __version__
    from airflow.api_connexion.schemas.common_schema import ScheduleIntervalSchema
    from airflow.models.dag import DAG
    from airflow.utils.timezone import parse_timezone
    from dateutil.relativedelta import relativedelta

    out = {"airflow": __version__, "cases": []}
    for name, schedule, zone, start, end in CASES:
        tz = pendulum.FixedTimezone(19800) if zone == "+05:30" else parse_timezone(zone)
        arg: object = schedule
        if schedule.startswith("timedelta:"):
            arg = dt.timedelta(seconds=int(schedule.split(":")[1]))
        elif schedule.startswith("relativedelta:"):
            arg = relativedelta(months=1)
        dag = DAG(name, schedule=arg, start_date=pendulum.datetime(2019, 1, 1, tz=tz), catchup=True)
        infos = dag.iter_dagrun_infos_between(pendulum.parse(start), pendulum.parse(end))
        out["cases"].append(
            {
                "name": name,
                "details": {
                    "dag_id": name,
                    "schedule_interval": ScheduleIntervalSchema().dump(dag.schedule_interval),
                    "timezone": str(dag.timezone),
                },
                "start": start,
                "end": end,
                "intervals": [
                    [
                        i.data_interval.start.in_timezone("UTC").isoformat(),
                        i.data_interval.end.in_timezone("UTC").isoformat(),
                    ]
                    for i in infos
                ],
            }
        )
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
