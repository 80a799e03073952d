"""`python -m tito` runs the course tool, like the `tito` command."""

import sys

from tito.cli import main

sys.exit(main())
