"""Durable local state in SQLite: the fax archive (and later the outbox journal and contacts)."""
