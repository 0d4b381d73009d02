"""`python -m faxdesk` runs the same entry point as the `faxdesk` command."""

import sys

from faxdesk.cli import main

# The guard matters: preview workers are spawned processes that import this module again.
if __name__ == "__main__":
    sys.exit(main())
