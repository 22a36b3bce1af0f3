"""`python -m flows` is the `zhnews` command."""

import sys

from flows.cli import main

sys.exit(main())
