"""config/monitoring against the real thing: promtool checks and unit-tests the alert rules,
the dashboard asks only for what the site exports, and a real Prometheus scraping a running
stack sees a notebook's grade and beat's sweep arrive."""
import json
import re
import shutil
import subprocess
import time

import pytest
import requests

from coursework.services.metrics import CourseworkCollector, WebCollector
from tests.support.scenarios import TRIVIAL
from tests.support.stack import ROOT, Stack, free_port

MONITORING = ROOT / "config" / "monitoring"
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"


def test_the_alert_rules_are_valid_and_fire_on_the_series_they_are_for():
    checked = subprocess.run([PROMTOOL, "check", "rules", "alerts.yml"], cwd=MONITORING, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = subprocess.run([PROMTOOL, "test", "rules", "alerts_test.yml"], cwd=MONITORING, capture_output=True,
                            text=True)
    assert tested.returncode == 0, tested.stdout + tested.stderr


@pytest.mark.django_db
def test_the_dashboard_and_the_alerts_ask_only_for_metrics_the_site_exports():
    suffixes = {"histogram": ("_bucket", "_sum", "_count"), "counter": ("_total",)}
    exported = {family.name + suffix for collector in (CourseworkCollector(), WebCollector())
                for family in collector.collect() for suffix in suffixes.get(family.type, ("",))} | {"up"}
    dashboard = json.loads((MONITORING / "grafana-dashboard.json").read_text())
    expressions = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    expressions += re.findall(r"expr: (.+)", (MONITORING / "alerts.yml").read_text())
    asked = {name for expr in expressions for name in re.findall(r"\b(coursework_[a-z_]+|up)\b", expr)}
    assert asked and asked <= exported, asked - exported


def query(prometheus: str, expr: str) -> list[dict]:
    answer = requests.get(f"{prometheus}/api/v1/query", params={"query": expr}, timeout=5).json()
    assert answer["status"] == "success", answer
    return answer["data"]["result"]


def wait_for(prometheus: str, expr: str, timeout_s: float = 180) -> list[dict]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            found = query(prometheus, expr)
        except requests.ConnectionError:
            found = []  # Prometheus not listening yet
        if found:
            return found
        time.sleep(1)
    raise AssertionError(f"Prometheus did not see {expr} within {timeout_s:.0f} s")


def test_a_real_prometheus_sees_a_grade_and_the_sweep_arrive(tmp_path, redis_target):
    stack = Stack(tmp_path, redis_target, GRADER_SWEEP_EVERY_S="2")
    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        f"rule_files: [{MONITORING / 'alerts.yml'}]\n"
        "scrape_configs:\n"
        f"  - job_name: coursework\n    static_configs: [{{targets: ['127.0.0.1:{stack.port}']}}]\n")
    prometheus = None
    try:
        stack.start()
        stack.start_beat()
        prometheus = subprocess.Popen(
            [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        wait_for(base, 'up{job="coursework"} == 1', 60)
        assert not query(base, 'coursework_runs_finished_last_hour{status="graded"} > 0')

        stack.submit(1, TRIVIAL)

        graded = wait_for(base, 'coursework_runs_finished_last_hour{status="graded"} > 0')
        assert float(graded[0]["value"][1]) == 1
        assert wait_for(base, 'coursework_heartbeat_age_seconds{name="sweep"} < 60', 60), stack.log("beat")
        assert query(base, 'coursework_oldest_waiting_seconds{phase="queued"} == 0')
        # The web's latency as the dashboard asks for it (Prometheus's own scrapes are requests too).
        assert wait_for(base, 'histogram_quantile(0.95, sum by (le) (rate(coursework_web_request_seconds_bucket[1m])))'
                        ' > 0', 60)
        assert not query(base, 'ALERTS{alertstate="firing"}'), "a healthy stack fires no alert"
    finally:
        if prometheus:
            prometheus.terminate()
            prometheus.wait(15)
        stack.stop()
