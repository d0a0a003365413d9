import gzip
import shutil

import pytest
from django.conf import settings

from reference_nn import fetch


@pytest.fixture
def genuine_dir():
    return settings.MNIST_DATA_DIR  # `make test` fetched and verified it first


def test_it_copies_verified_files_from_a_directory_the_user_names(tmp_path, genuine_dir):
    report = fetch.fetch_mnist(tmp_path / "out", user_dir=genuine_dir, use_npm=False, use_mirrors=False, progress=False, log=lambda m: None)
    assert set(report.fetched) == set(fetch.FILES)
    assert fetch.missing_files(tmp_path / "out") == []


def test_it_accepts_gzipped_files_too(tmp_path, genuine_dir):
    source = tmp_path / "gz"
    source.mkdir()
    for name in fetch.FILES:
        with open(genuine_dir / name, "rb") as src, gzip.open(source / f"{name}.gz", "wb") as dst:
            shutil.copyfileobj(src, dst)
    fetch.fetch_mnist(tmp_path / "out", user_dir=source, use_npm=False, use_mirrors=False, progress=False, log=lambda m: None)
    assert fetch.missing_files(tmp_path / "out") == []


def test_a_second_run_with_valid_files_does_nothing(tmp_path, genuine_dir):
    fetch.fetch_mnist(tmp_path, user_dir=genuine_dir, use_npm=False, use_mirrors=False, progress=False, log=lambda m: None)
    before = {name: (tmp_path / name).stat().st_mtime_ns for name in fetch.FILES}
    report = fetch.fetch_mnist(tmp_path, user_dir="/nonexistent", use_npm=False, use_mirrors=False, progress=False, log=lambda m: None)
    assert report.fetched == {} and set(report.already_valid) == set(fetch.FILES)
    assert before == {name: (tmp_path / name).stat().st_mtime_ns for name in fetch.FILES}


def test_it_rejects_a_file_whose_checksum_does_not_match_and_says_why(tmp_path, genuine_dir):
    source = tmp_path / "tampered"
    shutil.copytree(genuine_dir, source)
    corrupted = bytearray((source / fetch.TEST_LABELS).read_bytes())
    corrupted[100] ^= 0xFF
    (source / fetch.TEST_LABELS).write_bytes(bytes(corrupted))

    with pytest.raises(fetch.FetchError) as raised:
        fetch.fetch_mnist(tmp_path / "out", user_dir=source, use_npm=False, use_mirrors=False, progress=False, log=lambda m: None)

    message = str(raised.value)
    assert fetch.TEST_LABELS in message
    assert "does not match the expected " + fetch.SHA256[fetch.TEST_LABELS] in message
    assert not (tmp_path / "out" / fetch.TEST_LABELS).exists()


def test_when_every_source_fails_it_names_the_four_files_and_where_to_put_them(tmp_path):
    with pytest.raises(fetch.FetchError) as raised:
        fetch.fetch_mnist(tmp_path / "out", user_dir=tmp_path / "empty", use_npm=False, use_mirrors=False, progress=False, log=lambda m: None)
    message = str(raised.value)
    for name in fetch.FILES:
        assert name in message
    assert "MNIST_DIR" in message and str(tmp_path / "out") in message
