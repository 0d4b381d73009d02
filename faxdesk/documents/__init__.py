"""Document handling with PyMuPDF: inspect inputs and render pages. The only door to pymupdf."""
