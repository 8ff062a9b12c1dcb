"""What the server-features scenarios say: warnings read right after the statement that
raised them, and prose that names every form SQLAlchemy may render.

A server's warnings are read right after the statement that raised them.

MySQL's RELEASE SAVEPOINT (and any statement but SHOW WARNINGS) resets the
diagnostics area; MariaDB's RELEASE SAVEPOINT keeps it. Read after the release,
a zero date under NO_ZERO_DATE seemed to warn on MariaDB only (issue 35, item 4),
though both servers answer the INSERT itself with warning 1264:
https://dev.mysql.com/doc/refman/8.4/en/show-warnings.html ("the list of messages
is reset for each new statement that uses a table").
"""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table
from sqlalchemy.dialects import mysql

from scenarios.server_features import inserted_row_as
from tests.conftest import all_scenarios, run_alone, server_url

SCENARIOS = {s.id: s for s in all_scenarios()}
TIMESTAMP_SETTINGS = SCENARIOS["server_features.timestamp_settings"]
ON_DUPLICATE_KEY = SCENARIOS["server_features.on_duplicate_key"]


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


def _upsert_sql(row_alias: bool) -> str:
    """The scenario's upsert compiled for the MySQL dialect, with or without the row
    alias SQLAlchemy's dialect chooses from MySQL 8.0.20 on (a flag its initialize()
    sets from the server's version; set here, as no server is reached)."""
    table = Table("upserted", MetaData(), Column("id", Integer, primary_key=True))
    table.append_column(Column("name", String(20)))
    stmt = mysql.insert(table).values(id=1, name="b")
    dialect = mysql.dialect()
    dialect._requires_alias_for_on_duplicate_key = row_alias
    return str(stmt.on_duplicate_key_update(name=stmt.inserted.name).compile(dialect=dialect))


@pytest.mark.parametrize("row_alias", [False, True])
def test_the_upserts_text_names_each_form_sqlalchemy_may_render(row_alias: bool) -> None:
    """report.html shows the scenario's text beside the SQL observed on MySQL 9.7 (a row
    alias) and on MariaDB (VALUES()): the text claims neither alone."""
    form = inserted_row_as(_upsert_sql(row_alias))
    assert form == ("new.name" if row_alias else "VALUES(name)")
    assert form in ON_DUPLICATE_KEY.doc
    assert f"renders {form}" not in ON_DUPLICATE_KEY.doc  # "renders VALUES(name)" was wrong
    assert '"inserted row as"' in ON_DUPLICATE_KEY.doc  # the row that says which, observed
