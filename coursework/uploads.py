"""Refusing oversized uploads while they stream in, with a message the form can show."""
from __future__ import annotations

import functools

from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.views.decorators.csrf import csrf_exempt, csrf_protect


class SizeLimitHandler(FileUploadHandler):
    """Stops keeping a file past max_bytes (so a 50 MB or 5 GB upload never reaches disk
    whole) and records which field overflowed. Only that file is skipped: the fields after
    it (the other essays' text) still arrive, so nothing the student typed is lost. The
    rest of the body is read rather than left, so that the client, still sending, gets the
    form's message instead of a connection reset."""

    def __init__(self, request, max_bytes: int):
        super().__init__(request)
        self.max_bytes = max_bytes
        self.received = 0
        request.oversized_uploads = {}

    def new_file(self, field_name, file_name, *args, **kwargs):
        super().new_file(field_name, file_name, *args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.max_bytes:
            self.request.oversized_uploads[self.field_name] = self.file_name
            raise SkipFile()
        return raw_data  # pass the chunk on to the next handler

    def file_complete(self, file_size):
        return None


def guard(request, max_bytes: int) -> None:
    """Before the body is read: files past max_bytes are skipped (SizeLimitHandler). Django
    reads a skipped file's rest in its own bounded chunks; it had read what was left after
    a StopUpload line by line, and a body without a line break is one line (a 500 MB one
    took a web worker to 1.2 GB)."""
    request.upload_handlers.insert(0, SizeLimitHandler(request, max_bytes))


def size_label(n: int) -> str:
    return f"{n / 1e6:.0f} MB" if n >= 1_000_000 else f"{n / 1e3:.0f} KB"


def limit_upload_size(max_bytes_of):
    """View decorator: install SizeLimitHandler before the body is parsed.

    CSRF checking reads the body, so the handler must go in first: the view is exempted
    from the middleware and protected here instead, after the handler is in place.
    """

    def decorator(view):
        protected = csrf_protect(view)

        @functools.wraps(view)
        @csrf_exempt
        def wrapper(request, *args, **kwargs):
            guard(request, max_bytes_of())
            return protected(request, *args, **kwargs)

        return wrapper

    return decorator
