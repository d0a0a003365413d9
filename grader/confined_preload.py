"""Imported once by grader.confined's fork server, so that each confined child starts with
the parsers loaded and ready: without this, every child imported them (about 150 ms) and
nbformat built its schema validator on first use (about 30 ms more). The essay readers'
own module (coursework.extract) is small and imported by its children; the libraries it
uses are here.

No Django here: the fork server is a plain interpreter.
"""
import contextlib

with contextlib.suppress(ImportError):  # a parser that is missing fails in the child, with its message
    import docx  # noqa: F401
    import pypdf  # noqa: F401

import nbformat
import nbformat.reader  # noqa: F401

import grader.embedded  # noqa: F401
import grader.notebooks  # noqa: F401

nbformat.validate(nbformat.v4.new_notebook())  # builds and caches the validator
