"""The Sinch Fax API sandbox: a local emulator the GUI, the CLI and the tests talk to over HTTP.

`app.create_app(SandboxConfig)` builds the Starlette app; `server.run` serves it with uvicorn.
Inside: `guards` bounds every request (body size, trailing slashes, a JSON 500 for any bug),
`faults` makes requests fail on purpose, `wire` and `query` read requests, `service_wire` reads
and writes services and cover pages, `auth` checks Basic credentials and issues OAuth2 tokens,
`intake` turns documents into the fax's PDF, `export` writes the CSV export, `state` keeps it
all in SQLite, `simulator` moves faxes through their lifecycle on the lines `numbers` describes,
`webhooks` delivers FAX_COMPLETED and INCOMING_FAX, `inbound` plans received faxes (`inject` is
its command line), and `testing` starts a sandbox for tests. The package imports only
`faxdesk.core`, `faxdesk.documents`, the standard library, Starlette, uvicorn and httpx (to fetch
`contentUrl` and send webhooks); never the client (`api`), `services`, `store`, `config` or Qt.
This module imports nothing, so importing it is cheap.
"""
