"""The one document the harness sends the worker over the result pipe, and how the worker reads it.

    header (one line of JSON, no raw newline in it) b"\\n" blob blob ...

The header is {"result": {...}, "blobs": [[name, length], ...], ...}; the blobs (the
executed notebook, its HTML, the raw prediction bytes) follow in that order, as bytes,
so the worker never parses or base64-decodes megabytes to find a few figures, and stores
the HTML as it came. The harness imports this module from its own directory inside the
sandbox; the worker imports it as grader.harness.payload. Standard library only.

A grading run sends two such documents, one after the other: the result and predictions
as soon as predict has answered (so that the score is stored while the page is drawn), then
the page ({"result": {"render": ...}} and the HTML). `first_length` says where the first
ends, from its header alone, so the worker can act on it while the second is still coming.

Nothing in it is trusted by the worker: `decode` checks every length and type and raises
PayloadError, never anything else, for whatever bytes it is given.
"""
from __future__ import annotations

import json

MAX_HEADER_BYTES = 256 * 1024
BLOB_NAMES = ("notebook", "html", "predictions")


class PayloadError(ValueError):
    """The bytes are not a payload the harness could have written."""


def encode(header: dict, blobs: dict[str, bytes]) -> bytes:
    unknown = set(blobs) - set(BLOB_NAMES)
    if unknown:
        raise ValueError(f"unknown blobs {sorted(unknown)}")
    ordered = [(name, blobs[name]) for name in BLOB_NAMES if name in blobs]
    head = json.dumps({**header, "blobs": [[name, len(data)] for name, data in ordered]}).encode()
    if len(head) > MAX_HEADER_BYTES:
        raise ValueError(f"payload header of {len(head)} bytes")
    return b"".join([head, b"\n", *(data for _, data in ordered)])


def first_length(raw: bytes) -> int | None:
    """The length of the first document in `raw`, read from its header (None while the
    header line is not all there); raises PayloadError if the header is not a payload's."""
    end = raw.find(b"\n", 0, MAX_HEADER_BYTES + 1)
    if end < 0:
        if len(raw) > MAX_HEADER_BYTES:
            raise PayloadError(f"no header line within the first {MAX_HEADER_BYTES} bytes")
        return None
    header = _header(raw[:end])
    total = end + 1
    for entry in header["blobs"]:
        if not (isinstance(entry, list) and len(entry) == 2 and entry[0] in BLOB_NAMES
                and type(entry[1]) is int and 0 <= entry[1] <= MAX_DOCUMENT_BYTES):
            raise PayloadError(f"a malformed blob entry {str(entry)[:100]}")
        total += entry[1]
    return total


# No document is larger (the worker keeps at most this much of the pipe: runner.MAX_PAYLOAD_BYTES).
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024


def _header(line: bytes) -> dict:
    try:
        header = json.loads(line)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise PayloadError(f"the header is not JSON ({str(exc)[:200]})") from None
    if not isinstance(header, dict) or not isinstance(header.get("result"), dict):
        raise PayloadError("the header has no result")
    if not isinstance(header.get("blobs"), list):
        raise PayloadError("the header lists no blobs")
    return header


def decode(raw: bytes) -> tuple[dict, dict[str, bytes]]:
    """Return (header, blobs), or raise PayloadError saying what is wrong."""
    end = raw.find(b"\n", 0, MAX_HEADER_BYTES + 1)
    if end < 0:
        raise PayloadError(f"no header line within the first {MAX_HEADER_BYTES} bytes")
    header = _header(raw[:end])
    listed = header["blobs"]
    blobs: dict[str, bytes] = {}
    offset = end + 1
    for entry in listed:
        if not (isinstance(entry, list) and len(entry) == 2 and entry[0] in BLOB_NAMES and entry[0] not in blobs
                and type(entry[1]) is int and 0 <= entry[1] <= len(raw) - offset):
            raise PayloadError(f"a malformed blob entry {str(entry)[:100]}")
        name, length = entry
        blobs[name] = raw[offset:offset + length]
        offset += length
    if offset != len(raw):
        raise PayloadError(f"{len(raw) - offset} bytes after the last blob")
    return header, blobs
