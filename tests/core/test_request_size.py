"""A request body above MAX_REQUEST_BODY is refused with 413 before anything reads it."""

import socket
from typing import Any

import pytest
from django.test import Client, RequestFactory

from apps.core.middleware import LimitedInput, RequestBodyLimitWSGI, RequestBodyTooLarge

TWO_GB = 2 * 1024**3


class LazyBody:
    """A wsgi.input of `size` bytes made on demand, counting what is read from it."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.read_bytes = 0

    def _take(self, want: int | None) -> bytes:
        left = self.size - self.read_bytes
        n = left if want is None or want < 0 else min(want, left)
        n = min(n, 1024 * 1024)  # never materialise more than a MB per call
        self.read_bytes += n
        return b"x" * n

    def read(self, size: int | None = -1) -> bytes:
        return self._take(size)

    def readline(self, size: int | None = -1) -> bytes:
        return self._take(size)


@pytest.fixture
def limit(settings):
    settings.MAX_REQUEST_BODY = 8 * 1024 * 1024
    return settings.MAX_REQUEST_BODY


def test_default_ceiling_sits_above_the_largest_default_upload(settings):
    # An onboarding action accepts 5 files of 25 MB by default, in one submission.
    assert settings.MAX_REQUEST_BODY > 5 * 25 * 1024 * 1024 + 1024 * 1024
    assert settings.EMAIL_TIMEOUT == 10


@pytest.mark.django_db
def test_django_middleware_refuses_a_2gb_post_without_reading_it(acme, limit):
    body = LazyBody(TWO_GB)
    client = Client(headers={"host": acme.host})
    response = client.generic(
        "POST",
        "/apply/",
        **{
            "wsgi.input": body,
            "CONTENT_LENGTH": str(TWO_GB),
            "CONTENT_TYPE": "multipart/form-data; boundary=xyz",
        },
    )
    assert response.status_code == 413
    assert body.read_bytes == 0
    assert b"Request too large" in response.content
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"


def _call_wsgi(environ: dict[str, Any]) -> tuple[str, dict[str, str], bytes]:
    from config.wsgi import application

    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        seen["status"], seen["headers"] = status, dict(headers)

    body = b"".join(application(environ, start_response))
    return seen["status"], seen["headers"], body


def test_wsgi_wrapper_refuses_a_2gb_post_before_django(limit):
    body = LazyBody(TWO_GB)
    environ = RequestFactory().post("/apply/").environ
    environ.update(
        {
            "wsgi.input": body,
            "CONTENT_LENGTH": str(TWO_GB),
            "CONTENT_TYPE": "multipart/form-data; boundary=xyz",
            "HTTP_HOST": "nowhere.invalid",  # Django would 400/404; the wrapper answers first
        }
    )
    status, headers, content = _call_wsgi(environ)
    assert status.startswith("413")
    assert body.read_bytes == 0
    assert b"Request too large" in content
    assert headers["Content-Length"] == str(len(content))
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


def test_wsgi_wrapper_caps_a_body_without_declared_length(limit):
    seen: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        stream = environ["wsgi.input"]
        seen["stream"] = stream
        try:
            while stream.read(64 * 1024):
                pass
        except RequestBodyTooLarge:
            seen["refused"] = True
        start_response("200 OK", [])
        return [b""]

    body = LazyBody(TWO_GB)
    environ = {"REQUEST_METHOD": "POST", "HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input": body}
    list(RequestBodyLimitWSGI(app)(environ, lambda *a: None))
    assert seen["refused"] is True
    assert isinstance(seen["stream"], LimitedInput)
    # Read up to the ceiling and one byte past it, never the 2 GB.
    assert body.read_bytes == limit + 1


def test_limited_input_reads_a_body_within_the_ceiling_whole():
    data = b"line one\nline two\n"

    class Stream:
        def __init__(self) -> None:
            self.pos = 0

        def read(self, size: int = -1) -> bytes:
            end = len(data) if size < 0 else self.pos + size
            chunk, self.pos = data[self.pos : end], min(end, len(data))
            return chunk

        def readline(self, size: int = -1) -> bytes:
            end = data.find(b"\n", self.pos) + 1 or len(data)
            if size >= 0:
                end = min(end, self.pos + size)
            chunk, self.pos = data[self.pos : end], end
            return chunk

    assert list(LimitedInput(Stream(), 100)) == [b"line one\n", b"line two\n"]
    assert LimitedInput(Stream(), 100).read() == data
    with pytest.raises(RequestBodyTooLarge):
        LimitedInput(Stream(), 10).read()


@pytest.mark.django_db(transaction=True)
def test_live_server_answers_413_over_a_real_socket(acme, live_server, limit):
    port = int(live_server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        head = (
            f"POST /apply/ HTTP/1.1\r\nHost: {acme.host}\r\n"
            f"Content-Type: multipart/form-data; boundary=xyz\r\n"
            f"Content-Length: {TWO_GB}\r\n\r\n"
        )
        sock.sendall(head.encode() + b"x" * 64 * 1024)  # a little of the 2 GB, then stop
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = sock.recv(65536)
            if not chunk:
                break
            response += chunk
    assert response.startswith(b"HTTP/1.1 413")
