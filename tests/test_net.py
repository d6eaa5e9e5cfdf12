"""The one guarded outbound fetch (SECURITY.md 5 and 7): no internal addresses, bounded everything."""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from ckanext.cityopendata import net


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        port = self.server.server_address[1]
        if self.path == "/data.csv":
            self._send(b"ma,ten\n1,\xc4\x90\xc3\xa0 N\xe1\xba\xb5ng\n")
        elif self.path == "/big":
            self._send(b"x" * (2 * 1024 * 1024))
        elif self.path == "/big-undeclared":
            self.send_response(200)
            self.end_headers()
            for _ in range(64):
                self.wfile.write(b"y" * 32 * 1024)
        elif self.path == "/trickle":
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            for _ in range(100):
                self.wfile.write(b"z")
                self.wfile.flush()
                time.sleep(0.2)
        elif self.path == "/trickle-headers":  # even the status line comes a byte at a time
            answer = b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nX-Padding: " + b"p" * 80 + b"\r\n\r\n"
            try:
                for i in range(len(answer)):
                    self.wfile.write(answer[i:i + 1])
                    self.wfile.flush()
                    time.sleep(0.2)
            except OSError:
                pass
            self.close_connection = True
        elif self.path == "/to-internal":
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.2:{port}/data.csv")
            self.end_headers()
        elif self.path.startswith("/loop"):
            self.send_response(302)
            self.send_header("Location", f"http://localhost:{port}/loop{len(self.path)}")
            self.end_headers()
        else:
            self.send_response(404)
            self.end_headers()

    def _send(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/csv; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def server() -> Iterator[int]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield int(httpd.server_address[1])
    httpd.shutdown()


LOCAL = net.FetchPolicy(allowed_hosts=frozenset({"localhost"}), timeout=5, max_bytes=1024 * 1024)


def test_an_allowed_host_is_fetched_with_vietnamese_bytes_intact(server: int) -> None:
    result = net.fetch_guarded(f"http://localhost:{server}/data.csv", LOCAL)
    assert result.status == 200
    assert result.content.decode("utf-8") == "ma,ten\n1,Đà Nẵng\n"


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:{port}/data.csv",
    "http://[::1]:{port}/data.csv",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/",
    "http://192.168.1.1/",
    "http://0.0.0.0:{port}/",
])
def test_internal_addresses_are_refused_before_any_request(server: int, url: str) -> None:
    with pytest.raises(net.UnsafeURL, match="internal address"):
        net.fetch_guarded(url.format(port=server), net.FetchPolicy(timeout=2))


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/x", "gopher://x/", "/etc/passwd"])
def test_only_http_and_https_are_allowed(url: str) -> None:
    with pytest.raises(net.UnsafeURL, match="only http and https"):
        net.fetch_guarded(url, net.FetchPolicy())


def test_a_redirect_to_an_internal_address_is_refused(server: int) -> None:
    with pytest.raises(net.UnsafeURL, match="127.0.0.2"):
        net.fetch_guarded(f"http://localhost:{server}/to-internal", LOCAL)


def test_redirects_are_bounded(server: int) -> None:
    with pytest.raises(net.FetchError, match="redirects"):
        net.fetch_guarded(f"http://localhost:{server}/loop", LOCAL)


@pytest.mark.parametrize("path", ["/big", "/big-undeclared"])
def test_a_response_over_the_size_cap_is_cut_off(server: int, path: str) -> None:
    with pytest.raises(net.TooLarge):
        net.fetch_guarded(f"http://localhost:{server}{path}", LOCAL)


@pytest.mark.parametrize("path", ["/trickle", "/trickle-headers"])
def test_a_trickling_source_cannot_stall_a_job_beyond_its_timeout(server: int, path: str) -> None:
    policy = net.FetchPolicy(allowed_hosts=frozenset({"localhost"}), timeout=1)
    started = time.monotonic()
    with pytest.raises(net.FetchError, match="longer than"):
        net.fetch_guarded(f"http://localhost:{server}{path}", policy)
    assert time.monotonic() - started < 3


@pytest.mark.ckan_config("ckanext.cityopendata.fetch.allowed_hosts", "")
def test_the_portal_config_without_allow_list_refuses_loopback(server: int) -> None:
    with pytest.raises(net.UnsafeURL):
        net.fetch_guarded(f"http://127.0.0.1:{server}/data.csv", net.FetchPolicy.from_config())


def test_the_test_config_allows_loopback_for_local_test_servers(server: int) -> None:
    result = net.fetch_guarded(f"http://127.0.0.1:{server}/data.csv", net.FetchPolicy.from_config())
    assert result.size > 0
