"""The API rate limit the developers' page announces: a fixed window per client address, counted in Redis."""
from __future__ import annotations

import functools
import ipaddress
import json
import logging
import math
import time
from dataclasses import dataclass
from typing import Any, Iterable, Optional, Union

import redis
from flask import Response, g, request

from ckan.exceptions import CkanConfigurationException
from ckan.lib.redis import connect_to_redis
from ckan.plugins import toolkit as tk

log = logging.getLogger(__name__)

LIMIT_OPTION = "ckanext.cityopendata.portal.api_rate_limit"
EXEMPT_OPTION = "ckanext.cityopendata.portal.api_rate_limit_exempt"
PROXIES_OPTION = "ckanext.cityopendata.portal.trusted_proxies"
PERIODS = {"second": 1, "minute": 60, "hour": 3600}
# CKAN's own JavaScript loads its translations from /api/i18n/ on every page: a page view, not an API call.
UNCOUNTED_PREFIXES = ("/api/i18n/",)

Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


@dataclass(frozen=True)
class Limit:
    requests: int
    period: str

    @property
    def seconds(self) -> int:
        return PERIODS[self.period]


@functools.lru_cache(maxsize=16)
def parse_limit(value: str) -> Optional[Limit]:
    """"N/second|minute|hour" as a Limit; None when "0", "0/…" or empty (no limit). ValueError otherwise."""
    text = (value or "").strip().lower()
    if text in ("", "0"):
        return None
    count, slash, period = (part.strip() for part in text.partition("/"))
    if not slash or not count.isdigit() or period not in PERIODS:
        raise ValueError(
            f"{value!r} is not a rate limit: write N/second, N/minute or N/hour (e.g. 60/minute), or 0 for none"
        )
    return Limit(int(count), period) if int(count) else None


@functools.lru_cache(maxsize=16)
def parse_networks(values: tuple[str, ...]) -> tuple[Network, ...]:
    """Addresses and CIDR ranges (separated by spaces or commas) as networks. ValueError on a bad one."""
    networks = []
    for item in (part for value in values for part in value.replace(",", " ").split()):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"{item!r} is not an IP address or CIDR range (e.g. 203.0.113.7 or 203.0.113.0/24)")
    return tuple(networks)


def _as_tuple(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    return (value,) if isinstance(value, str) else tuple(str(v) for v in value)


def check_config(config: Any) -> None:
    """Refuse a bad limit or address list at start-up (IConfigurable.configure), not on every request.

    Not declared validators: CKAN may build the config schema from a validator cache filled before
    our plugin was loaded.
    """
    problems = []
    for option, parse in ((LIMIT_OPTION, lambda v: parse_limit(str(v or ""))),
                          (EXEMPT_OPTION, lambda v: parse_networks(_as_tuple(v))),
                          (PROXIES_OPTION, lambda v: parse_networks(_as_tuple(v)))):
        try:
            parse(config.get(option))
        except ValueError as error:
            problems.append(f"{option}: {error}")
    if problems:
        raise CkanConfigurationException("Invalid configuration values provided:\n" + "\n".join(problems))


def configured_limit() -> Optional[Limit]:
    return parse_limit(str(tk.config.get(LIMIT_OPTION) or ""))


def announced_limit() -> str:
    """The limit as configured ("60/minute"), or "" when there is none."""
    return str(tk.config.get(LIMIT_OPTION) or "").strip() if configured_limit() else ""


def _networks(option: str) -> tuple[Network, ...]:
    return parse_networks(_as_tuple(tk.config.get(option)))


def _within(address: str, networks: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)


def client_address() -> Optional[str]:
    """The client's address: the peer, or behind trusted proxies the nearest X-Forwarded-For hop they did not add."""
    address = request.remote_addr
    proxies = _networks(PROXIES_OPTION)
    if address and proxies and _within(address, proxies):
        hops = [hop.strip() for hop in request.headers.get("X-Forwarded-For", "").split(",") if hop.strip()]
        for hop in reversed(hops):
            address = hop
            if not _within(hop, proxies):
                break
    return address


def bucket(address: str) -> str:
    """What is counted: an IPv4 address, or the /64 of an IPv6 one (one subscriber's usual allocation)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def redis_key(address: str, limit: Limit, window: int) -> str:
    site_id = tk.config.get("ckan.site_id")
    return f"{site_id}:cityopendata_ratelimit:{limit.period}:{bucket(address)}:{window}"


def _is_sysadmin() -> bool:
    user = tk.current_user
    return bool(user and user.is_authenticated and getattr(user, "sysadmin", False))


def _is_counted(path: str, method: str) -> bool:
    return path.startswith("/api/") and not path.startswith(UNCOUNTED_PREFIXES) and method != "OPTIONS"


def _period_label(period: str) -> str:
    return {"second": tk._("second"), "minute": tk._("minute"), "hour": tk._("hour")}[period]


def too_many_requests(limit: Limit, retry_after: int) -> Response:
    """HTTP 429 in the shape of CKAN's Action API errors, with Retry-After."""
    message = tk._(
        "Too many API requests: each client address may send {count} requests per {period}. "
        "Retry in {seconds} seconds."
    ).format(count=limit.requests, period=_period_label(limit.period), seconds=retry_after)
    body = {
        "help": tk.h.url_for("cityopendata_portal.developers", _external=True),
        "success": False,
        "error": {"__type": "Rate limit", "message": message},
    }
    response = Response(json.dumps(body), status=429, content_type="application/json;charset=utf-8")
    response.headers["Retry-After"] = str(retry_after)
    return response


def limit_api_request() -> Optional[Response]:
    """before_app_request hook: count an API request of its client address; 429 once over the limit.

    Runs after CKAN's own before_request (registered before any blueprint), so the user is known.
    """
    if not _is_counted(request.path, request.method):
        return None
    limit = configured_limit()
    if limit is None or _is_sysadmin():
        return None
    address = client_address()
    if not address or _within(address, _networks(EXEMPT_OPTION)):
        return None
    now = time.time()
    window = int(now // limit.seconds)
    key = redis_key(address, limit, window)
    try:
        pipe = connect_to_redis().pipeline()
        pipe.incr(key)
        pipe.expire(key, limit.seconds + 1)
        count = int(pipe.execute()[0])
    except redis.RedisError as error:
        # Better an API without a limit than no API: the warning tells the operator.
        log.warning("API rate limit not applied, Redis is unavailable: %s", error)
        return None
    g.cityopendata_rate_limit = (limit.requests, max(0, limit.requests - count))
    if count <= limit.requests:
        return None
    retry_after = max(1, math.ceil((window + 1) * limit.seconds - now))
    return too_many_requests(limit, retry_after)


def add_rate_limit_headers(response: Response) -> Response:
    """after_app_request hook: tell a counted API client its limit and what is left in the window."""
    state = g.get("cityopendata_rate_limit")
    if state:
        response.headers["X-RateLimit-Limit"] = str(state[0])
        response.headers["X-RateLimit-Remaining"] = str(state[1])
    return response
