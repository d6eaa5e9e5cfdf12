"""The one guarded HTTP fetch: http(s) only, no internal addresses, bounded size, time and redirects.

Every outbound request of the portal (harvest sources, resource URLs under validation, remote
Table Schemas, the national sync) goes through ``GuardedSession`` or ``fetch_guarded``.
"""
from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any
from urllib.parse import urlsplit

import requests
import urllib3

DEFAULT_TIMEOUT = 30
DEFAULT_MAX_BYTES = 100 * 1024 * 1024
DEFAULT_MAX_REDIRECTS = 5
USER_AGENT = "ckanext-cityopendata/0.1 (+open data portal)"


class FetchError(Exception):
    """A fetch that was refused or failed; the message is safe to show to a person."""


class UnsafeURL(FetchError):
    """The URL's scheme or resolved address is not allowed."""


class TooLarge(FetchError):
    """The response grew past the size cap."""


class TimedOut(FetchError):
    """The whole fetch took longer than the policy's timeout (a slow or trickling server)."""


class HTTPStatusError(FetchError):
    """The server answered with an HTTP error status (``status``)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class FetchPolicy:
    timeout: float = DEFAULT_TIMEOUT
    max_bytes: int = DEFAULT_MAX_BYTES
    max_redirects: int = DEFAULT_MAX_REDIRECTS
    allowed_hosts: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_config(cls, **overrides: Any) -> FetchPolicy:
        """The policy set in CKAN's config (read at call time, never at import)."""
        from ckan.plugins import toolkit as tk

        policy = cls(
            timeout=float(tk.config.get("ckanext.cityopendata.fetch.timeout")),
            max_bytes=int(tk.config.get("ckanext.cityopendata.fetch.max_bytes")),
            max_redirects=int(tk.config.get("ckanext.cityopendata.fetch.max_redirects")),
            allowed_hosts=frozenset(tk.config.get("ckanext.cityopendata.fetch.allowed_hosts") or []),
        )
        for name, value in overrides.items():
            setattr(policy, name, value)
        return policy


def _host_allowed(host: str, addresses: Iterable[str], allowed: frozenset[str]) -> bool:
    if host.lower() in allowed:
        return True
    for entry in allowed:
        try:
            net = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            continue
        if all(ipaddress.ip_address(a) in net for a in addresses):
            return True
    return False


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str, policy: FetchPolicy) -> None:
    """Raise ``UnsafeURL`` unless ``url`` is http(s) and every address it resolves to is public
    (or the host is on the allow-list)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeURL(f"only http and https URLs are allowed, not {parts.scheme or 'none'!r}")
    host = parts.hostname
    if not host:
        raise UnsafeURL("the URL has no host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, ValueError) as error:
        raise FetchError(f"cannot resolve {host}: {error}") from error
    addresses = {info[4][0] for info in infos}
    if _host_allowed(host, addresses, policy.allowed_hosts):
        return
    blocked = sorted(a for a in addresses if not _is_public(a))
    if blocked:
        raise UnsafeURL(f"{host} resolves to an internal address ({blocked[0]}), which is not allowed")


class GuardedSession(requests.Session):
    """A requests session that checks every request and every redirect hop against the policy."""

    def __init__(self, policy: FetchPolicy | None = None) -> None:
        super().__init__()
        self.policy = policy or FetchPolicy.from_config()
        self.max_redirects = self.policy.max_redirects
        self.headers["User-Agent"] = USER_AGENT
        self.trust_env = False

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        check_url(request.url or "", self.policy)
        kwargs.setdefault("timeout", self.policy.timeout)
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.policy.timeout
        try:
            return super().send(request, **kwargs)
        except requests.TooManyRedirects as error:
            raise FetchError(f"more than {self.policy.max_redirects} redirects") from error


def _chunks(response: requests.Response) -> Iterator[bytes]:
    """Yield the body as it arrives (read1 returns what is there, not a full chunk), so the
    deadline is checked between small reads even when a source trickles."""
    raw = response.raw
    while True:
        chunk = raw.read1(64 * 1024, decode_content=True)
        if not chunk:
            return
        yield chunk


class _Watchdog:
    """Shuts the sockets of one fetch when its deadline passes. Read timeouts bound each read, so
    without this a source that sends its status line and headers a byte at a time is never cut off
    (the deadline check between body chunks only starts once the headers are in)."""

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._connections: list[Any] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def watch(self, session: requests.Session) -> None:
        """Make every connection ``session`` opens from now on known to the watchdog, and start it."""
        for adapter in session.adapters.values():
            manager = getattr(adapter, "poolmanager", None)
            if manager is not None:
                manager.pool_classes_by_scheme = {
                    scheme: self._watched_pool(pool) for scheme, pool in manager.pool_classes_by_scheme.items()
                }
        self._timer.start()

    def _watched_pool(self, pool: type) -> type:
        watchdog = self

        class WatchedConnection(pool.ConnectionCls):  # type: ignore[name-defined,misc]
            def connect(self) -> None:
                super().connect()
                watchdog._register(self)

        return type(pool.__name__, (pool,), {"ConnectionCls": WatchedConnection})

    def _register(self, connection: Any) -> None:
        with self._lock:
            self._connections.append(connection)
            if self.expired:
                _shut(connection)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for connection in self._connections:
                _shut(connection)

    def cancel(self) -> None:
        self._timer.cancel()


def _shut(connection: Any) -> None:
    sock = getattr(connection, "sock", None)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


@dataclass
class FetchResult:
    url: str
    status: int
    content_type: str
    size: int
    content: bytes = b""


def fetch_guarded(
    url: str,
    policy: FetchPolicy | None = None,
    dest: IO[bytes] | None = None,
    accept: str | None = None,
    headers: dict[str, str] | None = None,
) -> FetchResult:
    """GET ``url`` under ``policy``; write the body to ``dest`` (or return it) and stop at the cap.

    The whole download, not just each read, is bounded by the policy's timeout, so a source that
    trickles bytes cannot stall a job.
    """
    session = GuardedSession(policy)
    policy = session.policy
    check_url(url, policy)
    deadline = time.monotonic() + policy.timeout
    watchdog = _Watchdog(policy.timeout)
    watchdog.watch(session)
    headers = dict(headers or {})
    if accept:
        headers["Accept"] = accept
    too_slow = f"{url} took longer than {policy.timeout:g} s"
    try:
        with session.get(url, stream=True, headers=headers) as response:
            if response.status_code >= 400:
                raise HTTPStatusError(f"{url} answered HTTP {response.status_code}", response.status_code)
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > policy.max_bytes:
                raise TooLarge(f"{url} is {int(declared)} bytes, over the limit of {policy.max_bytes}")
            chunks: list[bytes] = []
            size = 0
            for chunk in _chunks(response):
                size += len(chunk)
                if size > policy.max_bytes:
                    raise TooLarge(f"{url} is over the limit of {policy.max_bytes} bytes")
                if time.monotonic() > deadline:
                    raise TimedOut(too_slow)
                if dest is not None:
                    dest.write(chunk)
                else:
                    chunks.append(chunk)
            if watchdog.expired:  # the body ended because the watchdog shut the socket
                raise TimedOut(too_slow)
            return FetchResult(
                url=response.url,
                status=response.status_code,
                content_type=response.headers.get("Content-Type", ""),
                size=size,
                content=b"".join(chunks),
            )
    except requests.Timeout as error:
        raise TimedOut(f"{url} did not answer within {policy.timeout:g} s") from error
    except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as error:
        if watchdog.expired:
            raise TimedOut(too_slow) from error
        raise FetchError(f"cannot connect to {urlsplit(url).hostname}: {type(error).__name__}") from error
    except urllib3.exceptions.HTTPError as error:  # raised by the raw body reads
        if watchdog.expired:
            raise TimedOut(too_slow) from error
        raise FetchError(f"{url} broke off its answer: {type(error).__name__}") from error
    finally:
        watchdog.cancel()
        session.close()
