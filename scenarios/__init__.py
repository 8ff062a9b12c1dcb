"""Scenarios: one module per topic of the seed notes.

Each module registers its scenarios with ``@scenario``; a scenario observes
what a backend does and returns it, and the harness records the SQL it
caused. Adding a scenario is adding a function (or a module) here.
"""
