"""An article fetched from its link: the page, read safely, and its text, title and date.

The extraction page and POST /api/v1/extract/ take a link instead of pasted
text. The link is the analyst's, so the fetch is guarded against reaching
what the server can reach and the analyst should not (server-side request
forgery): every host, including each redirect's, is resolved here and every
address it resolves to must be a public one (`refused_address`), unless
settings.EXTRACT_ALLOW_PRIVATE_URLS says otherwise.

The connection then goes to the address that was checked, never to the
name: the request's URL carries the IP, while the Host header and the TLS
server name (httpx's `sni_hostname` request extension, which httpcore also
uses to verify the certificate) carry the host name. Resolving the name a
second time at connect time would let a DNS answer that changes between the
two (DNS rebinding) send the request to an internal address.
"""

import datetime
import ipaddress
import logging
import socket
import ssl
import threading
import time
import zlib
from contextlib import contextmanager, suppress
from dataclasses import dataclass

import certifi
import httpx
from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from tracker.extraction import MAX_TEXT_CHARS, text_too_long

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 3
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Less than this is a page's leftovers (menus, buttons, a cookie notice), not an article.
MIN_ARTICLE_CHARS = 200
# The most of a server's own words (a content type, a reason phrase) quoted in a message.
MAX_QUOTED_CHARS = 100
USER_AGENT = "PolicyCommitmentTracker/1.0 (reads one article for its pledges)"
# Content encodings read, each through zlib with a bound on its output: a few hundred bytes of brotli
# (which httpx would decode whole, chunk by chunk) can inflate to gigabytes before any size check.
# Only gzip is asked for; deflate (zlib) is read when a server sends it unasked.
ACCEPT_ENCODING = "gzip"
ZLIB_WBITS = {"gzip": zlib.MAX_WBITS | 16, "x-gzip": zlib.MAX_WBITS | 16, "deflate": zlib.MAX_WBITS | 32}
# 64:ff9b::/96 (RFC 6052): a NAT64 gateway forwards to the IPv4 address in the last 32 bits.
NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")


class FetchError(Exception):
    """Why a link gave no article: a message for the analyst, in the active language."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Page:
    url: str  # after redirects
    content: str | bytes  # bytes when the server named no usable charset: the parser detects it


@dataclass(frozen=True)
class Article:
    url: str
    title: str
    date: datetime.date | None
    text: str


def fetch_article(url: str) -> Article:
    """The article behind `url`; FetchError says why there is none."""
    page = fetch_page(url)
    return article_from_html(page.content, url=page.url)


def refused_address(address) -> bool:
    """Whether a fetch may not connect to this address: anything but the public internet.

    Private, loopback, link-local, multicast, reserved, unspecified and shared
    (100.64.0.0/10) addresses, and IPv6 addresses that carry one of those
    (IPv4-mapped, 6to4, Teredo, NAT64).
    """
    address = ipaddress.ip_address(address)
    if isinstance(address, ipaddress.IPv6Address) and any(refused_address(inner) for inner in _embedded_ipv4(address)):
        return True
    return (
        not address.is_global
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    found = [address.ipv4_mapped, address.sixtofour, *(address.teredo or ())]
    if address in NAT64_PREFIX:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return [inner for inner in found if inner is not None]


def check_url(url) -> httpx.URL:
    """The link parsed, if it is one a fetch may follow: http or https, a host, no user name or password."""
    try:
        parsed = httpx.URL(str(url))
    except (httpx.InvalidURL, TypeError, ValueError):
        raise FetchError(_("This is not a valid link."), code="invalid") from None
    if parsed.scheme not in ("http", "https"):
        raise FetchError(_("Only http and https links can be read."), code="scheme")
    if parsed.userinfo:
        raise FetchError(_("Links with a user name or password in them are refused."), code="credentials")
    if not parsed.raw_host:
        raise FetchError(_("The link has no site name."), code="invalid")
    return parsed


def resolve(host: str, port: int) -> list:
    """The host's addresses, each checked: one refused address refuses the host."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError):
        raise FetchError(_("The site %(host)s could not be found.") % {"host": host}, code="dns") from None
    addresses = []
    for _family, _type, _proto, _name, sockaddr in found:
        # An IPv6 link-local answer may carry its interface ("fe80::1%eth0").
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise FetchError(_("The site %(host)s could not be found.") % {"host": host}, code="dns")
    if not settings.EXTRACT_ALLOW_PRIVATE_URLS:
        for address in addresses:
            if refused_address(address):
                raise FetchError(
                    _(
                        "The link leads to a private or local network address (%(address)s): "
                        "only sites on the public internet can be read."
                    )
                    % {"address": address},
                    code="private",
                )
    return addresses


def fetch_page(url) -> Page:
    """The HTML page behind `url`, with its redirects followed and checked one by one."""
    current = check_url(url)
    seconds = settings.EXTRACT_FETCH_TIMEOUT_SECONDS
    # Each connect and read has the timeout, and so has the whole fetch (`_Deadline`): a server that
    # sends a byte now and then, of its headers or of its body, never trips a read timeout.
    deadline = _Deadline(seconds)
    try:
        # trust_env=False: a proxy from the environment would do the resolving, unchecked.
        with (
            deadline,
            httpx.Client(
                verify=_tls_context(),
                timeout=httpx.Timeout(seconds),
                follow_redirects=False,
                trust_env=False,
                headers={"User-Agent": USER_AGENT, "Accept-Encoding": ACCEPT_ENCODING},
            ) as client,
        ):
            for _hop in range(MAX_REDIRECTS + 1):
                with _send(client, current, deadline) as response:
                    if response.status_code in REDIRECT_STATUSES and "location" in response.headers:
                        # httpx has joined it already, to the IP: a Location it cannot read is a RemoteProtocolError.
                        current = check_url(current.join(response.headers["location"]))
                        continue
                    _check_status(response)
                    _check_type(response)
                    body = _read_capped(response, deadline)
                    return Page(url=str(current.copy_with(fragment=None)), content=_decoded(response, body))
    except httpx.TimeoutException:
        raise _timeout(seconds) from None
    except (httpx.RemoteProtocolError, zlib.error) as error:
        if deadline.expired:
            raise _timeout(seconds) from None
        logger.info("Fetching %s failed: %r", url, error)
        raise FetchError(
            _("The site %(host)s sent an answer that could not be read.") % {"host": current.host}, code="protocol"
        ) from None
    except httpx.HTTPError as error:
        if deadline.expired:
            raise _timeout(seconds) from None
        logger.info("Fetching %s failed: %r", url, error)
        raise FetchError(
            _("The site %(host)s could not be reached.") % {"host": current.host}, code="unreachable"
        ) from None
    raise FetchError(
        _("The link redirects more than %(count)s times: give the article's own address.") % {"count": MAX_REDIRECTS},
        code="redirects",
    )


class _Deadline:
    """The whole fetch's time limit: at its end the fetch's connections are shut, which ends a read mid-way.

    httpx's timeouts are per connect and per read only. The sockets are
    those httpcore reports through its `trace` request extension as it
    connects (and again after TLS wraps them).
    """

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.ends = time.monotonic() + seconds
        self.expired = False
        self._sockets = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc_info):
        self._timer.cancel()

    def remaining(self) -> float:
        left = self.ends - time.monotonic()
        if left <= 0:
            raise _timeout(self.seconds)
        return left

    def trace(self, event: str, info: dict) -> None:
        if event not in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            return
        sock = info["return_value"].get_extra_info("socket")
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock) -> None:
    """Shut a socket down from another thread, which wakes a read blocked on it (closing it would not).

    socket.socket's own shutdown, also for a TLS socket: SSLSocket.shutdown
    would drop its TLS state under the reading thread.
    """
    # OSError: closed already, or detached by the TLS wrapper.
    with suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _tls_context() -> ssl.SSLContext:
    """Certificates checked against certifi's authorities, as httpx does by default."""
    return ssl.create_default_context(cafile=certifi.where())


@contextmanager
def _send(client: httpx.Client, url: httpx.URL, deadline: _Deadline):
    """GET `url` from one of its host's checked addresses, the first that accepts a connection."""
    host = url.raw_host.decode("ascii")
    https = url.scheme == "https"
    port = url.port or (443 if https else 80)
    headers = {"Host": url.netloc.decode("ascii")}
    extensions = {"trace": deadline.trace}
    if https:
        extensions["sni_hostname"] = host
    failure = None
    for address in resolve(host, port):
        request = client.build_request(
            "GET",
            url.copy_with(host=str(address), fragment=None),
            headers=headers,
            extensions=extensions,
            # No connect may outlast the fetch's deadline, however many addresses the host has.
            timeout=deadline.remaining(),
        )
        try:
            response = client.send(request, stream=True)
        except httpx.ConnectError as error:
            failure = error
            continue
        try:
            yield response
        finally:
            response.close()
        return
    if _caused_by(failure, ssl.SSLCertVerificationError):
        raise FetchError(
            _("The certificate of %(host)s could not be verified: its page is not read.") % {"host": url.host},
            code="certificate",
        )
    raise FetchError(_("The site %(host)s could not be reached.") % {"host": url.host}, code="unreachable")


def _caused_by(error: BaseException | None, kind: type[BaseException]) -> bool:
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, kind):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def _check_status(response: httpx.Response) -> None:
    if not response.is_success:
        raise FetchError(
            _("The site answered “%(status)s %(reason)s” instead of the page.")
            % {"status": response.status_code, "reason": response.reason_phrase[:MAX_QUOTED_CHARS]},
            code="status",
        )


def _check_type(response: httpx.Response) -> None:
    declared = response.headers.get("content-type", "")
    kind = declared.split(";", 1)[0].strip().lower()
    if kind not in HTML_TYPES:
        raise FetchError(
            _("The link leads to %(type)s, not a web page: only HTML pages can be read.")
            # Translators: stands for the content type in "The link leads to %(type)s, not a web page".
            % {"type": kind[:MAX_QUOTED_CHARS] or _("a file of unknown type")},
            code="not_html",
        )


def _read_capped(response: httpx.Response, deadline: _Deadline) -> bytes:
    """The body, refused as soon as it passes the size limit, whatever Content-Length says.

    The limit counts the bytes after decompression: that is what the parser
    gets. The body is read raw and inflated here, never more than the limit
    at a time.
    """
    limit = settings.EXTRACT_FETCH_MAX_MB * 1024 * 1024
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large()
    inflater = _inflater(response)
    chunks, size = [], 0
    for raw in response.iter_raw():
        # At most one byte over what is left, which is enough to know the page is too large.
        chunk = raw if inflater is None else inflater.decompress(raw, limit - size + 1)
        size += len(chunk)
        if size > limit:
            raise _too_large()
        if time.monotonic() > deadline.ends:
            raise _timeout(settings.EXTRACT_FETCH_TIMEOUT_SECONDS)
        chunks.append(chunk)
    if deadline.expired:
        # Cut off by the deadline: a body without a length would otherwise end there as if whole.
        raise _timeout(settings.EXTRACT_FETCH_TIMEOUT_SECONDS)
    if inflater is not None:
        chunk = inflater.flush()
        size += len(chunk)
        if size > limit:
            raise _too_large()
        chunks.append(chunk)
    return b"".join(chunks)


def _inflater(response: httpx.Response):
    """A zlib decompressor for the body's Content-Encoding; None when it is not compressed."""
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ZLIB_WBITS:
        return zlib.decompressobj(ZLIB_WBITS[encoding])
    raise FetchError(
        _("The site sent the page compressed as %(encoding)s, which cannot be read: paste the article's text instead.")
        % {"encoding": encoding[:MAX_QUOTED_CHARS]},
        code="encoding",
    )


def _decoded(response: httpx.Response, body: bytes) -> str | bytes:
    charset = response.charset_encoding
    if charset:
        try:
            return body.decode(charset, errors="replace")
        except LookupError:
            pass
    return body


def _too_large() -> FetchError:
    return FetchError(
        _("The page is larger than %(size)s MB: copy the article's text and paste it instead.")
        % {"size": number_format(settings.EXTRACT_FETCH_MAX_MB)},
        code="too_large",
    )


def _timeout(seconds) -> FetchError:
    return FetchError(
        _("The site took longer than %(seconds)s seconds to send the page.") % {"seconds": number_format(seconds)},
        code="timeout",
    )


def article_from_html(html: str | bytes, *, url: str = "") -> Article:
    """The article in a page: its text (paragraphs apart), title and publication date.

    trafilatura reads only the HTML given here: it fetches nothing itself.
    """
    # Imported here: it takes a fifth of a second, which only this needs.
    import trafilatura

    try:
        document = trafilatura.bare_extraction(
            html,
            url=url or None,
            with_metadata=True,
            include_comments=False,
            # The date from the page's metadata and address only: a guess from
            # its text would take a copyright year or a "last updated" line.
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    except Exception:  # a parser on a stranger's HTML: any failure of it means no article
        logger.warning("trafilatura failed on %s", url, exc_info=True)
        document = None
    title = " ".join(str(getattr(document, "title", None) or "").split())
    paragraphs = [" ".join(line.split()) for line in str(getattr(document, "text", None) or "").splitlines()]
    paragraphs = [paragraph for paragraph in paragraphs if paragraph]
    # The headline, repeated as the body's first line, would become a draft of its own.
    if paragraphs and title and paragraphs[0] == title:
        paragraphs = paragraphs[1:]
    # Paragraphs apart, so that a headline or a caption is not read as part of the next sentence.
    text = "\n\n".join(paragraphs)
    if len(text) < MIN_ARTICLE_CHARS:
        raise FetchError(
            _("No article text was found on that page: copy the article's text and paste it instead."),
            code="no_text",
        )
    if text_too_long(text):
        raise FetchError(
            _("The article is too long: %(length)s characters; the limit is %(limit)s characters.")
            % {
                "length": number_format(len(text), force_grouping=True),
                "limit": number_format(MAX_TEXT_CHARS, force_grouping=True),
            },
            code="too_long",
        )
    return Article(url=url, title=title, date=_date(document), text=text)


def _date(document) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(str(getattr(document, "date", None) or "")[:10])
    except ValueError:
        return None
