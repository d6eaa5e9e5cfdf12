"""The API rate limit the developers' page announces is the one CKAN enforces, counted in the real Redis."""
from __future__ import annotations

import logging
import socket
import time
from typing import Any, Iterator

import pytest
from ckan.exceptions import CkanConfigurationException
from ckan.plugins import toolkit as tk
from ckan.tests import factories

from ckanext.cityopendata.portal import ratelimit

API = "/api/3/action/status_show"
CLIENT, OTHER_CLIENT = "203.0.113.7", "203.0.113.8"
FIVE_A_MINUTE = [
    pytest.mark.ckan_config("ckanext.cityopendata.portal.api_rate_limit", "5/minute"),
    # The test ini exempts the test client's 127.0.0.1; these tests are about the limit itself.
    pytest.mark.ckan_config("ckanext.cityopendata.portal.api_rate_limit_exempt", ""),
]


@pytest.fixture(autouse=True)
def clean_limiter(reset_redis) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """No count left over from an earlier test; a fresh window so six calls never straddle two."""
    pattern = f"{tk.config.get('ckan.site_id')}:cityopendata_ratelimit:*"
    reset_redis(pattern)
    left_in_minute = 60 - time.time() % 60
    if left_in_minute < 3:
        time.sleep(left_in_minute + 0.1)
    yield
    reset_redis(pattern)


def call(app: Any, address: str = CLIENT, url: str = API, **kwargs: Any) -> Any:
    return app.get(url, extra_environ={"REMOTE_ADDR": address}, **kwargs)


def with_marks(*marks: Any) -> Any:
    def decorate(test: Any) -> Any:
        for mark in marks:
            test = mark(test)
        return test
    return decorate


@with_marks(*FIVE_A_MINUTE)
def test_the_sixth_api_call_in_a_minute_is_refused_with_retry_after_while_another_address_goes_on(app) -> None:  # type: ignore[no-untyped-def]
    first = call(app)
    assert first.status_code == 200
    assert first.headers["X-RateLimit-Limit"] == "5" and first.headers["X-RateLimit-Remaining"] == "4"
    for left in (3, 2, 1, 0):
        assert call(app).headers["X-RateLimit-Remaining"] == str(left)

    refused = call(app)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    body = refused.json
    assert body["success"] is False and body["error"]["__type"] == "Rate limit"
    # In the portal's language, Vietnamese, like CKAN's own API errors.
    assert "5 yêu cầu mỗi phút" in body["error"]["message"]
    assert body["help"].endswith("/developers")

    other = call(app, OTHER_CLIENT)
    assert other.status_code == 200 and other.headers["X-RateLimit-Remaining"] == "4"


@with_marks(*FIVE_A_MINUTE)
def test_a_sysadmin_token_is_not_limited(app) -> None:  # type: ignore[no-untyped-def]
    sysadmin = factories.Sysadmin()
    token = factories.APIToken(user=sysadmin["name"])["token"]
    for _ in range(7):
        answer = call(app, headers={"Authorization": token})
        assert answer.status_code == 200
        assert "X-RateLimit-Remaining" not in answer.headers
    # An ordinary user's token is counted against the address like anyone's.
    user_token = factories.APIToken(user=factories.User()["name"])["token"]
    assert call(app, headers={"Authorization": user_token}).headers["X-RateLimit-Remaining"] == "4"


@with_marks(*FIVE_A_MINUTE)
def test_pages_outside_the_api_are_not_counted(app) -> None:  # type: ignore[no-untyped-def]
    for url in ("/quality", "/api/i18n/vi", "/quality", "/api/i18n/vi", "/quality", "/quality"):
        answer = call(app, url=url)
        assert answer.status_code == 200 and "X-RateLimit-Remaining" not in answer.headers
    assert call(app).headers["X-RateLimit-Remaining"] == "4"


@with_marks(pytest.mark.ckan_config("ckanext.cityopendata.portal.api_rate_limit", "0"),
            pytest.mark.ckan_config("ckanext.cityopendata.portal.api_rate_limit_exempt", ""))
def test_a_limit_of_0_turns_the_limit_off_and_the_developers_page_says_so(app) -> None:  # type: ignore[no-untyped-def]
    for _ in range(7):
        answer = call(app)
        assert answer.status_code == 200 and "X-RateLimit-Limit" not in answer.headers
    page = app.get("/developers").body
    assert "API hiện không giới hạn số yêu cầu" in page and "HTTP 429" not in page


@with_marks(*FIVE_A_MINUTE)
def test_the_developers_page_announces_the_enforced_limit_and_its_headers(app) -> None:  # type: ignore[no-untyped-def]
    page = app.get("/developers").body
    assert 'data-cod-rate-limit="5/minute"' in page
    assert "X-RateLimit-Remaining" in page and "Retry-After" in page


@with_marks(pytest.mark.ckan_config("ckanext.cityopendata.portal.api_rate_limit", "5/minute"),
            pytest.mark.ckan_config("ckanext.cityopendata.portal.api_rate_limit_exempt",
                                    "198.51.100.0/24 2001:db8::1"))
def test_the_national_harvester_address_listed_as_exempt_is_not_limited(app) -> None:  # type: ignore[no-untyped-def]
    for _ in range(7):
        assert call(app, "198.51.100.20").status_code == 200
        assert call(app, "2001:db8::1").status_code == 200
    assert call(app).headers["X-RateLimit-Remaining"] == "4"


@with_marks(*FIVE_A_MINUTE, pytest.mark.ckan_config("ckanext.cityopendata.portal.trusted_proxies", "10.0.0.5"))
def test_behind_a_trusted_proxy_each_forwarded_client_is_counted_apart(app) -> None:  # type: ignore[no-untyped-def]
    def via_proxy(client: str) -> Any:
        # A client may prepend a forged hop; the proxy appends the address it saw.
        return call(app, "10.0.0.5", headers={"X-Forwarded-For": f"192.0.2.99, {client}"})

    for _ in range(5):
        assert via_proxy(CLIENT).status_code == 200
    assert via_proxy(CLIENT).status_code == 429
    assert via_proxy(OTHER_CLIENT).status_code == 200


@with_marks(*FIVE_A_MINUTE)
def test_without_trusted_proxies_a_forged_forwarded_header_does_not_escape_the_limit(app) -> None:  # type: ignore[no-untyped-def]
    answers = [call(app, headers={"X-Forwarded-For": f"192.0.2.{n}"}).status_code for n in range(6)]
    assert answers == [200] * 5 + [429]


@with_marks(*FIVE_A_MINUTE)
def test_the_api_stays_up_without_limit_when_redis_is_down(app, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    from ckan.lib import redis as ckan_redis
    from redis import ConnectionPool

    with socket.socket() as s:  # a port where nothing listens: a real refused connection
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # A CLI test earlier in the run loads the ini's logging config, which disables loggers it does not name.
    monkeypatch.setattr(logging.getLogger(ratelimit.__name__), "disabled", False)
    with monkeypatch.context() as patch, caplog.at_level(logging.WARNING, logger=ratelimit.__name__):
        patch.setattr(ckan_redis, "_connection_pool", ConnectionPool.from_url(f"redis://127.0.0.1:{port}/0"))
        answers = [call(app) for _ in range(7)]
    assert [a.status_code for a in answers] == [200] * 7
    assert "Redis is unavailable" in caplog.text


@pytest.mark.parametrize("option, value", [
    ("ckanext.cityopendata.portal.api_rate_limit", "60 per minute"),
    ("ckanext.cityopendata.portal.api_rate_limit", "60/fortnight"),
    ("ckanext.cityopendata.portal.api_rate_limit", "-5/minute"),
    ("ckanext.cityopendata.portal.api_rate_limit_exempt", "203.0.113.300"),
    ("ckanext.cityopendata.portal.trusted_proxies", "proxy.local"),
])
def test_a_bad_value_stops_ckan_at_start_up_with_a_clear_message(option: str, value: str) -> None:
    from ckan.config.environment import update_config

    saved = tk.config.get(option)
    tk.config[option] = value
    try:
        # update_config is what CKAN runs at start-up (load_environment) once the plugins are loaded.
        with pytest.raises(CkanConfigurationException) as refused:
            update_config()
    finally:
        tk.config[option] = saved
        update_config()
    assert option in str(refused.value)
    assert value.split("/")[0].split()[0] in str(refused.value)


@pytest.mark.parametrize("value, expected", [
    ("60/minute", ratelimit.Limit(60, "minute")),
    (" 5 / Second ", ratelimit.Limit(5, "second")),
    ("1000/hour", ratelimit.Limit(1000, "hour")),
    ("0", None), ("", None), ("0/minute", None),
])
def test_the_limit_is_written_n_per_second_minute_or_hour(value: str, expected: Any) -> None:
    assert ratelimit.parse_limit(value) == expected


def test_exempt_addresses_may_be_separated_by_spaces_or_commas() -> None:
    networks = ratelimit.parse_networks(("198.51.100.7, 203.0.113.0/24 2001:db8::/48",))
    assert [str(n) for n in networks] == ["198.51.100.7/32", "203.0.113.0/24", "2001:db8::/48"]
