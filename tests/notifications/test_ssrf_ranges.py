"""The webhook URL guard refuses every special-purpose range, and IPv4 hidden inside IPv6."""

from __future__ import annotations

import ipaddress
from unittest import mock

import pytest

from complaints.notifications import netguard

REFUSED = [
    # NAT64: the well-known prefix and the local-use prefix, whatever IPv4 they embed
    "64:ff9b::a00:1",  # 64:ff9b::10.0.0.1
    "64:ff9b::7f00:1",  # 64:ff9b::127.0.0.1
    "64:ff9b::808:808",  # 64:ff9b::8.8.8.8: a NAT64 gateway on our own network
    "64:ff9b:1::a00:1",
    # IPv4-compatible IPv6 (deprecated), also of a public address
    "::127.0.0.1",
    "::10.0.0.1",
    "::169.254.169.254",
    "::8.8.8.8",
    # IPv4-mapped IPv6 of private targets
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "::ffff:100.64.0.1",
    "::ffff:192.0.0.9",
    # 6to4 embedding a private IPv4
    "2002:a00:1::1",  # 10.0.0.1
    "2002:7f00:1::1",  # 127.0.0.1
    "2002:c0a8:101::1",  # 192.168.1.1
    "2002:a9fe:a9fe::1",  # 169.254.169.254
    # Teredo
    "2001::1",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",
    # IANA IPv4 special-purpose
    "100.64.0.1",
    "100.127.255.254",
    "192.0.0.8",
    "192.0.0.9",
    "192.0.0.10",
    "192.0.0.170",
    "192.0.2.1",
    "192.88.99.1",
    "198.18.0.1",
    "198.19.255.254",
    "198.51.100.1",
    "203.0.113.1",
    "240.0.0.1",
    "255.255.255.255",
    "0.0.0.0",  # noqa: S104 - an address to refuse, not one to bind
    "0.1.2.3",
    "224.0.0.1",
    "239.255.255.250",
    "10.0.0.1",
    "172.16.0.1",
    "192.168.0.1",
    "127.0.0.1",
    "169.254.169.254",
    # IANA IPv6 special-purpose
    "fc00::1",
    "fd12:3456::1",
    "fe80::1",
    "fec0::1",
    "2001:db8::1",
    "3fff::1",
    "::",
    "::1",
    "ff02::1",
    "ff0e::1",
    "100::1",
    "2001:2::1",
    "2001:10::1",
    "2001:20::1",
    "5f00::1",
]

ACCEPTED = ["8.8.8.8", "93.184.215.14", "1.1.1.1", "2606:4700:4700::1111", "2a00:1450:4001::1", "::ffff:8.8.8.8"]


@pytest.mark.parametrize("address", REFUSED)
def test_special_purpose_addresses_are_not_public(address):
    assert netguard.is_public_address(ipaddress.ip_address(address)) is False


@pytest.mark.parametrize("address", ACCEPTED)
def test_ordinary_public_addresses_are_public(address):
    assert netguard.is_public_address(ipaddress.ip_address(address)) is True


@pytest.mark.parametrize("address", ["64:ff9b::a00:1", "::10.0.0.1", "2002:a00:1::1", "2001::1", "198.18.0.1"])
def test_a_host_resolving_to_one_is_refused_at_send_time(address):
    family = 10 if ":" in address else 2
    with (
        mock.patch("socket.getaddrinfo", return_value=[(family, 1, 6, "", (address, 443))]),
        pytest.raises(netguard.UnsafeURL, match="private or local"),
    ):
        netguard.resolve("https://looks-public.example.org/hook", allow_private=False)


@pytest.mark.parametrize("url", ["http://[64:ff9b::7f00:1]/hook", "http://[::127.0.0.1]/hook", "http://198.51.100.7/"])
def test_literal_addresses_in_the_url_are_refused(url):
    with pytest.raises(netguard.UnsafeURL, match="private or local"):
        netguard.resolve(url, allow_private=False)
