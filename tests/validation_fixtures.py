"""Fixtures of the validation tests: the real job queue run by an in-process RQ worker, a local file server."""
from __future__ import annotations

import io
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "validation"


def rewrite_zip(data: bytes, member: str, transform: Callable[[bytes], bytes]) -> bytes:
    """The zip ``data`` (an XLSX workbook) with its part ``member`` rewritten, compressed as Excel does."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            target.writestr(info.filename, transform(content) if info.filename == member else content)
    return out.getvalue()


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def run_validation_jobs(with_test_worker: Any, clean_queues: Any) -> Callable[[], int]:
    """Run every queued validation job with a real RQ worker (burst mode, no fork); return how many."""
    from ckan.lib import jobs
    from ckan.plugins import toolkit as tk

    def run() -> int:
        queue_name = tk.config.get("ckanext.cityopendata.validation.queue")
        queue = jobs.get_queue(queue_name)
        count = len(queue.job_ids)
        jobs.Worker([queue_name]).work(burst=True)
        return count

    return run


@dataclass
class FileServer:
    root: Path
    port: int

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    def put(self, name: str, data: bytes) -> str:
        (self.root / name).write_bytes(data)
        return self.url(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def file_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FileServer]:
    """A real HTTP server process on 127.0.0.1 serving the validation fixtures (and files put there)."""
    root = tmp_path_factory.mktemp("served")
    for path in FIXTURES.iterdir():
        shutil.copy(path, root / path.name)
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(root)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    try:
        yield FileServer(root, port)
    finally:
        process.terminate()
        process.wait(5)
