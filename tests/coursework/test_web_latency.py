"""/metrics: how long the web takes to answer, by view, right across gunicorn's processes
(one aggregate in the shared Redis: coursework/services/metrics.py)."""
import re

import pytest
import requests
from django.http import HttpResponse
from django.test import RequestFactory

from coursework.services import metrics
from tests.support.stack import Stack


def families(text: str) -> dict[str, float]:
    figures = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            figures[name] = float(value)
    return figures


def count(figures: dict[str, float], view: str) -> float:
    return figures.get(f'coursework_web_request_seconds_count{{view="{view}"}}', 0.0)


@pytest.fixture
def local_store(monkeypatch):
    """The aggregate in this process (as without a Redis), empty."""
    store = metrics._Store()
    monkeypatch.setattr(store, "_client", lambda: (None, None))
    monkeypatch.setattr(metrics, "store", store)
    return store


def test_each_request_lands_in_its_latency_bucket_and_its_status_class(local_store):
    request = RequestFactory().get("/somewhere")
    for status in (200, 200, 503):
        metrics.LatencyMiddleware(lambda r, status=status: HttpResponse(status=status))(request)
    local_store.record("student:home", 0.3, "2xx")  # between the 0.25 and 0.5 buckets
    figures = {}
    for family in metrics.WebCollector().collect():
        for sample in family.samples:
            figures[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    bucket = lambda view, le: figures[("coursework_web_request_seconds_bucket", (("le", le), ("view", view)))]  # noqa: E731
    assert bucket("unmatched", "+Inf") == 3 and bucket("student:home", "0.25") == 0
    assert bucket("student:home", "0.5") == bucket("student:home", "+Inf") == 1
    assert figures[("coursework_web_request_seconds_sum", (("view", "student:home"),))] == pytest.approx(0.3)
    assert figures[("coursework_web_responses_total", (("status", "5xx"), ("view", "unmatched")))] == 1
    assert figures[("coursework_web_responses_total", (("status", "2xx"), ("view", "unmatched")))] == 2


def test_a_middleware_whose_store_fails_still_serves_the_page(monkeypatch):
    def broken(*args):
        raise RuntimeError("store gone")

    monkeypatch.setattr(metrics.store, "record", broken)
    response = metrics.LatencyMiddleware(lambda r: HttpResponse("page"))(RequestFactory().get("/"))
    assert response.content == b"page"


def test_every_gunicorn_process_counts_into_one_figure_that_every_scrape_reports(tmp_path, redis_target):
    stack = Stack(tmp_path, redis_target)
    try:
        stack.migrate_and_seed()
        stack.start_web(workers=4)
        before = families(requests.get(f"{stack.base_url}/metrics", timeout=10).text)
        session = requests.Session()  # kept-alive or not, gunicorn's sync workers take turns
        for _ in range(40):
            assert requests.get(f"{stack.base_url}/health/live/", timeout=10).status_code == 200
        for _ in range(5):
            assert session.get(f"{stack.base_url}/no-such-page/", timeout=10).status_code == 404
        scrapes = [families(requests.get(f"{stack.base_url}/metrics", timeout=10).text) for _ in range(8)]
        pids = set(re.findall(r"Booting worker with pid: (\d+)", stack.log_text("web")))
    finally:
        stack.stop()
    assert len(pids) == 4
    live = [name for name in scrapes[0] if name.startswith("coursework_web_request_seconds_count") and "live" in name]
    assert len(live) == 1, live
    view = re.search(r'view="([^"]+)"', live[0]).group(1)
    for figures in scrapes:  # whichever process answered the scrape
        assert count(figures, view) - count(before, view) == 40
        assert count(figures, "unmatched") - count(before, "unmatched") == 5
        assert (figures['coursework_web_responses_total{status="4xx",view="unmatched"}']
                - before.get('coursework_web_responses_total{status="4xx",view="unmatched"}', 0.0)) == 5
