"""A server's warnings are read right after the statement that raised them.

MySQL's RELEASE SAVEPOINT (and any statement but SHOW WARNINGS) resets the
diagnostics area; MariaDB's RELEASE SAVEPOINT keeps it. Read after the release,
a zero date under NO_ZERO_DATE seemed to warn on MariaDB only (issue 35, item 4),
though both servers answer the INSERT itself with warning 1264:
https://dev.mysql.com/doc/refman/8.4/en/show-warnings.html ("the list of messages
is reset for each new statement that uses a table").
"""

from __future__ import annotations

import pytest

from tests.conftest import all_scenarios, run_alone, server_url

(TIMESTAMP_SETTINGS,) = [s for s in all_scenarios() if s.id == "server_features.timestamp_settings"]


@pytest.mark.parametrize("backend", ["mariadb", "mysql"])
def test_each_show_warnings_follows_the_statement_it_reports_on(
    backend: str, request: pytest.FixtureRequest
) -> None:
    if backend == "mysql":
        request.getfixturevalue("mysql_server")
    server_url(backend)
    cell, _ = run_alone(backend, TIMESTAMP_SETTINGS)
    assert cell["status"] == "pass", cell["error"]
    sql = [statement["sql"] for statement in cell["statements"]]
    shown = [i for i, text in enumerate(sql) if text.upper() == "SHOW WARNINGS"]
    assert shown, sql
    for index in shown:  # nothing between: no RELEASE SAVEPOINT, no ROLLBACK TO SAVEPOINT
        assert sql[index - 1].upper().startswith("INSERT INTO ZERO_DATES"), sql[index - 1 :]
    # Without strict mode the server stores a zero date and says so; the same on both.
    key = "'0000-00-00' into DATETIME, sql_mode='NO_ZERO_DATE'"
    assert cell["observed"][key] == "accepted (warnings 1264)"
