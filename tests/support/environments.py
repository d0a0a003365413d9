"""Kernel environments in tests: which are built here, and a skip for those that are not.

`make test` (and so CI) builds every environment (Makefile, `test: install-pytorch`); a
developer who ran only `make install` has the numpy one, and tests of the others say why
they did not run instead of failing."""
import pytest
from django.conf import settings

from grader import environments


def built(name: str) -> bool:
    return environments.is_built(name)


def needs(name: str):
    """A mark that skips a test when the kernel environment `name` is not built."""
    return pytest.mark.skipif(not built(name), reason=(
        f"the {name} kernel environment is not built ({settings.GRADER_KERNEL_ENVIRONMENTS[name]}); "
        f"`{environments.BUILD.get(name, 'make install')}` builds it, and `make test` does"))


def each(*names: str) -> list:
    """pytest.param per environment, each skipped when not built: parametrize a test over them."""
    return [pytest.param(name, id=name, marks=needs(name)) for name in names]


BOTH = ("numpy", "pytorch")
FLOOR_MB = environments.ADDRESS_SPACE_FLOOR_MB["pytorch"]
