"""The complete SQLAlchemy release history: every release of each series a configuration.

Layers, importing one way (the report imports ``listing`` and ``lines`` alone):

- ``listing``: the release list committed in ``sqlalchemy-releases.json`` (pure data);
- ``lines``: the history's configurations grouped into lines, one per series (pure);
- ``refresh``: rewrites that list from PyPI's JSON API (network);
- ``run``: builds one environment per release and runs its backends in it (subprocesses).
"""
