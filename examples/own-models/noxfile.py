"""The shop's matrix: nox (default cells, then the report), nox -t axes, nox -l."""

import nox
from sqla_matrix.nox import Matrix

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"
nox.options.tags = ["default"]
nox.options.parallel = "auto"  # the cells at once, then the report

Matrix(
    ["sqlite", "postgresql", "mariadb"],
    drivers={"postgresql": ["psycopg", "pg8000"], "mariadb": ["pymysql"]},
    servers={"postgresql": ["15", "17"]},
    # The shop itself, installed in every cell, as the team's own dependencies are.
    install=["-e", "."],
).sessions()
