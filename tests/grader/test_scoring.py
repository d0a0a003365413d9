import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.errors import StudentFault
from grader.scoring import (
    RawPredictions,
    accuracy,
    check_predictions,
    decode_predictions,
    unpermute,
)


def test_integer_labels_pass_through_as_int64():
    assert check_predictions(np.array([0, 9, 3], dtype=np.uint8), 3).dtype == np.int64


def test_whole_floats_are_accepted_as_labels():
    np.testing.assert_array_equal(check_predictions(np.array([1.0, 2.0]), 2), [1, 2])


@pytest.mark.parametrize(
    "raw, message",
    [
        (np.zeros((3, 10)), "argmax"),
        (np.zeros(2, dtype=np.int64), r"must return 3 labels"),
        (np.array([0.5, 1.0, 2.0]), "fractional"),
        (np.array([np.nan, 1.0, 2.0]), "NaN"),
        (np.array([0, 10, 1]), "outside 0-9"),
        (np.array(["a", "b", "c"]), "type <U1"),
    ],
)
def test_it_names_what_is_wrong_with_bad_predictions(raw, message):
    with pytest.raises(StudentFault, match=message):
        check_predictions(raw, 3)


def test_unpermute_restores_test_set_order():
    labels = np.array([5, 6, 7, 8])
    order = np.array([2, 0, 3, 1])
    predictions_for_shuffled = labels[order]
    np.testing.assert_array_equal(unpermute(predictions_for_shuffled, order), labels)
    assert accuracy(unpermute(predictions_for_shuffled, order), labels) == 1.0


# --- Labels as the harness sends them: a header, then exactly n labels' bytes ------------


def sent(array: np.ndarray, data: bytes | None = None) -> RawPredictions:
    return RawPredictions(array.dtype.str, list(array.shape), array.tobytes() if data is None else data, str(array.dtype))


@pytest.mark.parametrize("dtype", ["<i8", ">i4", "|u1", "<f4", "|b1"])
def test_it_decodes_labels_of_every_allowed_type(dtype):
    labels = np.array([0, 1, 1, 0], dtype=dtype)
    np.testing.assert_array_equal(decode_predictions(sent(labels), 4), [0, 1, 1, 0])


@pytest.mark.parametrize(
    "raw, message",
    [
        (None, "produced no labels"),
        (RawPredictions("<i8", [2**40], b"", "int64"), r"must return 3 labels, shape \(3,\); it returned shape \(1099511627776,\)"),
        (RawPredictions("<f8", [3, 10], None, "float64"), "argmax"),
        (RawPredictions("|O", [3], None, "object"), "Python objects"),
        (RawPredictions("<U1", [3], None, "<U1"), "type <U1"),
        (RawPredictions("<c16", [3], None, "complex128"), "type complex128"),
        (RawPredictions("<f16", [3], None, "float128"), "type float128"),
        (RawPredictions("<i8", [3], b"\0" * 8, "int64"), "does not match their shape"),
        (RawPredictions("<i8", [3], None, "int64"), "does not match their shape"),
        (RawPredictions("<i8", "3", None, "int64"), "unreadable shape"),
        (RawPredictions("<i8", [True, 2], None, "int64"), "unreadable shape"),
        (RawPredictions(["<i8"], [3], None, "<script>"), "type unknown"),
    ],
)
def test_it_explains_a_bad_header_before_reading_any_data(raw, message):
    with pytest.raises(StudentFault, match=message):
        decode_predictions(raw, 3)


def test_it_keeps_every_message_of_the_array_checks():
    with pytest.raises(StudentFault, match="fractional"):
        decode_predictions(sent(np.array([0.5, 1.0, 2.0])), 3)
    with pytest.raises(StudentFault, match="outside 0-9"):
        decode_predictions(sent(np.array([0, 10, 1])), 3)


@settings(max_examples=400, deadline=None)
@given(
    dtype=st.sampled_from(sorted(["<i8", "|u1", "<f8", "|b1", ">u2", "|O", "<U3", "<M8[s]", "|V4", ""])) | st.text(max_size=8),
    shape=st.lists(st.integers(-5, 2**62), max_size=4) | st.lists(st.just(3), max_size=2),
    data=st.none() | st.binary(max_size=64),
    name=st.text(max_size=70) | st.none(),
)
def test_no_header_or_data_makes_decoding_raise_or_allocate_past_n(dtype, shape, data, name):
    try:
        labels = decode_predictions(RawPredictions(dtype, shape, data, name), 3)
    except StudentFault as fault:
        assert len(str(fault)) < 400  # a message, not an echo of whatever was sent
        return
    assert labels.dtype == np.int64 and labels.shape == (3,) and ((labels >= 0) & (labels <= 9)).all()


# --- The integrity probe's images ---------------------------------------------------------


def digits(n: int = 200) -> np.ndarray:
    from django.conf import settings

    from reference_nn.idx import load_images

    return load_images(settings.MNIST_DATA_DIR / "t10k-images-idx3-ubyte")[:n]


def test_probe_images_lie_on_the_1_255_grid_like_the_test_images():
    from grader.scoring import probe_images

    probe = probe_images(digits(), 0.05, np.random.default_rng(0))
    assert probe.dtype == np.float32 and probe.shape == (200, 784)
    assert np.array_equal(np.rint(probe * 255) / np.float32(255), probe)  # no exact-value test tells them apart
    assert probe.min() >= 0 and probe.max() <= 1


def test_no_probe_image_equals_its_original_and_each_run_makes_new_ones():
    from grader.scoring import probe_images

    images = digits()
    first, second = (probe_images(images, 0.05, np.random.default_rng(seed)) for seed in (1, 2))
    assert not any(np.array_equal(p, c) for p, c in zip(first, images))
    assert not any(np.array_equal(a, b) for a, b in zip(first, second))


def test_the_shift_moves_the_ink_by_under_a_pixel():
    from grader.scoring import probe_images

    images = digits()
    moved = probe_images(images, 0.0, np.random.default_rng(3))  # the shift alone
    grid = np.arange(28)

    def centre_of_ink(batch):
        ink = batch.reshape(-1, 28, 28)
        return np.stack([(ink.sum(2) * grid).sum(1), (ink.sum(1) * grid).sum(1)], 1) / ink.sum((1, 2))[:, None]

    offsets = np.abs(centre_of_ink(moved) - centre_of_ink(images))
    assert offsets.max() <= 0.5 + 0.05  # rounding to the grid adds a little
    assert np.median(offsets) > 0.05  # and most digits did move
