"""Refusing oversized uploads while they stream in, with a message the form can show."""
from __future__ import annotations

import functools

from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.views.decorators.csrf import csrf_exempt, csrf_protect


DRAIN_CHUNK = 64 * 1024


class SizeLimitHandler(FileUploadHandler):
    """Stops reading a file past max_bytes (so a 50 MB or 5 GB upload never reaches disk
    whole), records which field overflowed, and discards the rest of the body.

    The rest is read here, a fixed chunk at a time: left to Django, it is read line by
    line, and a body without a line break is one line (a 500 MB one took a web worker to
    1.2 GB). It is read rather than left unread so that the client, still sending, gets
    the form's message instead of a connection reset."""

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
            while self.request.read(DRAIN_CHUNK):
                pass
            raise StopUpload(connection_reset=False)
        return raw_data  # pass the chunk on to the next handler

    def file_complete(self, file_size):
        return None


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
            request.upload_handlers.insert(0, SizeLimitHandler(request, max_bytes_of()))
            return protected(request, *args, **kwargs)

        return wrapper

    return decorator
