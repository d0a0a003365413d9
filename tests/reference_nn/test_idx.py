import numpy as np
import pytest

from reference_nn.idx import IDXError, load_images, parse_idx, read_idx, write_idx


def test_it_reads_back_what_it_writes(tmp_path):
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(tmp_path / "a", array)
    np.testing.assert_array_equal(read_idx(tmp_path / "a"), array)


def test_images_become_float32_rows_in_the_unit_interval(tmp_path):
    write_idx(tmp_path / "imgs", np.full((5, 28, 28), 255, dtype=np.uint8))
    images = load_images(tmp_path / "imgs")
    assert images.dtype == np.float32 and images.shape == (5, 784)
    assert images.max() == 1.0


def test_it_rejects_a_bad_magic_number():
    with pytest.raises(IDXError, match="magic"):
        parse_idx(b"\x01\x00\x08\x01\x00\x00\x00\x01\x00")


def test_it_rejects_a_body_shorter_than_the_header_promises():
    with pytest.raises(IDXError, match="body has 1 bytes"):
        parse_idx(b"\x00\x00\x08\x01\x00\x00\x00\x02\x07")
