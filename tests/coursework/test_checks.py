import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_float, env_int, secret_key_file
from coursework.checks import (grading_sandbox_is_a_known_mode, group_assignment_is_a_known_mode, ladder_margin_is_not_negative,
                               no_setting_is_left_under_an_old_name, refuse_a_public_secret_key_in_production)


def test_it_refuses_the_published_development_key_when_debug_is_off(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = settings.KNOWN_PUBLIC_SECRET_KEYS[0]
    errors = refuse_a_public_secret_key_in_production(None)
    assert [e.id for e in errors] == ["coursework.E001"]


def test_it_refuses_a_short_key_when_debug_is_off(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = "short"
    assert [e.id for e in refuse_a_public_secret_key_in_production(None)] == ["coursework.E001"]


def test_it_accepts_a_real_key_in_production(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = "a-long-random-production-key-0123456789abcdef"
    assert refuse_a_public_secret_key_in_production(None) == []


def test_it_refuses_an_unknown_sandbox_mode(settings):
    settings.GRADER_SANDBOX = "bwarp"
    assert [e.id for e in grading_sandbox_is_a_known_mode(None)] == ["coursework.E002"]


def test_it_refuses_an_unknown_way_to_assign_groups(settings):
    settings.COURSE_GROUP_ASSIGNMENT = "round-robbin"
    assert [e.id for e in group_assignment_is_a_known_mode(None)] == ["coursework.E003"]
    settings.COURSE_GROUP_ASSIGNMENT = "round_robin"
    assert group_assignment_is_a_known_mode(None) == []


def test_it_refuses_a_negative_ladder_margin(settings):
    settings.LADDER_MARGIN_POINTS = -0.1
    assert [e.id for e in ladder_margin_is_not_negative(None)] == ["coursework.E004"]
    settings.LADDER_MARGIN_POINTS = None
    assert ladder_margin_is_not_negative(None) == []



def test_it_warns_of_a_setting_left_under_its_old_name_and_says_the_new_one(monkeypatch):
    monkeypatch.delenv("GRADER_PREFLIGHT_SAMPLE", raising=False)
    monkeypatch.delenv("NOTEBOOK_PREFLIGHT_PER_DAY", raising=False)
    assert no_setting_is_left_under_an_old_name(None) == []
    monkeypatch.setenv("NOTEBOOK_PREFLIGHT_PER_DAY", "50")
    [warning] = no_setting_is_left_under_an_old_name(None)
    assert warning.id == "coursework.W001" and "NOTEBOOK_PREFLIGHT_PER_DAY" in warning.msg
    assert "NOTEBOOK_CHECKS_PER_DAY" in warning.hint

def test_a_secret_key_is_generated_once_and_kept_private(tmp_path):
    path = tmp_path / "secret_key"
    first = secret_key_file(path)
    assert len(first) >= 50 and secret_key_file(path) == first
    assert path.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("reader, value", [(env_bool, "ture"), (env_int, "2G"), (env_float, "0,05")])
def test_a_setting_that_cannot_be_read_is_an_error_naming_it(monkeypatch, reader, value):
    monkeypatch.setenv("SOME_SETTING", value)
    with pytest.raises(ImproperlyConfigured, match=f"SOME_SETTING={value!r}"):
        reader("SOME_SETTING", 1)


@pytest.mark.parametrize("value, expected", [("1", True), ("yes", True), ("On", True), ("0", False), ("false", False),
                                             ("", True)])
def test_yes_no_settings_read_the_usual_words(monkeypatch, value, expected):
    monkeypatch.setenv("SOME_SETTING", value)
    assert env_bool("SOME_SETTING", True) is expected


def test_the_site_refuses_to_start_with_a_typo_in_a_setting(tmp_path):
    """From the outside, as an operator sees it: manage.py stops and names the variable."""
    env = {**os.environ, "DEBUG": "ture", "VAR_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "manage.py", "check"], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode != 0
    assert "DEBUG='ture' is not a yes/no setting" in out.stderr


def cache_prefix_for(database_url: str, tmp_path) -> str:
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": "redis://127.0.0.1:1/0", "REDIS_KEY_PREFIX": "",
           "VAR_DIR": str(tmp_path)}
    code = "from django.conf import settings; print(settings.CACHES['default']['KEY_PREFIX'])"
    out = subprocess.run([sys.executable, "-c", "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
                          f"'config.settings'); django.setup(); {code}"], env=env, capture_output=True, text=True,
                         timeout=120, check=True)
    return out.stdout.strip()


def test_two_sites_on_one_redis_never_share_cached_pages(tmp_path):
    """Cached pages are keyed by counters kept in the database: two databases at equal
    counters (two checkouts, or a database made afresh) must not read each other's pages."""
    one = cache_prefix_for("postgres://u@127.0.0.1:5432/site_one", tmp_path)
    other = cache_prefix_for("postgres://u@127.0.0.1:5432/site_two", tmp_path)
    assert one != other
    assert one == cache_prefix_for("postgres://u@127.0.0.1:5432/site_one", tmp_path)
