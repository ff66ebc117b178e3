"""Which client a sign-in came from: X-Forwarded-For only as far as proxies are trusted."""

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.clients import client_address


def request(forwarded: list[str] | None = None, peer="10.0.0.5") -> Request:
    headers = [("X-Forwarded-For", value) for value in forwarded or []]
    return Request(EnvironBuilder(headers=headers, environ_base={"REMOTE_ADDR": peer}).get_environ())


def test_without_trusted_proxies_the_header_is_ignored():
    assert client_address(request(["203.0.113.7"]), trusted_proxies=0) == "10.0.0.5"


@pytest.mark.parametrize(
    "forwarded, trusted, expected",
    [
        (["203.0.113.7"], 1, "203.0.113.7"),
        (["1.2.3.4, 203.0.113.7"], 1, "203.0.113.7"),  # what the client wrote before the proxy's entry is not believed
        (["1.2.3.4", "203.0.113.7"], 1, "203.0.113.7"),  # the header given twice reads as one list
        (["1.2.3.4, 203.0.113.7, 10.0.0.9"], 2, "203.0.113.7"),  # two proxies: the outer one saw the client
        (["2001:db8::1"], 1, "2001:db8::1"),
    ],
)
def test_behind_trusted_proxies_the_address_they_saw_counts(forwarded, trusted, expected):
    assert client_address(request(forwarded), trusted_proxies=trusted) == expected


@pytest.mark.parametrize(
    "forwarded, trusted",
    [
        ([], 1),  # not through the proxy
        (["203.0.113.7"], 2),  # fewer hops than configured
        (["not-an-address"], 1),
    ],
)
def test_anything_else_falls_back_to_the_peer(forwarded, trusted):
    assert client_address(request(forwarded), trusted_proxies=trusted) == "10.0.0.5"
