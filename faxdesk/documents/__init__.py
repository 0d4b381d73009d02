"""Document handling with PyMuPDF: inspect inputs and render pages. The only door to pymupdf,
which its modules take from `engine`, loaded on first use rather than on import."""
