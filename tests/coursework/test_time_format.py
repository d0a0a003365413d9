"""One way to write a time on every page: the 24-hour clock in the site's zone, whether the
server writes it or a page's script shows what the server saved."""
import re
from datetime import datetime, timezone as dt_timezone
from pathlib import Path

import pytest
from django.template import Context, Template

from coursework.models import QuestionSet
from coursework.services.content import load_content
from tests.factories import make_student

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
AFTERNOON = datetime(2026, 12, 6, 14, 2, 32, tzinfo=dt_timezone.utc)


def test_a_date_or_time_without_a_format_is_written_the_sites_way(settings):
    settings.TIME_ZONE = "UTC"
    shown = Template("{{ t|date }} | {{ t|time }} | {{ t }}").render(Context({"t": AFTERNOON}))
    assert shown == "6 Dec 2026 | 14:02 | 6 Dec 2026 14:02"


def test_the_synthesis_autosave_says_when_it_saved_on_the_24_hour_clock(client, settings):
    settings.TIME_ZONE = "UTC"
    load_content()
    client.force_login(make_student())
    qs = QuestionSet.objects.get(page__slug="archive-gradient-descent")
    question = qs.questions.first()
    body = client.post("/synthesis/archive-gradient-descent/autosave/", {f"q-{question.pk}": "Because."}).json()
    assert re.fullmatch(r"\d\d:\d\d:\d\d", body["saved_label"]), body["saved_label"]
    page = client.get("/synthesis/archive-gradient-descent/").content.decode()
    assert f"Saved {body['saved_label']}" in page  # the page as loaded and as autosaved agree


def test_no_script_writes_a_time_in_the_browsers_own_format():
    for script in (ROOT / "static" / "js").glob("*.js"):
        assert "toLocaleTimeString" not in script.read_text(), f"{script.name} writes times its own way"
