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


def test_the_compose_worker_lets_bubblewrap_make_its_namespaces_without_privilege():
    """bwrap needs unshare/mount/pivot_root (seccomp), mount (AppArmor) and a fresh /proc
    (Docker's masked /proc paths); the compose file lifts exactly those and says why."""
    worker = compose()["services"]["worker"]
    assert {"seccomp=unconfined", "apparmor=unconfined", "systempaths=unconfined"} <= set(worker["security_opt"])
    assert not worker.get("privileged") and "SYS_ADMIN" not in worker.get("cap_add", [])
    text = (ROOT / "docker-compose.yml").read_text()
    for reason in ("unshare(2)", "denies mount(2)", "fresh /proc"):
        assert reason in text, f"the compose file should say why ({reason})"
    assert "bubblewrap" in (ROOT / "Dockerfile").read_text()


def test_the_web_outweighs_grading_for_the_cpu_as_the_pages_first_rule_says():
    services = compose()["services"]
    assert services["web"]["cpu_shares"] >= 100 * services["worker"]["cpu_shares"]
    assert "pages first" in (ROOT / "docs" / "operations.md").read_text().lower()


def test_the_web_serves_the_application_that_keeps_it_off_gradings_reserved_cores():
    """config.wsgi pins each web process away from the reserved cores (grader/cores.py): the
    floor needs no setting of its own in the Procfile or the compose file, only that both serve it."""
    web = [shlex.split(line.split(":", 1)[1]) for line in (ROOT / "Procfile").read_text().splitlines()
           if line.startswith("web:")] + [shlex.split(compose()["services"]["web"]["command"])]
    assert all(args[:2] == ["gunicorn", "config.wsgi"] and "--preload" not in args for args in web)
    assert "pin_web()" in (ROOT / "config" / "wsgi.py").read_text()


def test_the_upload_pool_serves_the_same_site_from_the_one_config_below_the_pages_and_above_grading():
    """Uploads in a pool of their own (docs/operations.md): what the front sends there is the
    same application and gunicorn config as the pages, at a CPU weight between the two."""
    services = compose()["services"]
    args = shlex.split(services["uploads"]["command"])
    assert args[:2] == ["gunicorn", "config.wsgi"] and args[args.index("-c") + 1] == "config/gunicorn.py"
    assert services["worker"]["cpu_shares"] < services["uploads"]["cpu_shares"] < services["web"]["cpu_shares"]
    assert services["uploads"]["volumes"] == services["web"]["volumes"], "an upload is stored on the media volume"
    assert services["front"]["environment"]["UPLOADS_UPSTREAM"] == "uploads:8000"


def test_web_processes_keep_their_database_connections():
    assert int(compose()["services"]["web"]["environment"]["DB_CONN_MAX_AGE"]) > 0


def _site_url_make_run_gives(**env: str) -> str:
    """SITE_URL as the processes `make run` starts would see it (a rule of our own reads the exported environment)."""
    import os
    import subprocess

    clean = {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "WEB_PORT")}
    out = subprocess.run(["make", "-s", "--no-print-directory", "--eval", "show-site-url: ; @echo $$SITE_URL",
                          "show-site-url"], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_make_run_points_e_mail_links_at_the_port_it_serves_unless_site_url_is_set():
    assert _site_url_make_run_gives() == "http://127.0.0.1:8000"
    assert _site_url_make_run_gives(WEB_PORT="8123") == "http://127.0.0.1:8123"
    assert _site_url_make_run_gives(WEB_PORT="8123", SITE_URL="https://course.example.org") == "https://course.example.org"


def test_only_the_front_is_published_and_it_uses_the_repositorys_nginx_files():
    services = compose()["services"]
    assert "ports" not in services["web"], "gunicorn's sync workers must not face the network"
    front = services["front"]
    assert {"80:80", "443:443"} <= set(front["ports"])
    for volume in front["volumes"]:
        source = volume.split(":")[0]
        if source.startswith("./config/"):
            assert (ROOT / source).is_file(), source
    assert {v.split(":")[0] for v in front["volumes"]} >= {"./config/nginx/coursework.conf.template",
                                                           "./config/nginx/coursework-site.conf"}


def test_every_start_of_the_web_reads_the_one_gunicorn_config_file():
    """The Procfile, the compose file and the test stacks (the benchmarks' too) run the web
    config/gunicorn.py describes, so what is measured is what is served."""
    web = [shlex.split(line.split(":", 1)[1]) for line in (ROOT / "Procfile").read_text().splitlines()
           if line.startswith("web:")] + [shlex.split(compose()["services"]["web"]["command"])]
    assert all(args[args.index("-c") + 1] == "config/gunicorn.py" for args in web if "-c" in args)
    assert all("-c" in args and "--worker-class" not in args and "-k" not in args for args in web)
    assert '"config" / "gunicorn.py"' in (ROOT / "tests" / "support" / "stack.py").read_text()


def test_the_web_runs_threaded_workers_sized_in_the_ranges_gunicorn_documents(monkeypatch):
    """gthread workers (a page runs beside the uploads a worker is taking, not behind them),
    2 per core of the default 2 cores, and 2-4 threads per core in each; a timeout above any
    page's; the confined parser server started before a worker has request threads."""
    import importlib

    monkeypatch.delenv("WEB_WORKERS", raising=False)
    monkeypatch.delenv("WEB_THREADS", raising=False)
    import config.gunicorn as served

    served = importlib.reload(served)
    assert served.worker_class == "gthread"
    assert served.workers == 4 and 2 <= served.threads <= 8
    assert served.timeout == 60 and served.keepalive > 0
    assert "confined.start_server()" in (ROOT / "config" / "gunicorn.py").read_text()
    monkeypatch.setenv("WEB_WORKERS", "6")
    monkeypatch.setenv("WEB_THREADS", "2")
    served = importlib.reload(served)
    assert (served.workers, served.threads) == (6, 2)
