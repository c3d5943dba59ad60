"""The proxy's upstream side: the one upstream it forwards to, the headers it passes on, and
one pooled aiohttp client session per running proxy.

A request is forwarded unchanged but for the hop-by-hop headers (RFC 9110 7.6.1, and every
header the `Connection` header names), which concern one connection only, and `Host`, which
is rewritten to the upstream's. The path is sent as the client wrote it (doubled slashes
too: D14), with its query. aiohttp adds none of its own headers (User-Agent, Accept,
Accept-Encoding, Content-Type) and decompresses nothing: what the upstream answers is what
the client gets. Every call has a whole deadline (connect, answer, body); a failure is an
`UpstreamError` naming the upstream and what went wrong, which the server answers 502.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

#: Headers of one connection, never forwarded (either way). `expect` is answered by the
#: proxy's own server; `content-length` is set again for what is actually sent.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "expect",
    }
)
#: Seconds to open a connection to the upstream (within the whole deadline).
CONNECT_TIMEOUT = 5.0
#: Connections kept open to the upstream at once (a pool: reused across requests).
POOL_SIZE = 256
#: Bytes read from the upstream's answer at a time.
CHUNK_BYTES = 64 * 1024


class UpstreamError(Exception):
    """The upstream could not be reached or did not answer in time; the message (one line)
    names the upstream and the problem."""


@dataclass(frozen=True)
class Upstream:
    """The one server the proxy forwards to: `http(s)://host[:port][/prefix]`."""

    scheme: str
    host: str  # lower case, without brackets
    port: int
    prefix: str  # "" or "/prefix" (no trailing slash)

    @classmethod
    def parse(cls, url: str) -> Upstream:
        """The upstream of `url`; ValueError (saying why) when it is not one."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as error:
            raise ValueError(f"is not a URL ({error})") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL with a host")
        if parts.username or parts.password:
            raise ValueError("must not hold a user name or password")
        if parts.query or parts.fragment:
            raise ValueError("must not hold a query or fragment")
        default = 443 if parts.scheme == "https" else 80
        return cls(parts.scheme, parts.hostname.lower(), port or default, parts.path.rstrip("/"))

    @property
    def netloc(self) -> str:
        """host[:port] as a Host header names it (the port only when not the default)."""
        shown = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return shown if self.port == default else f"{shown}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.netloc}{self.prefix}"

    def url(self, target: str) -> str:
        """The upstream's URL of a request target (path and query, as the client sent it)."""
        return self.base_url + (target if target.startswith("/") else "/" + target)


def connection_headers(headers: Iterable[tuple[str, str]]) -> frozenset[str]:
    """The hop-by-hop headers of a message: the fixed ones and those `Connection` names."""
    named = {
        token.strip().lower()
        for name, value in headers
        if name.lower() == "connection"
        for token in value.split(",")
    }
    return HOP_BY_HOP | named


def forwarded_request_headers(
    headers: Iterable[tuple[str, str]], upstream: Upstream
) -> list[tuple[str, str]]:
    """The client's headers as the upstream gets them: hop-by-hop ones and Content-Length
    dropped, Host rewritten to the upstream's (first, as clients send it)."""
    headers = list(headers)
    dropped = connection_headers(headers) | {"host", "content-length"}
    return [("Host", upstream.netloc)] + [
        (name, value) for name, value in headers if name.lower() not in dropped
    ]


def forwarded_response_headers(
    headers: Iterable[tuple[bytes, bytes]], *, keep_length: bool
) -> list[tuple[bytes, bytes]]:
    """The upstream's headers as the client gets them: hop-by-hop ones dropped, and
    Content-Length unless the body goes on unchanged in length (`keep_length`)."""
    headers = list(headers)
    dropped = connection_headers(
        (name.decode("latin-1"), value.decode("latin-1")) for name, value in headers
    )
    if not keep_length:
        dropped |= {"content-length"}
    return [
        (name.lower(), value)
        for name, value in headers
        if name.decode("latin-1").lower() not in dropped
    ]


@dataclass
class Answered:
    """The upstream's answer as it starts: status, headers, and the body still to read."""

    status: int
    headers: list[tuple[bytes, bytes]]
    length: int | None  # Content-Length, when given
    response: Any  # aiohttp.ClientResponse

    async def chunks(self) -> AsyncIterator[bytes]:
        async for chunk in self.response.content.iter_chunked(CHUNK_BYTES):
            yield chunk

    def release(self) -> None:
        self.response.release()

    def close(self) -> None:
        self.response.close()


class Forwarder:
    """One pooled aiohttp session to the upstream (made in the loop that uses it)."""

    def __init__(self, upstream: Upstream, *, timeout: float) -> None:
        self.upstream = upstream
        self.timeout = timeout
        self._session: Any = None

    def _open(self) -> Any:
        import aiohttp

        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=POOL_SIZE, ttl_dns_cache=60, enable_cleanup_closed=True
                ),
                timeout=aiohttp.ClientTimeout(
                    total=self.timeout, connect=min(CONNECT_TIMEOUT, self.timeout)
                ),
                auto_decompress=False,
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,
            )
        return self._session

    async def send(
        self,
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        body: bytes | AsyncIterator[bytes] | None,
        *,
        length: int | None = None,
    ) -> Answered:
        """Send the request; the answer as it starts (its body is read by the caller, who
        releases it). `UpstreamError` when the upstream cannot be reached or is too slow."""
        import aiohttp
        from yarl import URL

        session = self._open()
        sent = forwarded_request_headers(headers, self.upstream)
        if length is not None and body is not None and not isinstance(body, bytes):
            sent.append(("Content-Length", str(length)))
        try:
            response = await session.request(
                method,
                URL(self.upstream.url(target), encoded=True),
                headers=sent,
                data=body,
                allow_redirects=False,
                compress=None,
                chunked=None,
            )
        except asyncio.TimeoutError:
            raise UpstreamError(self.problem(f"no answer within {self.timeout:g} s")) from None
        except aiohttp.ClientConnectorError as error:
            reason = error.os_error.strerror or str(error.os_error)
            raise UpstreamError(self.problem(f"cannot connect ({reason})")) from None
        except (aiohttp.ClientError, OSError, ValueError) as error:
            raise UpstreamError(self.problem(_reason(error))) from None
        length_header = response.headers.get("Content-Length")
        return Answered(
            response.status,
            [(bytes(name), bytes(value)) for name, value in response.raw_headers],
            int(length_header) if length_header and length_header.isdigit() else None,
            response,
        )

    def problem(self, what: str) -> str:
        return f"upstream {self.upstream.base_url}: {what}"

    async def read_problem(self, error: BaseException) -> str:
        """The message of an error met while reading an answer's body."""
        if isinstance(error, asyncio.TimeoutError):
            return self.problem(f"answer not complete within {self.timeout:g} s")
        return self.problem(_reason(error))

    async def close(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()


def decoded(data: bytes, content_encoding: str | None, limit: int) -> bytes | str:
    """The body as the checks read it: `data` undone of its Content-Encoding (gzip,
    deflate, br where the brotli module is installed), at most `limit` bytes; or why it
    cannot be (an unknown coding, a broken stream, more than `limit` once decoded). The
    client still gets `data` as the upstream sent it."""
    codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
    for coding in reversed(codings):
        if coding == "identity":
            continue
        try:
            if coding in ("gzip", "x-gzip", "deflate"):
                import zlib

                # gzip: a gzip header; deflate: zlib's, or (as some servers send) raw
                wbits = 16 + zlib.MAX_WBITS if coding != "deflate" else zlib.MAX_WBITS
                if coding == "deflate" and data[:1] and (data[0] & 0x0F) != 8:
                    wbits = -zlib.MAX_WBITS
                inflater = zlib.decompressobj(wbits)
                data = inflater.decompress(data, limit + 1)
                if len(data) > limit or inflater.unconsumed_tail:
                    return f"answer over {limit:,} bytes once decoded ({coding})"
            elif coding == "br":
                try:
                    import brotli
                except ImportError:
                    return "Content-Encoding br: the brotli module is not installed"
                data = brotli.decompress(data)
                if len(data) > limit:
                    return f"answer over {limit:,} bytes once decoded (br)"
            else:
                return f"Content-Encoding {coding[:40]!r} is not one the proxy decodes"
        except Exception as error:  # a broken stream: the client gets it as sent
            return f"Content-Encoding {coding}: cannot decode ({type(error).__name__})"
    return data


def _reason(error: BaseException) -> str:
    text = str(error).strip()
    kind = type(error).__name__
    return f"{kind}: {text[:300]}" if text else kind
