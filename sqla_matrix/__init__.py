"""The harness: which database (``backends``), how a scenario runs and what
it recorded (``scenario``, ``recording``, ``runner``, ``results``), and the
report (``report``). Scenarios and models know nothing of it beyond the
``@scenario`` decorator and the ``Context`` they are handed."""
