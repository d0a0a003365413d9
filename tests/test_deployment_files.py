"""Docker cannot run on these machines, so check the files that describe deployment instead."""
import re
import shlex
from pathlib import Path

import yaml
import pytest

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = {
    "gunicorn": lambda args: (ROOT / "config" / "wsgi.py").exists() and args[1] == "config.wsgi",
    "celery": lambda args: args[1:3] == ["-A", "config"] and (ROOT / "config" / "celery.py").exists(),
    "python": lambda args: args[1] == "manage.py" and (ROOT / "manage.py").exists() or args[1] == "-m",
}


def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_services_the_design_names():
    assert {"web", "worker", "beat", "redis", "postgres"} <= set(compose()["services"])


@pytest.mark.parametrize("name", ["web", "worker", "beat", "migrate"])
def test_every_compose_command_names_something_the_project_has(name):
    service = compose()["services"][name]
    argv = shlex.split(service["command"])
    assert argv[0] in COMMANDS and COMMANDS[argv[0]](argv), argv
    if argv[0] == "python" and argv[1] == "manage.py":
        command = argv[2]
        django_builtin = command in {"migrate", "collectstatic"}
        assert django_builtin or list(ROOT.glob(f"*/management/commands/{command}.py"))
    assert (ROOT / "Dockerfile").exists()


def test_compose_mounts_volumes_for_media_and_mnist():
    app = compose()["services"]["worker"]
    targets = {v.split(":")[1] for v in app["volumes"]}
    assert app["environment"]["MEDIA_ROOT"] in targets
    assert any(app["environment"]["MNIST_DATA_DIR"].startswith(t) for t in targets)


def test_every_procfile_process_starts_a_program_the_environment_has():
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, command = line.split(":", 1)
        program = shlex.split(command)[0]
        assert program in {"python", "gunicorn", "celery"}, (name, program)
        assert re.match(r"^[a-z]+$", name)
