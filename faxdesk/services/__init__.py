"""Application services on asyncio, without Qt: sending, loading, tracking, previews, sandbox."""
