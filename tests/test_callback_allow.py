"""SATJA_CALLBACK_ALLOW: callbacks only from the provider's networks, behind trusted proxies."""

from __future__ import annotations

import ipaddress

import pytest

from config.settings import SettingsError, load_settings
from gateway.app import create_app

TOKEN = "t" * 24
HOP = {"sessionId": "s1", "serviceCode": "*1234#", "phoneNumber": "+66811000004", "text": ""}


@pytest.fixture
def allowing(settings, redis_conn):
    """An app that takes callbacks from 10.0.0.0/8 only."""

    apps = []

    def make(proxies):
        allowed = (ipaddress.ip_network("10.0.0.0/8"),)
        changes = {"callback_token": TOKEN, "callback_allow": allowed, "trusted_proxies": proxies}
        apps.append(create_app(settings.with_(**changes)))
        return apps[-1]

    yield make
    for app in apps:
        app.extensions["satja.db"].dispose()


def post(app, remote, forwarded=None):
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    client = app.test_client()
    return client.post(
        f"/ussd?token={TOKEN}", data=HOP, headers=headers, environ_base={"REMOTE_ADDR": remote}
    ).status_code


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "status"),
    [
        (0, "10.1.2.3", None, 200),  # straight from the provider's network
        (0, "203.0.113.9", None, 403),  # from anywhere else
        (0, "203.0.113.9", "10.1.2.3", 403),  # a forged header, with no proxy trusted
        (1, "127.0.0.1", "10.1.2.3", 200),  # through our one proxy
        (1, "127.0.0.1", "203.0.113.9", 403),
        (1, "127.0.0.1", "10.1.2.3, 203.0.113.9", 403),  # the proxy saw 203.0.113.9
    ],
)
def test_callbacks_from_elsewhere_get_403(allowing, proxies, remote, forwarded, status):
    assert post(allowing(proxies), remote, forwarded) == status


def test_the_allow_list_is_read_from_the_environment():
    settings = load_settings({"SATJA_CALLBACK_ALLOW": "10.0.0.0/8, 2001:db8::/32, 192.0.2.7"})
    assert [str(n) for n in settings.callback_allow] == [
        "10.0.0.0/8",
        "2001:db8::/32",
        "192.0.2.7/32",
    ]
    with pytest.raises(SettingsError, match="SATJA_CALLBACK_ALLOW"):
        load_settings({"SATJA_CALLBACK_ALLOW": "10.0.0.0/33"})
    with pytest.raises(SettingsError, match="SATJA_TRUSTED_PROXIES"):
        load_settings({"SATJA_TRUSTED_PROXIES": "one"})
