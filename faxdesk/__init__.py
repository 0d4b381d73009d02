"""FaxDesk: a desktop fax console for the Sinch Fax API."""

__version__ = "0.1.0"
