"""The client's address behind the front.

Behind nginx every request comes from nginx's address, so the log-in and join-code limits
(per address) would count the whole class as one client and /metrics's "this host only"
would let the internet in. When a request comes from a front named in TRUSTED_PROXIES, the
address the front saw (the last X-Forwarded-For entry, which config/nginx sets, replacing
whatever the client sent) becomes REMOTE_ADDR; from anywhere else the header is ignored,
as a client can write anything in it.
"""
from __future__ import annotations

import ipaddress

from django.conf import settings


def _networks():
    return [ipaddress.ip_network(entry, strict=False) for entry in settings.TRUSTED_PROXIES]


def client_address(remote: str, forwarded: str, trusted) -> str:
    """The address to count a request by (see the module's docstring)."""
    try:
        peer = ipaddress.ip_address(remote)
    except ValueError:
        return remote
    if not forwarded or not any(peer in network for network in trusted):
        return remote
    last = forwarded.split(",")[-1].strip()
    try:
        return str(ipaddress.ip_address(last))
    except ValueError:
        return remote


class TrustedProxyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.trusted = _networks()

    def __call__(self, request):
        if self.trusted:
            request.META["REMOTE_ADDR"] = client_address(request.META.get("REMOTE_ADDR", ""),
                                                         request.META.get("HTTP_X_FORWARDED_FOR", ""), self.trusted)
        return self.get_response(request)
