"""`python -m faxdesk` runs the same entry point as the `faxdesk` command."""

import sys

from faxdesk.cli import main

sys.exit(main())
