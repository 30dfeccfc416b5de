"""`python -m tracegrad ...`: the console script without installing."""

import sys

from tracegrad.cli import main

sys.exit(main())
