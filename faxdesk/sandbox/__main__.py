"""`python -m faxdesk.sandbox` runs the sandbox on its own (the same as `faxdesk sandbox`)."""

import sys

from faxdesk.sandbox.server import main

sys.exit(main())
