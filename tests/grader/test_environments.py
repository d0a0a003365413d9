"""Kernel environments: an assignment names the virtualenv its notebooks run with, and the
sandbox binds that one."""
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from grader import environments
from grader.limits import Limits
from grader.sandbox import KERNEL_MOUNT, bwrap_argv
from tests.support import environments as built
from tests.support.notebooks import notebook

TORCH_VERSION = "import torch\n\ndef predict(images):\n    return [int(torch.tensor(3))] * len(images)"


def _bound_venv(argv: list[str]) -> str:
    return next(argv[i + 1] for i, arg in enumerate(argv) if arg == "--ro-bind" and argv[i + 2] == KERNEL_MOUNT)


def test_the_sandbox_binds_the_environment_in_use_and_numpy_outside_any(settings, tmp_path):
    settings.GRADER_KERNEL_VENV = tmp_path / "numpy-venv"
    settings.GRADER_KERNEL_ENVIRONMENTS = {"numpy": settings.GRADER_KERNEL_VENV, "pytorch": tmp_path / "torch-venv"}
    args = (Path("/tmp/x/input"), {}, Limits.from_settings(), ["true"], 5, 6)
    assert _bound_venv(bwrap_argv(*args)) == str(tmp_path / "numpy-venv")
    with environments.using("pytorch"):
        assert _bound_venv(bwrap_argv(*args)) == str(tmp_path / "torch-venv")
    assert environments.active() == "numpy"


def test_an_unknown_environment_is_refused_by_name():
    with pytest.raises(environments.UnknownEnvironment, match="no kernel environment named 'tensorflow'"):
        with environments.using("tensorflow"):
            pass


def test_the_page_names_each_environments_pinned_libraries():
    assert [name for name, _ in environments.libraries("numpy")] == ["numpy", "matplotlib"]
    torch = dict(environments.libraries("pytorch"))["torch"]
    assert torch and "+" not in torch  # a version as students know it, without the build's local label


def _grade(path, *options):
    out = StringIO()
    call_command("grade_notebook", str(path), "--json", *options, stdout=out)
    return json.loads(out.getvalue())


@built.needs("pytorch")
def test_grade_notebook_runs_torch_only_in_the_pytorch_environment(tmp_path):
    path = tmp_path / "torch.ipynb"
    path.write_bytes(notebook(TORCH_VERSION))
    report = _grade(path, "--environment", "pytorch")
    assert report["status"] == "graded" and report["accuracy"] == 0.101
    report = _grade(path)  # numpy by default, where there is no torch
    assert report["status"] == "failed" and "ModuleNotFoundError" in report["message"]


@pytest.mark.django_db
def test_a_pytorch_assignment_refuses_limits_too_small_for_torchs_address_space():
    from django.core.exceptions import ValidationError

    from tests.factories import make_assignment

    make_assignment(environment="pytorch").clean()  # the default 2,048 MB
    with pytest.raises(ValidationError, match="address_space_mb to 1536 or more"):
        make_assignment(slug="small", environment="pytorch", limits={"memory_mb": 1024}).clean()
    make_assignment(slug="roomy", environment="pytorch", limits={"memory_mb": 1024, "address_space_mb": 1536}).clean()
    make_assignment(slug="numpy", limits={"memory_mb": 512}).clean()
