"""What an operator watches, in Prometheus's text format (`/metrics`).

Read from the database when scraped, so every web process answers the same figures and
nothing is lost with a restart: how many runs wait in each state, how old the oldest
waiting one is (per phase: queued, running, a page owed), how the last hour's runs ended
and how long they took, which mistakes failed them, what waits for a TA, the e-mail
outbox, and how long ago beat's sweep last ran on a worker. A scrape
costs a few indexed queries whatever the size of the class (the hour's runs are read as
numbers, not rows).
"""
from __future__ import annotations

import datetime as dt

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from ..models import Appeal, EssaySubmission, Heartbeat, Notification, Submission, SynthesisResponse
from ..states import AppealStatus, EmailStatus, RenderStatus, ReviewStatus, SubmissionStatus

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
                                     "pre-flight check)", labels=["status", "purpose"])
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
    return generate_latest(registry), CONTENT_TYPE_LATEST
