"""The restore drill: a populated site backed up, wiped and restored comes back identical,
every row of every table and every media file."""
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError

from coursework.grading import dispatch
from coursework.models import Notification, Submission
from coursework.services import backups, notifications, reviews, rubrics
from tests.factories import (make_course, make_profile, make_student, make_submission, make_ta,
                             submitted_essays, submitted_synthesis)
from tests.support.notebooks import notebook

# pg_dump reads the database from a connection of its own: the rows must be committed.
pytestmark = pytest.mark.django_db(transaction=True)


def top_marks(item) -> dict:
    return {c.pk: rubrics.Mark(c.max_points) for c in rubrics.criteria_for(item)}


@pytest.fixture
def populated(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setattr(dispatch, "send_grading_task", lambda pk: None)
    monkeypatch.setattr(notifications, "enqueue_email", lambda pk: None)
    make_course()
    ta = make_ta()
    for i in range(3):
        student = make_student(f"s{i}")
        make_profile(student, email=f"s{i}@example.org")
        make_submission(student, notebook(f"x = {i}"), status="graded", accuracy=0.9 + i / 100)
        essays = submitted_essays(student)
        reviews.review(essays, ta, top_marks(essays), "Well argued.")
        synthesis = submitted_synthesis(student)
        reviews.review(synthesis, ta, top_marks(synthesis), "Clear answers.")
        notifications.notify(student, Notification.APPEAL, f"k{i}", "A title", "A body")
    return tmp_path


def everything() -> dict:
    return {model._meta.db_table: list(model._base_manager.order_by("pk").values()) for model in apps.get_models()
            if model._meta.managed and not model._meta.proxy}


def files(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_backup_restores_every_row_and_file_after_the_site_is_wiped(populated, settings):
    before_rows, before_files = everything(), files(Path(settings.MEDIA_ROOT))
    assert Submission.objects.count() == 3 and before_files
    call_command("backup", str(populated))
    archive = next(populated.glob("coursework-backup-*.tar.gz"))

    call_command("flush", "--noinput")
    for path in Path(settings.MEDIA_ROOT).rglob("*"):
        if path.is_file():
            path.unlink()
    assert Submission.objects.count() == 0

    call_command("restore", str(archive), "--yes")
    assert everything() == before_rows
    assert files(Path(settings.MEDIA_ROOT)) == before_files
    # The ids go on from where they were, not from 1 again.
    assert make_submission(make_student("late")).pk > max(s["id"] for s in before_rows["coursework_submission"])


def test_a_restore_that_does_not_match_its_manifest_says_what_differs(populated, settings, monkeypatch):
    backup = backups.backup(populated)
    monkeypatch.setattr(backups, "media_hashes", lambda root: {})  # as if the files had not come back
    with pytest.raises(backups.BackupError, match="media file .* missing"):
        backups.restore(backup.path)


def test_a_file_that_is_not_a_backup_is_refused_with_a_reason(tmp_path):
    import tarfile

    archive = tmp_path / "other.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(__file__, arcname="notes.py")
    with pytest.raises(CommandError, match="no readable manifest.json"):
        call_command("restore", str(archive), "--yes")


def test_work_that_arrives_during_a_backup_does_not_spoil_it(populated, settings, monkeypatch):
    # The rows are counted in what was dumped, not in the live site afterwards; a file
    # deleted between listing and archiving (a run's old pictures) is left out.
    listed = backups._media_files

    def while_media_are_archived(root):
        make_submission(make_student("arrived-late"))  # after the dump: not in the backup
        yield "gone.png", Path(settings.MEDIA_ROOT) / "gone.png"
        yield from listed(root)

    monkeypatch.setattr(backups, "_media_files", while_media_are_archived)
    done = backups.backup(populated)
    monkeypatch.undo()
    backups.restore(done.path)  # raises if the restored site differs from the manifest
    assert not Submission.objects.filter(student__username="arrived-late").exists()


def test_the_media_directory_itself_stays_put_so_a_mount_point_can_be_restored(populated, settings):
    # A compose volume is a mount point, which cannot be renamed: the restore swaps what is
    # inside it.
    media = Path(settings.MEDIA_ROOT)
    inode = media.stat().st_ino
    done = backups.backup(populated)
    (media / "stray.txt").write_text("made after the backup")
    backups.restore(done.path)
    assert media.stat().st_ino == inode and not (media / "stray.txt").exists()
    assert not [p for p in media.iterdir() if p.name.startswith(".")]  # no staging left behind
