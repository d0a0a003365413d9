"""The cache-version triggers are whole after every migrate, whatever a migration rebuilt."""
import pytest
from django.core.management import call_command
from django.db import connection

from coursework import cache_triggers

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_database_has_every_counter_trigger_after_migrate():
    assert cache_triggers.installed(connection) == cache_triggers.names()


def test_a_trigger_a_migration_dropped_comes_back_with_the_next_migrate():
    # What SQLite's table rebuild does to the triggers on a table, done by hand.
    dropped = sorted(name for name in cache_triggers.names() if "submission" in name)
    with connection.cursor() as cursor:
        for name in dropped:
            cursor.execute(f"DROP TRIGGER {name}" + (" ON coursework_submission" if connection.vendor == "postgresql" else ""))
    assert not cache_triggers.installed(connection) & set(dropped)

    call_command("migrate", verbosity=0)

    assert cache_triggers.installed(connection) == cache_triggers.names()


def test_installing_twice_changes_nothing():
    cache_triggers.install(connection)
    cache_triggers.install(connection)
    assert cache_triggers.installed(connection) == cache_triggers.names()
