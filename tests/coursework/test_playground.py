import base64
import json
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings

from coursework.services import playground
from reference_nn.idx import load_images, load_labels
from tests.factories import make_student

pytestmark = pytest.mark.django_db


def encoded(drawing: np.ndarray) -> str:
    return base64.b64encode((np.clip(drawing, 0, 1) * 255).astype(np.uint8).tobytes()).decode()


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    ys, xs = np.indices(image.shape)
    return (ys * image).sum() / image.sum(), (xs * image).sum() / image.sum()


def test_a_drawing_in_a_corner_is_scaled_to_twenty_pixels_and_centred_by_its_mass():
    drawing = np.zeros((112, 112), np.float32)
    drawing[5:45, 70:90] = 1.0  # 40 tall, 20 wide, top right

    image = playground.mnist_like(drawing).reshape(28, 28)

    rows, cols = np.nonzero(image > 0.5)
    assert rows.max() - rows.min() + 1 == 20 and cols.max() - cols.min() + 1 == 10  # shape kept
    cy, cx = centre_of_mass(image)
    assert abs(cy - 13.5) <= 0.5 and abs(cx - 13.5) <= 0.5


def test_nothing_drawn_is_said_to_be_empty_not_guessed():
    assert playground.read_drawing(encoded(np.zeros((56, 56)))) == {"empty": True}


def test_a_test_digit_redrawn_large_and_off_centre_is_read_by_the_reference_network():
    data = Path(settings.MNIST_DATA_DIR)
    images = load_images(data / "t10k-images-idx3-ubyte")
    labels = load_labels(data / "t10k-labels-idx1-ubyte")
    for index in range(5):
        canvas = np.zeros((140, 140), np.float32)
        canvas[:112, 28:] = np.kron(images[index].reshape(28, 28), np.ones((4, 4)))  # 4x larger, shifted

        answer = playground.read_drawing(encoded(canvas))

        assert answer["prediction"] == labels[index]
        assert abs(sum(answer["probabilities"]) - 1) < 1e-3
        assert [layer["size"] for layer in answer["layers"]] == [512, 256, 128]
        assert answer["where"] == "server" and len(answer["input"]) == 784


def test_the_endpoint_answers_a_student_and_refuses_bad_drawings_with_a_reason(client):
    client.force_login(make_student())
    url = "/playground/predict/"

    empty = client.post(url, json.dumps({"drawing": encoded(np.zeros((56, 56)))}), content_type="application/json")
    not_square = client.post(url, json.dumps({"drawing": base64.b64encode(b"\0" * 1000).decode()}),
                             content_type="application/json")
    garbage = client.post(url, "not json", content_type="application/json")

    assert empty.json() == {"empty": True}
    assert not_square.status_code == 400 and "square" in not_square.json()["error"]
    assert garbage.status_code == 400 and "drawing" in garbage.json()["error"]


def test_the_playground_needs_a_login(client):
    assert client.get("/playground/").status_code == 302
    assert client.post("/playground/predict/", "{}", content_type="application/json").status_code == 302


def test_a_random_test_digit_can_be_shown_without_drawing(client):
    client.force_login(make_student())

    answer = client.post("/playground/predict/", json.dumps({"sample": True}), content_type="application/json").json()

    labels = load_labels(Path(settings.MNIST_DATA_DIR) / "t10k-labels-idx1-ubyte")
    assert answer["sample"]["label"] == labels[answer["sample"]["index"]]
    assert len(answer["input"]) == 784 and len(answer["probabilities"]) == 10
