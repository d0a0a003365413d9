"""The text of an uploaded .docx or .pdf essay, read in a confined process.

A 14 KB PDF whose 50 pages share one 2 MB content stream kept pypdf busy for a minute,
and a 59 KB .docx that unpacks to 20 MB of XML made python-docx take 400 MB: both ran in
the web worker. Now the parent checks what it cheaply can (a .docx's zip directory), and
the parsers run under grader.confined's CPU, memory and wall-clock limits. Every way of
failing becomes a message for the student.

No Django here: the confined child imports this module on its own.
"""
from __future__ import annotations

import io
import re
import statistics
import zipfile

from grader import confined
from grader.confined import LimitExceeded, Refused

# A Word essay is a zip of a dozen or two XML parts (a few more with pictures).
DOCX_MAX_ENTRIES = 1_000
# Everything python-docx would unpack. Pictures count here but barely compress.
DOCX_MAX_UNCOMPRESSED = 40 * 1024 * 1024
# What lxml parses: a parsed tree takes about 20 times its XML in memory (20 MB of XML
# took 400 MB), so this keeps the parse well inside the child's memory limit. A long
# essay's document.xml is a few hundred KB.
DOCX_MAX_XML = 10 * 1024 * 1024
# Word's XML deflates about 5 to 20 to one; a zip bomb's parts, about 1,000 to one.
DOCX_MAX_RATIO = 100
# Small parts may compress as well as they like: they cannot grow into anything large.
DOCX_RATIO_APPLIES_ABOVE = 1024 * 1024
PDF_MAX_PAGES = 50

ADVICE = {
    "docx": "open it in Word or LibreOffice and save it again, or upload a PDF.",
    "pdf": "export it again or upload a .docx.",
}
LABEL = {"docx": "a Word document", "pdf": "a PDF"}


def _capital(advice: str) -> str:
    return advice[0].upper() + advice[1:]


def read_document(name: str, kind: str, data: bytes, limits: confined.Limits, max_chars: int) -> tuple[str, int]:
    """(the text, cut to max_chars + 1, and its full length) of a .docx or .pdf, or Refused
    with a message for the student. Runs the parser in a confined child."""
    if kind == "docx":
        check_docx_archive(name, data)
    try:
        text, length = confined.run(f"coursework.extract:{kind}_text", data, limits, name=name, max_chars=max_chars)
    except LimitExceeded as exc:
        if exc.kind == LimitExceeded.TIME:
            raise Refused(f"{name} took too long to read: it may be built to be slow to open; {ADVICE[kind]}") from None
        if exc.kind == LimitExceeded.MEMORY:
            raise Refused(f"{name} needs too much memory to read: it may be built to grow huge when opened; "
                          f"{ADVICE[kind]}") from None
        raise Refused(f"{name} could not be read as {LABEL[kind]} (the reader stopped on it); {ADVICE[kind]}") from None
    return text, length


def check_docx_archive(name: str, data: bytes) -> None:
    """Refuse a .docx whose zip directory promises more than an essay needs, before
    anything is unpacked. zipfile never inflates an entry past its declared size, so the
    declared sizes are a real bound."""
    try:
        entries = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, EOFError, OSError) as exc:
        raise Refused(f"{name} could not be read as a Word document ({type(exc).__name__}); {ADVICE['docx']}") from None
    if len(entries) > DOCX_MAX_ENTRIES:
        raise Refused(f"{name} holds {len(entries):,} files; a Word document holds a few dozen, so it may be built to "
                      f"be slow to open. {_capital(ADVICE['docx'])}")
    total = sum(e.file_size for e in entries)
    if total > DOCX_MAX_UNCOMPRESSED:
        raise Refused(f"{name} unpacks to {total / 1e6:,.0f} MB; at most {DOCX_MAX_UNCOMPRESSED / 1e6:.0f} MB can be "
                      f"read. Remove large pictures or embedded files and save it again, or upload a PDF.")
    xml = sum(e.file_size for e in entries if e.filename.endswith((".xml", ".rels")))
    if xml > DOCX_MAX_XML:
        raise Refused(f"{name} has {xml / 1e6:,.0f} MB of text markup; at most {DOCX_MAX_XML / 1e6:.0f} MB can be "
                      f"read (a long essay has well under 1 MB). {_capital(ADVICE['docx'])}")
    for entry in entries:
        if entry.file_size > DOCX_RATIO_APPLIES_ABOVE and entry.file_size > DOCX_MAX_RATIO * max(entry.compress_size, 1):
            ratio = entry.file_size / max(entry.compress_size, 1)
            raise Refused(f"{name} has a part ({entry.filename}) compressed {ratio:,.0f} to 1; more than "
                          f"{DOCX_MAX_RATIO} to 1 is the mark of a file built to blow up when opened. "
                          f"{_capital(ADVICE['docx'])}")


# --- in the confined child ------------------------------------------------------------

def docx_text(data: bytes, name: str, max_chars: int) -> tuple[str, int]:
    import docx
    from lxml import etree

    try:
        document = docx.Document(io.BytesIO(data))
        text = "\n\n".join(p.text for p in document.paragraphs)
    except MemoryError:
        raise
    except etree.XMLSyntaxError as exc:
        if exc.code == etree.ErrorTypes.ERR_NO_MEMORY:  # libxml2 reports a failed allocation so
            raise MemoryError from None
        if "depth" in str(exc).lower():  # libxml2 stops at 256 levels unless told otherwise
            raise Refused(f"{name} is nested more deeply than a Word document ever is; {ADVICE['docx']}") from None
        raise Refused(f"{name} could not be read as a Word document (XMLSyntaxError); {ADVICE['docx']}") from None
    except Exception as exc:  # python-docx raises many kinds (BadZipFile, KeyError, ValueError...)
        raise Refused(f"{name} could not be read as a Word document ({type(exc).__name__}); {ADVICE['docx']}") from None
    return text[:max_chars + 1], len(text)


def pdf_text(data: bytes, name: str, max_chars: int) -> tuple[str, int]:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise Refused(f"{name} is password-protected; upload an unprotected copy.")
        text = paragraphs([page.extract_text(extraction_mode="layout") or "" for page in reader.pages[:PDF_MAX_PAGES]])
    except (Refused, MemoryError):
        raise
    except Exception as exc:  # pypdf raises PdfReadError and, on mangled files, many others
        raise Refused(f"{name} could not be read as a PDF ({type(exc).__name__}); {ADVICE['pdf']}") from None
    if not text.strip():
        raise Refused(f"{name} has no text we can read (a scanned image?); upload a text-based PDF or a .docx.")
    return text[:max_chars + 1], len(text)


# A line that ends this far short of the page's usual right edge ends its paragraph: a
# paragraph's last line, or a title. A full line falls short by a long word at most.
SHORT_LINE = 0.7
# A line that opens a list item ("- ", "• ", "2. ", "b) ") opens a paragraph of its own.
LIST_ITEM = re.compile(r"(?:[-•*–]|\d{1,2}[.)]|[a-z][)])\s")


def paragraphs(pages: list[str]) -> str:
    """A PDF's text with its paragraphs, from pypdf's layout text (which keeps each line's
    indent and a blank line for each line's height of vertical space): a paragraph ends
    where a line stops short of the right edge, before a gap taller than the page's usual
    line spacing (so double spacing is not taken for paragraphs), before a first line
    indented past the left margin, and before a list item. Lines are joined into one line per paragraph, as a
    .docx's are, with a word broken at a line's end by a hyphen joined again."""
    lines = []  # (text, blank lines before it, indent, right edge)
    for page in pages:
        blanks = None  # above a page's first line: no gap to judge
        for raw in page.splitlines():
            stripped = raw.rstrip()
            if not stripped:
                blanks = None if blanks is None else blanks + 1
                continue
            lines.append((" ".join(stripped.split()), blanks, len(stripped) - len(stripped.lstrip()), len(stripped)))
            blanks = 0
        lines.append(None)  # a page ends a paragraph
    if not any(lines):
        return ""
    written = [line for line in lines if line]
    usual_gap = statistics.mode(gap for _, gap, _, _ in written if gap is not None) if any(
        gap is not None for _, gap, _, _ in written) else 0
    margin = min(indent for _, _, indent, _ in written)
    right = sorted(edge for _, _, _, edge in written)[int(0.9 * (len(written) - 1))]
    out, current, previous = [], [], None
    for line in lines:
        if line is None:
            if current:
                out.append(current)
            current, previous = [], None
            continue
        words, gap, indent, edge = line
        # A first line indented past the margin, unless it carries a list item on (a hanging indent)
        indented = (indent > margin + 1 and previous is not None and previous[2] <= margin + 1
                    and not (current and LIST_ITEM.match(current[0])))
        new = previous is not None and (previous[3] < SHORT_LINE * right or indented or LIST_ITEM.match(words)
                                        or (gap is not None and gap > usual_gap))
        if new and current:
            out.append(current)
            current = []
        current.append(words)
        previous = line
    return "\n\n".join(_joined(paragraph) for paragraph in out)


def _joined(lines: list[str]) -> str:
    text = lines[0]
    for line in lines[1:]:
        # "back-" + "propagation": a word broken at the line's end
        text += line if re.search(r"[^\W\d_]-$", text) and line[:1].islower() else " " + line
    return text
