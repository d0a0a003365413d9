"""Media storage that leaves no half-written file behind when the disk is full."""
import contextlib
import os

from django.core.files.storage import FileSystemStorage


class CleanFileSystemStorage(FileSystemStorage):
    def _save(self, name, content):
        try:
            return super()._save(name, content)
        except OSError:
            # Django writes straight into the final path; a failed write (ENOSPC, EIO)
            # would otherwise leave a truncated file that nothing refers to.
            with contextlib.suppress(OSError):
                os.remove(self.path(name))
            raise
