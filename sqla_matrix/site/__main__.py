"""python -m sqla_matrix.site: the weekly site (sqla_matrix/site/weekly.py)."""

import sys

from sqla_matrix.site.weekly import main

sys.exit(main())
