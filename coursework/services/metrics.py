"""What an operator watches, in Prometheus's text format (`/metrics`).

Read from the database when scraped, so every web process answers the same figures and
nothing is lost with a restart: how many runs wait in each state, how old the oldest
waiting one is (per phase: queued, running, a page owed), how the last hour's runs ended
and how long they took, which mistakes failed them, what waits for a TA, the e-mail
outbox, and how long ago beat's sweep last ran on a worker; and how long the web takes to
answer, by view, from an aggregate all web processes share (WebCollector, below). A scrape
costs a few indexed queries whatever the size of the class (the hour's runs are read as
numbers, not rows).
"""
from __future__ import annotations

import datetime as dt
import logging
import time

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from ..models import Appeal, EssaySubmission, Heartbeat, Notification, Submission, SynthesisResponse
from ..states import AppealStatus, EmailStatus, RenderStatus, ReviewStatus, SubmissionStatus

log = logging.getLogger(__name__)
WINDOW = dt.timedelta(hours=1)
QUANTILES = (0.5, 0.95, 1.0)


def _quantile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))]


class CourseworkCollector:
    """A prometheus_client collector: each scrape asks the database afresh."""

    def collect(self):
        now = timezone.now()
        runs = Submission.all_runs

        by_state = GaugeMetricFamily("coursework_runs", "Notebook runs by status and purpose (graded upload or "
                                     "check)", labels=["status", "purpose"])
        for row in runs.values("status", "purpose").annotate(n=Count("id")).order_by():
            by_state.add_metric([row["status"], row["purpose"]], row["n"])
        yield by_state

        oldest = GaugeMetricFamily("coursework_oldest_waiting_seconds", "Age of the oldest run waiting in each "
                                   "phase (0 when none waits)", labels=["phase"])
        phases = {
            "queued": runs.filter(status=SubmissionStatus.QUEUED).aggregate(t=Min("created_at"))["t"],
            "running": runs.filter(status=SubmissionStatus.RUNNING).aggregate(t=Min("started_at"))["t"],
            "page_owed": runs.filter(render_status__in=(RenderStatus.PENDING, RenderStatus.RENDERING))
            .aggregate(t=Min("finished_at"))["t"],
        }
        for phase, since in phases.items():
            oldest.add_metric([phase], max(0.0, (now - since).total_seconds()) if since else 0.0)
        yield oldest

        recent = runs.filter(finished_at__gte=now - WINDOW)
        seconds = {}
        for status, took in recent.exclude(run_seconds=None).values_list("status", "run_seconds"):
            seconds.setdefault(status, []).append(float(took))
        finished = GaugeMetricFamily("coursework_runs_finished_last_hour", "Runs that ended in the last hour, "
                                     "by how they ended", labels=["status"])
        took = GaugeMetricFamily("coursework_run_seconds_last_hour", "Sandbox seconds of the last hour's runs, "
                                 "by how they ended (quantile 1: the longest)", labels=["status", "quantile"])
        for row in recent.values("status").annotate(n=Count("id")).order_by():
            finished.add_metric([row["status"]], row["n"])
        for status, values in seconds.items():
            values.sort()
            for q in QUANTILES:
                took.add_metric([status, str(q)], _quantile(values, q))
        yield finished
        yield took

        mistakes = GaugeMetricFamily("coursework_failures_last_hour", "Runs the student's notebook failed in the "
                                     "last hour, by the mistake named to them ('other' when none)",
                                     labels=["mistake"])
        failed = recent.filter(status=SubmissionStatus.FAILED).values_list("feedback__failure__mistake__key", flat=True)
        counts: dict[str, int] = {}
        for key in failed:
            counts[key if isinstance(key, str) else "other"] = counts.get(key if isinstance(key, str) else "other",
                                                                          0) + 1
        for key, n in sorted(counts.items()):
            mistakes.add_metric([key], n)
        yield mistakes

        waiting = GaugeMetricFamily("coursework_waiting_for_ta", "Work waiting for a TA", labels=["queue"])
        waiting.add_metric(["synthesis"], SynthesisResponse.objects.filter(status=ReviewStatus.SUBMITTED).count())
        waiting.add_metric(["essays"], EssaySubmission.objects.filter(status=ReviewStatus.SUBMITTED).count())
        waiting.add_metric(["appeals"], Appeal.objects.filter(status=AppealStatus.OPEN).count())
        waiting.add_metric(["notebooks"], Submission.objects.filter(
            status__in=(SubmissionStatus.FAILED, SubmissionStatus.ERROR), refunded_at=None).count()
            + Submission.objects.filter(flagged=True, flag_resolution="").count())
        yield waiting

        outbox = GaugeMetricFamily("coursework_emails", "Notification e-mails by state (failed: given up)",
                                   labels=["state"])
        states = dict(Notification.objects.values_list("email_status").annotate(n=Count("pk")).order_by())
        for state in EmailStatus.values:
            outbox.add_metric([state], states.get(state, 0))
        yield outbox

        beats = GaugeMetricFamily("coursework_heartbeat_age_seconds", "Seconds since a periodic job last ran to its "
                                  "end (sweep: beat, the broker and a worker alive together; every 60 s)",
                                  labels=["name"])  # not "job": Prometheus gives every target that label
        for name, seen in Heartbeat.objects.values_list("name", "seen_at"):
            beats.add_metric([name], max(0.0, (now - seen).total_seconds()))
        yield beats


def exposition() -> tuple[bytes, str]:
    """The metrics as Prometheus scrapes them, and their content type."""
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

    registry = CollectorRegistry(auto_describe=False)
    registry.register(CourseworkCollector())
    registry.register(WebCollector())
    return generate_latest(registry), CONTENT_TYPE_LATEST


# Web latency by view, and responses by view and status class.
#
# gunicorn runs several processes (WEB_WORKERS), and a scrape reaches one of them: figures
# kept in a process's memory would be that process's alone, and lost with it. Two ways to
# be right across processes: prometheus_client's multiprocess mode (each process writes
# files in a directory the master wipes at start; every process reads them all when
# scraped), or one aggregate in the Redis every web process already shares (the cache's).
# This is the second: it is right across hosts too (compose or several machines behind the
# front, where a scrape through the balancer reaches any host, and a per-host directory
# would answer for that host alone), it needs no gunicorn hooks or directory to wipe, and a
# restarted web process loses nothing. Its price is one pipelined round trip to Redis per
# request (three commands); while Redis is down nothing is counted (and no request waits on
# it for more than one failed try per DOWN_PAUSE_S). Without a Redis (CACHE_PER_PROCESS, or
# a broker that is not one) the figures stay in the process: right only with one of them.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, float("inf"))
LATENCY_KEY, RESPONSES_KEY = "metrics:web_latency", "metrics:web_responses"
DOWN_PAUSE_S = 10.0
SEP = "|"


def view_label(request) -> str:
    """The view's name (bounded: one per URL pattern), "static" for static files (served by
    WhiteNoise before any view), or "unmatched" for a URL no pattern takes."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name or match.func.__qualname__
    from django.conf import settings

    return "static" if request.path.startswith(settings.STATIC_URL or "/static/") else "unmatched"


def status_class(code: int) -> str:
    return f"{code // 100}xx"


class _Store:
    """The shared aggregate: Redis hashes (see above), or a dict when there is no Redis."""

    def __init__(self):
        self.local: dict[str, dict[str, float]] = {LATENCY_KEY: {}, RESPONSES_KEY: {}}
        self.paused_until = 0.0
        self.client = None

    def _client(self):
        # Made once per process and kept: Django's Redis cache builds a new redis.Redis (with
        # its table of ~170 reply callbacks) on every call, 0.3 ms of the web's CPU on every
        # request. A client is safe to share between threads; its connection pool
        # reconnects after an outage and after a fork.
        if self.client is None:
            from django.core.cache import caches

            cache = caches["default"]
            raw = getattr(cache, "_cache", None)
            self.client = ((raw.get_client(None, write=True), cache.make_key) if hasattr(raw, "get_client")
                           else (None, None))
        return self.client

    def record(self, view: str, seconds: float, status: str) -> None:
        bucket = next(i for i, le in enumerate(LATENCY_BUCKETS) if seconds <= le)
        fields = ((LATENCY_KEY, f"{view}{SEP}{bucket}", 1), (LATENCY_KEY, f"{view}{SEP}sum", seconds),
                  (RESPONSES_KEY, f"{view}{SEP}{status}", 1))
        client, key = self._client()
        if client is None:
            for name, field, amount in fields:
                self.local[name][field] = self.local[name].get(field, 0) + amount
            return
        if time.monotonic() < self.paused_until:
            return
        from config.cache import DOWN

        try:
            pipe = client.pipeline(transaction=False)
            for name, field, amount in fields:
                (pipe.hincrbyfloat if isinstance(amount, float) else pipe.hincrby)(key(name), field, amount)
            pipe.execute()
        except DOWN:
            self.paused_until = time.monotonic() + DOWN_PAUSE_S

    def read(self) -> dict[str, dict[str, float]]:
        client, key = self._client()
        if client is None:
            return self.local
        from config.cache import DOWN

        try:
            pipe = client.pipeline(transaction=False)
            pipe.hgetall(key(LATENCY_KEY))
            pipe.hgetall(key(RESPONSES_KEY))
            latency, responses = pipe.execute()
        except DOWN:
            return {LATENCY_KEY: {}, RESPONSES_KEY: {}}
        decode = lambda found: {k.decode(): float(v) for k, v in found.items()}  # noqa: E731
        return {LATENCY_KEY: decode(latency), RESPONSES_KEY: decode(responses)}


store = _Store()


class LatencyMiddleware:
    """Times every request, from the first middleware to the last byte handed to gunicorn
    (a streamed body is timed to its start), and counts it by view and status class."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        try:
            store.record(view_label(request), time.perf_counter() - started, status_class(response.status_code))
        except Exception:  # a metric must never cost a page
            log.warning("could not record the request's latency", exc_info=True)
        return response


class WebCollector:
    """The latency histogram and response counter, read from the shared aggregate."""

    def collect(self):
        from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily

        found = store.read()
        by_view: dict[str, dict[str, float]] = {}
        for field, value in found[LATENCY_KEY].items():
            view, _, part = field.rpartition(SEP)
            by_view.setdefault(view, {})[part] = value
        latency = HistogramMetricFamily("coursework_web_request_seconds", "Time to answer a request, by view "
                                        "(every web process, every host)", labels=["view"])
        for view, parts in sorted(by_view.items()):
            running, buckets = 0.0, []
            for i, le in enumerate(LATENCY_BUCKETS):
                running += parts.get(str(i), 0)
                buckets.append(("+Inf" if le == float("inf") else repr(le), running))
            latency.add_metric([view], buckets, sum_value=parts.get("sum", 0.0))
        yield latency
        responses = CounterMetricFamily("coursework_web_responses", "Responses by view and status class "
                                        "(5xx: the site's errors)", labels=["view", "status"])
        for field, value in sorted(found[RESPONSES_KEY].items()):
            view, _, status = field.rpartition(SEP)
            responses.add_metric([view, status], value)
        yield responses
