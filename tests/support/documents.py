"""Real .docx and .pdf files, made in memory for upload tests."""
from __future__ import annotations

import io


def docx_bytes(text: str) -> bytes:
    import docx

    document = docx.Document()
    for paragraph in text.split("\n\n"):
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def pdf_bytes(text: str, title: str = "", leading: float = 11, paragraph_gap: float = 7, indent: float = 0,
              width: int = 90) -> bytes:
    """A PDF of the text in 9-point Helvetica, as a word processor lays it out: each line
    placed on its own, lines of about `width` characters `leading` points apart, paragraphs
    (split at blank lines) `paragraph_gap` points further apart with their first line
    indented by `indent` points, under an optional 16-point bold title. Pages as needed."""
    placed, y = [], 800.0  # (page, font, size, x, y, line)

    def place(line: str, font: str, size: int, x: float, step: float) -> None:
        nonlocal y
        if y < 60:
            y = 800.0
            placed.append(None)  # a new page
        placed.append((font, size, x, y, line))
        y -= step

    if title:
        place(title, "F2", 16, 40, 16 + 10)
    for paragraph in text.split("\n\n"):
        words, lines, line = paragraph.split(), [], ""
        for word in words:
            if line and len(line) + len(word) > width:
                lines.append(line.rstrip())
                line = ""
            line += word + " "
        if line:
            lines.append(line.rstrip())
        for number, line in enumerate(lines):
            place(line, "F1", 9, 40 + (indent if number == 0 else 0), leading)
        y -= paragraph_gap
    pages, ops = [], []
    for item in placed + [None]:
        if item is None:
            pages.append("\n".join(ops))
            ops = []
            continue
        font, size, x, at, line = item
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(f"BT /{font} {size} Tf 1 0 0 1 {x} {at:.1f} Tm ({escaped}) Tj ET")
    pages = [p for p in pages if p]
    fonts = 3 + 2 * len(pages)
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(len(pages)))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode()]
    for i, content in enumerate(pages):
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 {fonts} 0 R "
                       f"/F2 {fonts + 1} 0 R >> >> /Contents {4 + 2 * i} 0 R >>".encode())
        objects.append(f"<< /Length {len(content)} >>\nstream\n{content}\nendstream".encode("latin-1"))
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold >>")
    return _pdf(objects)


def _pdf(objects: list[bytes]) -> bytes:
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def shared_stream_pdf(pages: int = 50, stream_bytes: int = 2_000_000) -> bytes:
    """The attacker's slow PDF: every page draws the same compressed content stream, so a
    file of a few KB makes a text extractor parse `pages` x `stream_bytes` of operators."""
    import zlib

    operator = b"BT /F1 9 Tf 40 800 Td (slow) Tj ET\n"
    content = zlib.compress(operator * (stream_bytes // len(operator)), 9)
    kids = " ".join(f"{4 + i} 0 R" for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
        f"<< /Length {len(content)} /Filter /FlateDecode >>\nstream\n".encode() + content + b"\nendstream",
    ]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R /Resources << /Font << /F1 "
                + f"{4 + pages} 0 R".encode() + b" >> >> >>"] * pages
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    return _pdf(objects)


def docx_with_document_xml(xml: bytes, compression: int | None = None) -> bytes:
    """A real .docx whose word/document.xml is replaced by `xml` (deflated hard by default,
    as a zip bomb would be)."""
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(docx_bytes("placeholder")))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for item in source.infolist():
            body = xml if item.filename == "word/document.xml" else source.read(item)
            out.writestr(item.filename, body, compress_type=zipfile.ZIP_DEFLATED if compression is None else compression)
    return buffer.getvalue()


W = b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def zip_bomb_docx(xml_bytes: int = 20_000_000) -> bytes:
    """A .docx of a few dozen KB whose document.xml unpacks to `xml_bytes` of paragraphs."""
    paragraph = b"<w:p><w:r><w:t>padding</w:t></w:r></w:p>"
    body = paragraph * (xml_bytes // len(paragraph))
    return docx_with_document_xml(b"<w:document " + W + b"><w:body>" + body + b"</w:body></w:document>")


def deeply_nested_docx(depth: int = 10_000) -> bytes:
    inner = b"<w:sdt><w:sdtContent>" * depth + b"<w:p/>" + b"</w:sdtContent></w:sdt>" * depth
    return docx_with_document_xml(b"<w:document " + W + b"><w:body>" + inner + b"</w:body></w:document>")
