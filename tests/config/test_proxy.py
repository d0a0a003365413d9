"""Behind the front, requests are counted by the client's own address; a client cannot
choose its address by writing the header itself."""
import ipaddress

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.test import Client

from config.proxy import client_address

FRONT = [ipaddress.ip_network("10.0.0.0/8")]


def test_a_trusted_fronts_header_names_the_client_and_anyone_elses_is_ignored():
    assert client_address("10.0.0.5", "203.0.113.9", FRONT) == "203.0.113.9"
    assert client_address("10.0.0.5", "1.2.3.4, 203.0.113.9", FRONT) == "203.0.113.9"  # the front's own entry is last
    assert client_address("198.51.100.7", "203.0.113.9", FRONT) == "198.51.100.7"  # not from the front
    assert client_address("10.0.0.5", "not-an-address", FRONT) == "10.0.0.5"
    assert client_address("10.0.0.5", "", FRONT) == "10.0.0.5"


@pytest.mark.django_db
def test_behind_the_front_a_stranger_cannot_lock_a_ta_out(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]  # the test client's requests come from the front
    settings.LOGIN_FAILURES_ALLOWED = 3
    User.objects.create(username="tara", password=make_password("ta-pass-12345"))

    def log_in(client_ip, password):
        return Client(HTTP_X_FORWARDED_FOR=client_ip).post("/accounts/login/", {"username": "tara",
                                                                                 "password": password})

    for _ in range(4):
        log_in("203.0.113.9", "wrong")
    assert log_in("203.0.113.9", "ta-pass-12345").status_code == 429  # the guesser is held
    assert log_in("198.51.100.7", "ta-pass-12345").status_code == 302  # the TA, elsewhere, is not


@pytest.mark.django_db
def test_metrics_behind_the_front_are_not_open_to_the_internet(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    settings.METRICS_TOKEN = ""
    assert Client(HTTP_X_FORWARDED_FOR="203.0.113.9").get("/metrics").status_code == 403
    assert Client(HTTP_X_FORWARDED_FOR="127.0.0.1").get("/metrics").status_code == 200
