"""Generated input documents for the conversion tests: PDFs, images and text, good and broken.

Every input is made here from code, so the corpus is reproducible and no binary is committed.
PDFs come from PyMuPDF, images from Pillow (which writes the TIFF compressions, CMYK JPEGs and
bit depths a fax user meets). `page_layout` reads back what a converted page holds.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import pymupdf
from PIL import Image, ImageDraw

LETTER = (612.0, 792.0)
A4 = (595.276, 841.89)
LEGAL = (612.0, 1008.0)


def pdf(
    sizes: Sequence[tuple[float, float]] = (LETTER,),
    *,
    rotations: Sequence[int] = (),
    label: str = "Page",
) -> bytes:
    """A PDF with one page per size, each with a line of text near its top-left corner that
    reads "{label} N" and a frame; page N gets /Rotate rotations[N-1] when given."""
    doc = pymupdf.open()
    for number, (width, height) in enumerate(sizes, start=1):
        page = doc.new_page(width=width, height=height)
        page.insert_text((36, 60), f"{label} {number}", fontsize=20)
        page.draw_rect(pymupdf.Rect(30, 30, width - 30, height - 30), color=(0, 0, 0), width=2)
        if number <= len(rotations) and rotations[number - 1]:
            page.set_rotation(rotations[number - 1])
    data = doc.tobytes()
    doc.close()
    return data


def encrypted_pdf(*, user_pw: str = "", owner_pw: str = "owner", permissions: int = -1) -> bytes:
    doc = pymupdf.open(stream=pdf(label="Secret"), filetype="pdf")
    data = doc.tobytes(
        encryption=pymupdf.PDF_ENCRYPT_AES_256,
        user_pw=user_pw,
        owner_pw=owner_pw,
        permissions=permissions,
    )
    doc.close()
    return data


def image(
    size: tuple[int, int] = (400, 300),
    *,
    mode: str = "RGB",
    format: str = "PNG",
    dpi: tuple[float, float] | None = None,
    **save: object,
) -> bytes:
    """An image of `size` pixels: white with a black frame and a filled box in the corner."""
    picture = Image.new(mode, size, _white(mode))
    draw = ImageDraw.Draw(picture)
    width, height = size
    draw.rectangle((2, 2, width - 3, height - 3), outline=_black(mode), width=3)
    draw.rectangle((10, 10, width // 3, height // 3), fill=_black(mode))
    buffer = io.BytesIO()
    if dpi is not None:
        save["dpi"] = dpi
    picture.save(buffer, format, **save)
    return buffer.getvalue()


def _white(mode: str) -> object:
    return {
        "1": 1,
        "L": 255,
        "I;16": 65535,
        "RGBA": (255, 255, 255, 255),
        "CMYK": (0, 0, 0, 0),
    }.get(mode, (255, 255, 255))


def _black(mode: str) -> object:
    return {"1": 0, "L": 0, "I;16": 0, "RGBA": (0, 0, 0, 255), "CMYK": (0, 0, 0, 255)}.get(
        mode, (0, 0, 0)
    )


def tiff(
    pages: int,
    *,
    size: tuple[int, int] = (1728, 1100),
    compression: str = "group4",
    dpi: tuple[float, float] = (204, 98),
) -> bytes:
    """A bi-level multi-page TIFF as a fax machine writes it."""
    frames = []
    for number in range(pages):
        frame = Image.new("1", size, 1)
        draw = ImageDraw.Draw(frame)
        draw.rectangle((20, 20, size[0] - 21, size[1] - 21), outline=0, width=4)
        draw.rectangle((40, 40, 40 + 60 * (number + 1), 100), fill=0)
        frames.append(frame)
    buffer = io.BytesIO()
    frames[0].save(
        buffer, "TIFF", compression=compression, dpi=dpi, save_all=True, append_images=frames[1:]
    )
    return buffer.getvalue()


def huge_png(width: int, height: int) -> bytes:
    """A white greyscale PNG of `width` x `height` written row by row, never held as pixels."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return len(body).to_bytes(4, "big") + kind + body + crc.to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes((8, 0, 0, 0, 0))
    packer = zlib.compressobj(9)
    row = b"\x00" + b"\xff" * width
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


@dataclass(frozen=True, slots=True)
class PageLayout:
    """What one converted page holds: its size, where its content is, how its text runs."""

    width: float
    height: float
    content: pymupdf.Rect
    text: str
    #: Direction of the first line of text: (1, 0) upright, (0, -1) turned to read upwards.
    direction: tuple[float, float] | None


def page_layout(data: bytes) -> list[PageLayout]:
    layouts = []
    with pymupdf.open(stream=data, filetype="pdf") as doc:
        for page in doc:
            content = pymupdf.Rect()
            for _kind, box in page.get_bboxlog():
                content |= pymupdf.Rect(box)
            direction = None
            for block in page.get_text("dict")["blocks"]:
                if block.get("lines"):
                    direction = tuple(round(v, 3) for v in block["lines"][0]["dir"])
                    break
            layouts.append(
                PageLayout(page.rect.width, page.rect.height, content, page.get_text(), direction)
            )
    return layouts
