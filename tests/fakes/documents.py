"""Generated input documents for the conversion tests: PDFs, images and text, good and broken.

Every input is made here from code, so the corpus is reproducible and no binary is committed.
PDFs come from PyMuPDF, images from Pillow (which writes the TIFF compressions, CMYK JPEGs and
bit depths a fax user meets). `page_layout` reads back what a converted page holds.
"""

from __future__ import annotations

import io
import struct
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


def broken_xref_pdf(pages: int = 2) -> bytes:
    """A PDF whose cross-reference offset points nowhere, as a bad editor writes it."""
    data = pdf([LETTER] * pages)
    cut = data.rfind(b"startxref")
    return data[:cut] + b"startxref\n999999\n%%EOF\n"


def zero_page_pdf() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj <</Type/Catalog/Pages 2 0 R>> endobj\n"
        b"2 0 obj <</Type/Pages/Kids[]/Count 0>> endobj\n"
        b"trailer <</Root 1 0 R>>\n%%EOF\n"
    )


def _bilevel(size: tuple[int, int]) -> Image.Image:
    picture = Image.new("1", size, 1)
    draw = ImageDraw.Draw(picture)
    draw.rectangle((10, 10, size[0] // 3, size[1] // 3), fill=0)
    return picture


def g4_strip(picture: Image.Image) -> bytes:
    """The picture coded as ITU-T T.6 (Group 4), black runs for black pixels."""
    # libtiff codes a 0 bit as white; Pillow's bi-level images have 0 for black: invert first.
    inverted = picture.convert("L").point(lambda value: 255 - value).convert("1")
    buffer = io.BytesIO()
    inverted.save(buffer, "TIFF", compression="group4", tiffinfo={278: picture.height})
    coded = Image.open(io.BytesIO(buffer.getvalue()))
    offset, length = coded.tag_v2[273][0], coded.tag_v2[279][0]
    return buffer.getvalue()[offset : offset + length]


def _jbig2_segment(number: int, kind: int, body: bytes) -> bytes:
    # Segment header: number, type, no referred-to segments, page 1, data length.
    return number.to_bytes(4, "big") + bytes((kind, 0, 1)) + len(body).to_bytes(4, "big") + body


def jbig2_stream(picture: Image.Image) -> bytes:
    """An embedded JBIG2 stream (as in a PDF) holding the picture as one MMR generic region."""
    width, height = (value.to_bytes(4, "big") for value in picture.size)
    page_information = width + height + bytes(8) + b"\x00" + bytes(2)
    region = width + height + bytes(8) + b"\x00" + b"\x01" + g4_strip(picture)  # MMR coding
    return (
        _jbig2_segment(0, 48, page_information)
        + _jbig2_segment(1, 38, region)
        + _jbig2_segment(2, 49, b"")
    )


def scanned_pdf(coding: str, size: tuple[int, int] = (1700, 2200), dpi: int = 200) -> bytes:
    """A one-page PDF holding a bi-level scan, coded with CCITT Group 4 or JBIG2 as scanners
    write them: a black box in the top-left corner of a white page."""
    picture = _bilevel(size)
    doc = pymupdf.open()
    page = doc.new_page(width=size[0] * 72 / dpi, height=size[1] * 72 / dpi)
    xref = doc.get_new_xref()
    doc.update_object(
        xref,
        f"<</Type/XObject/Subtype/Image/Width {size[0]}/Height {size[1]}"
        "/ColorSpace/DeviceGray/BitsPerComponent 1>>",
    )
    if coding == "ccitt":
        doc.update_stream(xref, g4_strip(picture), compress=False)
        doc.xref_set_key(xref, "Filter", "/CCITTFaxDecode")
        doc.xref_set_key(xref, "DecodeParms", f"<</K -1/Columns {size[0]}/Rows {size[1]}>>")
    else:
        doc.update_stream(xref, jbig2_stream(picture), compress=False)
        doc.xref_set_key(xref, "Filter", "/JBIG2Decode")
    page.insert_image(page.rect, xref=xref)
    data = doc.tobytes()
    doc.close()
    return data


def tiff_claiming(width: int, height: int, *, colour: bool = True) -> bytes:
    """A TIFF whose header claims width x height 8-bit RGB (or grey) pixels, holding a
    kilobyte of them: a reader that believes the header allocates it all before it reads."""
    data = zlib.compress(b"\xff" * 1024)
    samples = 3 if colour else 1
    tags = 11
    ifd_offset = 8
    data_offset = ifd_offset + 2 + tags * 12 + 4
    extra = data_offset + len(data)  # bits per sample, then the resolution
    entries = [
        (256, 4, 1, width),
        (257, 4, 1, height),
        (258, 3, samples, extra if colour else 8),
        (259, 3, 1, 8),  # Deflate
        (262, 3, 1, 2 if colour else 1),
        (273, 4, 1, data_offset),
        (277, 3, 1, samples),
        (278, 4, 1, height),
        (279, 4, 1, len(data)),
        (282, 5, 1, extra + 8),
        (283, 5, 1, extra + 8),
    ]
    assert len(entries) == tags
    ifd = struct.pack("<H", tags)
    ifd += b"".join(struct.pack("<HHII", *entry) for entry in entries) + struct.pack("<I", 0)
    return (
        b"II*\x00"
        + struct.pack("<I", ifd_offset)
        + ifd
        + data
        + struct.pack("<HHHH", 8, 8, 8, 0)
        + struct.pack("<II", 300, 1)
    )


def huge_png(width: int, height: int, *, alpha: bool = False) -> bytes:
    """A white RGB (or RGBA) PNG of width x height pixels (1.2 GB decoded at 20000 x 20000),
    made in well under a second: identical blocks of rows, each deflated from a reset state."""
    rows = 50
    channels = 4 if alpha else 3
    block = (b"\x00" + b"\xff" * (width * channels)) * rows
    packer = zlib.compressobj(9)
    first = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    repeated = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    end = packer.flush()[:-4]  # the Adler-32 it ends with covers two blocks; write the real one
    checksum = 1
    for _ in range(height // rows):
        checksum = zlib.adler32(block, checksum)
    data = first + repeated * (height // rows - 1) + end + checksum.to_bytes(4, "big")
    colour = 6 if alpha else 2
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes((8, colour, 0, 0, 0))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", data)
        + _png_chunk(b"IEND", b"")
    )


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return len(body).to_bytes(4, "big") + kind + body + crc.to_bytes(4, "big")


def plain_cmyk_jpeg(size: tuple[int, int] = (400, 300)) -> bytes:
    """A CMYK JPEG without Adobe's marker, its ink values stored as they are (not inverted)."""
    # Pillow stores CMYK inverted and says so in an Adobe APP14 marker. Inverting the picture
    # first and dropping the marker leaves plain CMYK that reads back as the picture.
    picture = Image.open(io.BytesIO(image(size, mode="CMYK", format="JPEG")))
    inverted = Image.eval(picture, lambda value: 255 - value)
    buffer = io.BytesIO()
    inverted.save(buffer, "JPEG", quality=95)
    data = buffer.getvalue()
    start = data.find(b"\xff\xee")
    assert start > 0, "Pillow wrote no Adobe marker"
    length = int.from_bytes(data[start + 2 : start + 4], "big")
    return data[:start] + data[start + 2 + length :]


def docx(paragraphs: Sequence[str]) -> bytes:
    """A minimal Word (.docx) document with one paragraph per text."""
    import zipfile

    body = "".join(f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>" for text in paragraphs)
    files = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>'
        ),
        "word/document.xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            f"<w:body>{body}</w:body></w:document>"
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def odt(paragraphs: Sequence[str]) -> bytes:
    """A minimal OpenDocument text (.odt) with one paragraph per text."""
    import zipfile

    body = "".join(f"<text:p>{text}</text:p>" for text in paragraphs)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:text>{body}</office:text></office:body>"
        "</office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
        ' manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.text"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        # The mimetype entry comes first and stored, as the format requires.
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def shade(data: bytes, x: float, y: float, page: int = 0) -> int:
    """The grey level (0 black, 255 white) at (x, y), given as fractions of the page content's
    bounding box, of page `page` rendered at 72 dpi."""
    with pymupdf.open(stream=data, filetype="pdf") as doc:
        content = page_layout(data)[page].content
        pixmap = doc[page].get_pixmap(dpi=72, colorspace=pymupdf.csGRAY)
        return pixmap.pixel(
            int(content.x0 + x * content.width), int(content.y0 + y * content.height)
        )[0]


def grey_form_pdf(pages: int = 1, *, grey: float = 0.5, title: str = "Intake form") -> bytes:
    """Letter pages each with a title and a large grey field (`grey`, 0 black to 1 white) in
    the middle: what a halftone must keep grey and a threshold turns black or white."""
    doc = pymupdf.open()
    for _ in range(pages):
        page = doc.new_page(width=612, height=792)
        page.insert_text((72, 120), title, fontsize=28)
        page.draw_rect(pymupdf.Rect(72, 300, 540, 600), color=None, fill=(grey, grey, grey))
    data = doc.tobytes()
    doc.close()
    return data
