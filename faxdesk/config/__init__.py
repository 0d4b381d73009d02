"""Where FaxDesk keeps things and how it is configured: paths, typed settings, secrets."""
