"""Extraction from a link: the guarded fetch, the article read from the page, the page and the API.

Pages come from a real HTTP server on the loopback interface, which the
tests may reach because they set EXTRACT_ALLOW_PRIVATE_URLS (the `public`
fixture's tests do not).
"""

import contextlib
import gzip
import http.server
import ipaddress
import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
import tracemalloc
import zlib
from datetime import date
from urllib.parse import urlsplit

import brotli
import pytest
from django.urls import reverse

from tests.factories import api_client_for, body, field_errors
from tracker import article_fetch
from tracker.article_fetch import FetchError, article_from_html, fetch_article, refused_address
from tracker.models import Commitment

PLEDGE = "Japan will review tariffs on Kenyan tea by March 2026, Prime Minister Ishiba said."
TWO_YEAR_PLEDGE = "President Ruto pledged to open a trade office in Osaka within two years."
HEADLINE = "Japan to review tariffs on Kenyan tea, Ishiba says"
PUBLISHED = date(2025, 8, 21)

ARTICLE_HTML = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{HEADLINE} | The Daily Ledger</title>
<meta property="og:title" content="{HEADLINE}">
<meta property="article:published_time" content="2025-08-21T09:30:00+03:00">
<meta name="description" content="Tokyo and Nairobi agreed on trade and investment measures at TICAD 9.">
<link rel="stylesheet" href="/static/site.css">
</head>
<body>
<header class="site-header">
  <a href="/" class="logo">The Daily Ledger</a>
  <nav><ul><li><a href="/news">News</a></li><li><a href="/business">Business</a></li>
  <li><a href="/sport">Sport</a></li><li><a href="/opinion">Opinion</a></li></ul></nav>
  <form action="/search"><input name="q" placeholder="Search"></form>
</header>
<main>
<article>
  <h1>{HEADLINE}</h1>
  <p class="byline">By Wanjiru Kamau</p>
  <p>Japan and Kenya agreed on Thursday to deepen trade ties at the ninth Tokyo International Conference on
  African Development, with both leaders pointing to agriculture and infrastructure as the areas that matter most.</p>
  <p>{PLEDGE} He spoke after meeting President William Ruto on the sidelines of the summit.</p>
  <p>{TWO_YEAR_PLEDGE} The two governments also signed a memorandum on geothermal energy in the Rift Valley.</p>
  <p>Kenyan exporters have long complained that duties on processed tea make their products uncompetitive in
  Japanese supermarkets, where Sri Lankan and Indian blends dominate the shelves.</p>
</article>
<aside class="related"><h2>Related</h2><ul><li><a href="/a/1">Tea prices climb in Mombasa auction</a></li>
<li><a href="/a/2">Ruto heads to Japan</a></li></ul></aside>
</main>
<footer><p>&copy; 2024 The Daily Ledger. All rights reserved.</p><a href="/privacy">Privacy</a>
<a href="/terms">Terms</a></footer>
</body>
</html>
"""

# A sign-in page: menus and a form, no article.
NO_ARTICLE_HTML = """<!DOCTYPE html><html><head><title>Sign in</title></head><body>
<nav><a href="/">Home</a> <a href="/login">Log in</a></nav>
<main><form><input name="user"><button>Go</button></form></main><footer>&copy; 2025</footer></body></html>"""

SCRIPT_TITLE_HTML = ARTICLE_HTML.replace(f"<title>{HEADLINE} | The Daily Ledger</title>", "").replace(
    f'content="{HEADLINE}"', 'content="&lt;script&gt;alert(1)&lt;/script&gt; Tea"'
)

ONE_MB = 1024 * 1024

# 64 MB of HTML in about 64 KB of gzip: each network chunk of it inflates a thousandfold.
BOMB_HTML = b"<html><body><p>" + b"a" * (64 * ONE_MB) + b"</p></body></html>"
GZIP_BOMB = zlib.compress(BOMB_HTML, 9, wbits=zlib.MAX_WBITS | 16)
# 8 MB of HTML in a few dozen bytes of brotli, which httpx would inflate whole.
BROTLI_BOMB = brotli.compress(b"<html><body><p>" + b"a" * (8 * ONE_MB) + b"</p></body></html>", quality=1)


class Handler(http.server.BaseHTTPRequestHandler):
    """The routes of the test site; each records the Host header it was sent."""

    def do_GET(self):
        self.server.hosts.append(self.headers.get("Host"))
        path = urlsplit(self.path).path
        if path == "/article":
            self.page(ARTICLE_HTML)
        elif path == "/script-title":
            self.page(SCRIPT_TITLE_HTML)
        elif path == "/long-title":
            self.page(ARTICLE_HTML.replace(HEADLINE, "Tea " * 100))
        elif path == "/xhtml":
            self.page(ARTICLE_HTML, kind="application/xhtml+xml")
        elif path == "/no-article":
            self.page(NO_ARTICLE_HTML)
        elif path.startswith("/hop/"):
            left = int(path.rsplit("/", 1)[1])
            self.redirect("/article" if left <= 1 else f"/hop/{left - 1}")
        elif path == "/relative":
            self.redirect("article?from=relative")
        elif path == "/to-loopback":
            self.redirect(f"http://127.0.0.1:{self.server.server_port}/article")
        elif path == "/to-metadata":
            self.redirect("http://169.254.169.254/latest/meta-data/")
        elif path == "/to-intranet":
            self.redirect("http://intranet.example/")
        elif path == "/to-ftp":
            self.redirect("ftp://files.example/article")
        elif path == "/to-nowhere":
            self.redirect("http://[::1/article")
        elif path == "/big":
            self.big(declared=False)
        elif path == "/big-declared":
            self.big(declared=True)
        elif path == "/pdf":
            self.page("%PDF-1.7 ...", kind="application/pdf")
        elif path == "/json":
            self.page('{"title": "not a page"}', kind="application/json")
        elif path == "/untyped":
            self.page(ARTICLE_HTML, kind=None)
        elif path == "/slow":
            time.sleep(2)
            self.page(ARTICLE_HTML)
        elif path == "/drip":
            self.drip()
        elif path == "/header-drip":
            self.header_drip()
        elif path == "/gzip":
            self.page(gzip.compress(ARTICLE_HTML.encode()), encoding="gzip")
        elif path == "/deflate":
            self.page(zlib.compress(ARTICLE_HTML.encode()), encoding="deflate")
        elif path == "/gzip-bomb":
            self.page(GZIP_BOMB, encoding="gzip")
        elif path == "/broken-gzip":
            self.page(b"not gzip at all", encoding="gzip")
        elif path == "/brotli":
            self.page(BROTLI_BOMB, encoding="br")
        elif path == "/broken":
            self.send_error(500)
        else:
            self.send_error(404)

    def page(self, text, kind="text/html", encoding=None):
        self.server.accepted_encodings.append(self.headers.get("Accept-Encoding"))
        data = text if isinstance(text, bytes) else text.encode()
        self.send_response(200)
        if kind:
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        # OSError: the client stopped reading (a size limit), as tested.
        with contextlib.suppress(OSError):
            self.wfile.write(data)

    def redirect(self, location):
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def big(self, *, declared):
        """3 MB of HTML; without a Content-Length unless `declared` (HTTP/1.0: the body ends with the connection)."""
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        if declared:
            self.send_header("Content-Length", str(3 * ONE_MB))
        self.end_headers()
        chunk = b"<p>" + b"tea " * 16382 + b"</p>\n"
        try:
            for _ in range(3 * ONE_MB // len(chunk) + 1):
                self.wfile.write(chunk)
        except OSError:
            pass  # the client stopped reading: what is tested

    def drip(self):
        """A byte at a time, each well within the read timeout, never finishing in time."""
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        try:
            for _ in range(40):
                self.wfile.write(b"<p>")
                self.wfile.flush()
                time.sleep(0.1)
        except OSError:
            pass

    def header_drip(self):
        """Headers a line at a time, each well within the read timeout, the body never reached in time."""
        try:
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n")
            for number in range(40):
                self.wfile.write(f"X-Slow-{number}: 1\r\n".encode())
                self.wfile.flush()
                time.sleep(0.1)
        except OSError:
            pass

    def log_message(self, *args):
        pass


class Site(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, host="127.0.0.1"):
        super().__init__((host, 0), Handler)
        self.hosts = []
        self.accepted_encodings = []
        self.scheme = "http"

    def url(self, path, host=None):
        return f"{self.scheme}://{host or self.server_address[0]}:{self.server_port}{path}"

    def handle_error(self, request, client_address):
        pass  # a client gone mid-answer (a timeout, a size limit) is expected here


def serve(site):
    thread = threading.Thread(target=site.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return site


@pytest.fixture
def site():
    with serve(Site()) as server:
        yield server
        server.shutdown()


@pytest.fixture(autouse=True)
def private_allowed(settings):
    settings.EXTRACT_ALLOW_PRIVATE_URLS = True


@pytest.fixture
def public(settings):
    """Production's rule: private addresses refused."""
    settings.EXTRACT_ALLOW_PRIVATE_URLS = False


@pytest.fixture
def resolver(monkeypatch):
    """socket.getaddrinfo with made-up names (name -> addresses), every other name as usual; calls recorded."""
    real = socket.getaddrinfo
    names, calls = {}, []

    def getaddrinfo(host, port, *args, **kwargs):
        calls.append(host)
        if host in names:
            answers = names[host]() if callable(names[host]) else names[host]
            return [
                (
                    socket.AF_INET6 if ":" in address else socket.AF_INET,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (address, port, 0, 0) if ":" in address else (address, port),
                )
                for address in answers
            ]
        if host.endswith(".example"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(article_fetch.socket, "getaddrinfo", getaddrinfo)
    getaddrinfo.names, getaddrinfo.calls = names, calls
    return getaddrinfo


def refused(url) -> FetchError:
    with pytest.raises(FetchError) as caught:
        fetch_article(url)
    return caught.value


# ------------------------------------------------------------ the address guard


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1",
        "172.16.0.1",
        "192.168.1.1",
        "127.0.0.1",
        "::1",
        "fe80::1",
        "169.254.169.254",
        "100.64.0.1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "0.0.0.0",  # noqa: S104 - an address refused, not bound
        "::",
        "fc00::1",
        "fd12:3456::1",
        "224.0.0.1",
        "ff02::1",
        "240.0.0.1",
        "255.255.255.255",
        "2002:7f00:1::1",  # 6to4 around 127.0.0.1
        "64:ff9b::a00:1",  # NAT64 to 10.0.0.1
    ],
)
def test_private_local_and_special_addresses_are_refused(address):
    assert refused_address(address)
    assert refused_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "8.8.8.8"])
def test_public_addresses_are_allowed(address):
    assert not refused_address(address)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://[::1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://0.0.0.0/",
        "http://[::ffff:127.0.0.1]/",
        "http://localhost/",
    ],
)
def test_a_link_to_a_private_address_is_refused(public, url):
    error = refused(url)

    assert error.code == "private"
    assert "private or local network address" in error.message


def test_a_private_address_is_refused_before_any_connection(public, site):
    assert refused(site.url("/article")).code == "private"
    assert site.hosts == []


def test_a_name_resolving_to_a_private_address_is_refused(public, resolver):
    resolver.names["intranet.example"] = ["10.1.2.3"]

    error = refused("https://intranet.example/news")

    assert error.code == "private"
    assert "10.1.2.3" in error.message


def test_every_address_of_a_name_is_checked(public, resolver):
    resolver.names["mixed.example"] = ["93.184.216.34", "127.0.0.1"]

    assert refused("http://mixed.example/").code == "private"


def test_each_redirect_is_checked_too(public, resolver, monkeypatch):
    # The site answers on 127.0.0.2, taken for a public address here; every other address keeps the real rule.
    monkeypatch.setattr(
        article_fetch, "refused_address", lambda address: str(address) != "127.0.0.2" and refused_address(address)
    )
    resolver.names["news.example"] = ["127.0.0.2"]
    resolver.names["intranet.example"] = ["10.0.0.7"]
    with serve(Site(host="127.0.0.2")) as other:
        try:
            assert fetch_article(other.url("/article", host="news.example")).text
            for path, address in [
                ("/to-loopback", "127.0.0.1"),
                ("/to-metadata", "169.254.169.254"),
                ("/to-intranet", "10.0.0.7"),
            ]:
                error = refused(other.url(path, host="news.example"))
                assert error.code == "private", path
                assert address in error.message
        finally:
            other.shutdown()


def test_the_connection_goes_to_the_checked_address_with_the_name_in_the_host_header(resolver, site):
    # A second lookup would answer an address nothing listens on: the fetch must not make one.
    answers = iter([["127.0.0.1"]])
    resolver.names["news.example"] = lambda: next(answers, ["192.0.2.1"])

    article = fetch_article(site.url("/article", host="news.example"))

    assert article.url == site.url("/article", host="news.example")
    assert resolver.calls.count("news.example") == 1
    assert site.hosts == [f"news.example:{site.server_port}"]


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("ftp://example.org/article", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("gopher://example.org/", "scheme"),
        ("javascript:alert(1)", "scheme"),
        ("https://user:secret@example.org/article", "credentials"),
        ("https://user@example.org/article", "credentials"),
        ("https:///article", "invalid"),
        ("http://[::1/", "invalid"),
        ("http://:80/", "invalid"),
    ],
)
def test_other_schemes_credentials_and_broken_links_are_refused(resolver, url, code):
    assert refused(url).code == code
    assert resolver.calls == []


def test_a_name_that_does_not_resolve_is_reported(resolver):
    error = refused("https://nowhere.example/article")

    assert error.code == "dns"
    assert "nowhere.example could not be found" in error.message


def test_a_closed_port_is_reported_as_unreachable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    error = refused(f"http://127.0.0.1:{port}/article")

    assert error.code == "unreachable"
    assert "could not be reached" in error.message


# ------------------------------------------------------------ the fetch


def test_a_saved_article_gives_its_text_title_and_date(site):
    article = fetch_article(site.url("/article"))

    assert article.url == site.url("/article")
    assert article.title == HEADLINE
    assert article.date == PUBLISHED
    assert PLEDGE in article.text
    # Paragraphs apart; no menu, footer or related links; the headline not repeated as the first line.
    assert "\n\n" in article.text
    assert not article.text.startswith(HEADLINE)
    for chrome in ("Opinion", "All rights reserved", "Tea prices climb", "Search"):
        assert chrome not in article.text


def test_xhtml_is_read_like_html(site):
    assert PLEDGE in fetch_article(site.url("/xhtml")).text


def test_three_redirects_are_followed_and_the_address_is_the_last(site):
    article = fetch_article(site.url("/hop/3"))

    assert article.url == site.url("/article")
    assert len(site.hosts) == 4


def test_a_relative_redirect_is_followed(site):
    assert fetch_article(site.url("/relative")).url == site.url("/article?from=relative")


def test_a_fourth_redirect_is_refused(site):
    error = refused(site.url("/hop/4"))

    assert error.code == "redirects"
    assert "more than 3 times" in error.message
    assert len(site.hosts) == 4


def test_a_redirect_to_another_scheme_or_a_broken_link_is_refused(site):
    assert refused(site.url("/to-ftp")).code == "scheme"
    error = refused(site.url("/to-nowhere"))
    assert error.code == "protocol"
    assert "sent an answer that could not be read" in error.message


@pytest.mark.parametrize("path", ["/big", "/big-declared"], ids=["no-length", "declared-length"])
def test_a_page_over_2_mb_is_refused(site, path):
    error = refused(site.url(path))

    assert error.code == "too_large"
    assert "larger than 2 MB" in error.message


def test_the_size_limit_is_a_setting(site, settings):
    settings.EXTRACT_FETCH_MAX_MB = 4

    # Read whole: 3 MB of text, more than the engine takes.
    error = refused(site.url("/big"))

    assert error.code == "too_long"
    assert "The article is too long" in error.message


@pytest.mark.parametrize(
    ("path", "kind"),
    [("/pdf", "application/pdf"), ("/json", "application/json"), ("/untyped", "a file of unknown type")],
)
def test_anything_but_html_is_refused_naming_its_type(site, path, kind):
    error = refused(site.url(path))

    assert error.code == "not_html"
    assert kind in error.message
    assert "only HTML pages can be read" in error.message


@pytest.mark.parametrize(("path", "status"), [("/missing", "404 Not Found"), ("/broken", "500 Internal Server Error")])
def test_an_http_error_names_the_status(site, path, status):
    error = refused(site.url(path))

    assert error.code == "status"
    assert f"“{status}”" in error.message


def test_a_page_without_an_article_is_refused(site):
    error = refused(site.url("/no-article"))

    assert error.code == "no_text"
    assert "No article text was found" in error.message


def test_a_slow_server_times_out(site, settings):
    settings.EXTRACT_FETCH_TIMEOUT_SECONDS = 0.3

    error = refused(site.url("/slow"))

    assert error.code == "timeout"
    assert "longer than 0.3 seconds" in error.message


def test_a_page_sent_a_byte_at_a_time_is_stopped_at_the_timeout(site, settings):
    settings.EXTRACT_FETCH_TIMEOUT_SECONDS = 0.5

    assert refused(site.url("/drip")).code == "timeout"


def test_headers_sent_a_line_at_a_time_are_stopped_at_the_timeout(site, settings):
    settings.EXTRACT_FETCH_TIMEOUT_SECONDS = 0.5
    started = time.monotonic()

    error = refused(site.url("/header-drip"))

    assert error.code == "timeout"
    # 40 header lines a tenth of a second apart would take 4 seconds.
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("path", ["/gzip", "/deflate"])
def test_a_compressed_page_is_read(site, path):
    assert PLEDGE in fetch_article(site.url(path)).text
    # Only gzip is asked for: deflate is read when sent unasked.
    assert site.accepted_encodings == ["gzip"]


def test_a_compression_bomb_is_refused_without_being_inflated_in_memory(site):
    tracemalloc.start()
    try:
        error = refused(site.url("/gzip-bomb"))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert error.code == "too_large"
    # The 2 MB limit and a network chunk of compressed bytes, never the 64 MB it inflates to.
    assert peak < 10 * ONE_MB


def test_a_page_compressed_in_an_encoding_not_asked_for_is_refused(site):
    error = refused(site.url("/brotli"))

    assert error.code == "encoding"
    assert "compressed as br" in error.message


def test_a_broken_compressed_page_is_an_answer_that_could_not_be_read(site):
    error = refused(site.url("/broken-gzip"))

    assert error.code == "protocol"
    assert "could not be read" in error.message


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command to make a certificate")
def test_https_checks_the_certificate_against_the_name_while_connecting_to_the_address(tmp_path, resolver, monkeypatch):
    authority = make_certificates(tmp_path, "news.example")
    monkeypatch.setattr(article_fetch, "_tls_context", lambda: ssl.create_default_context(cafile=authority))
    resolver.names["news.example"] = ["127.0.0.1"]
    resolver.names["other.example"] = ["127.0.0.1"]
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(tmp_path / "site.pem", tmp_path / "site.key")
    with serve(Site()) as secure:
        secure.socket = server_tls.wrap_socket(secure.socket, server_side=True)
        secure.scheme = "https"
        try:
            assert fetch_article(secure.url("/article", host="news.example")).title == HEADLINE
            # The same address under a name the certificate does not carry.
            error = refused(secure.url("/article", host="other.example"))
            assert error.code == "certificate"
            assert "certificate of other.example could not be verified" in error.message
        finally:
            secure.shutdown()


def make_certificates(folder, name):
    """A certificate authority and a certificate for `name` signed by it; the authority's file."""

    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)  # noqa: S607

    curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *curve, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Test CA")
    openssl("req", *curve, "-keyout", "site.key", "-out", "site.csr", "-subj", f"/CN={name}")
    (folder / "site.ext").write_text(f"subjectAltName=DNS:{name}\n")
    openssl(
        "x509", "-req", "-in", "site.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "site.pem", "-days", "2", "-extfile", "site.ext",
    )  # fmt: skip
    return str(folder / "ca.pem")


# ------------------------------------------------------------ reading the HTML


def test_html_that_the_parser_cannot_read_is_no_article():
    with pytest.raises(FetchError) as caught:
        article_from_html(b"\x00\xff\xfe" * 50, url="https://example.org/")
    assert caught.value.code == "no_text"


def test_a_date_only_in_the_copyright_line_is_not_taken():
    html = ARTICLE_HTML.replace('<meta property="article:published_time" content="2025-08-21T09:30:00+03:00">', "")

    assert article_from_html(html, url="https://example.org/news").date is None


# ------------------------------------------------------------ the page


def find_url(client, url, **fields):
    return client.post(reverse("tracker:extract"), {"action": "find", "url": url, "text": "", **fields})


@pytest.mark.django_db
def test_the_page_drafts_pledges_from_a_link_with_the_source_filled_in(analyst_client, site):
    response = find_url(analyst_client, site.url("/hop/2"))

    assert response.status_code == 200, body(response)[:2000]
    texts = [form.initial["text"] for form in response.context["formset"].forms]
    assert any(PLEDGE in text for text in texts)
    assert response.context["source"]["source_url"] == site.url("/article")
    assert response.context["source"]["source_title"] == HEADLINE
    assert response.context["source"]["article_date"] == PUBLISHED
    html = body(response)
    assert f'name="source_url" value="{site.url("/article")}"' in html
    assert f'name="source_title" value="{HEADLINE}"' in html
    assert 'name="article_date" value="2025-08-21"' in html
    assert f'<dd id="source-title">{HEADLINE}</dd>' in html
    # Relative deadlines count from the page's date.
    due = {form.initial["text"]: form.initial["due"] for form in response.context["formset"].forms}
    assert due[next(text for text in due if TWO_YEAR_PLEDGE in text)] == date(2027, 8, 21)


@pytest.mark.django_db
def test_the_analysts_own_source_url_and_date_win_over_the_pages(analyst_client, site):
    response = find_url(
        analyst_client, site.url("/article"), source_url="https://example.org/print/1", article_date="2025-09-01"
    )

    assert response.status_code == 200
    assert response.context["source"]["source_url"] == "https://example.org/print/1"
    assert response.context["source"]["article_date"] == date(2025, 9, 1)
    assert response.context["source"]["source_title"] == HEADLINE


@pytest.mark.django_db
def test_pledges_created_from_a_link_keep_its_address_and_date(analyst_client, site):
    response = find_url(analyst_client, site.url("/article"))
    forms = response.context["formset"].forms
    index = next(i for i, form in enumerate(forms) if PLEDGE in form.initial["text"])
    data = {
        "action": "create",
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "0",
        "source_url": response.context["source"]["source_url"],
        "source_title": HEADLINE,
        "article_date": "2025-08-21",
        "event": "",
    }
    for name, value in forms[index].initial.items():
        if value is not None and name not in ("suggested", "renews"):
            data[f"form-0-{name}"] = value
    data["form-0-selected"] = "on"
    data["form-0-actor"] = data.get("form-0-actor") or "Japan"

    created = analyst_client.post(reverse("tracker:extract"), data)

    assert created.status_code in (200, 302), body(created)[:2000]
    pledge = Commitment.objects.get()
    assert pledge.source_url == site.url("/article")
    assert pledge.source_title == HEADLINE
    assert pledge.made_on == PUBLISHED
    assert PLEDGE in pledge.quote


@pytest.mark.django_db
def test_a_title_from_the_page_is_shown_as_text(analyst_client, site):
    response = find_url(analyst_client, site.url("/script-title"))

    html = body(response)
    assert response.status_code == 200
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Tea" in html


@pytest.mark.django_db
def test_a_title_longer_than_a_pledge_keeps_is_cut_to_fit(analyst_client, site):
    response = find_url(analyst_client, site.url("/long-title"))

    assert response.status_code == 200
    assert response.context["source"]["source_title"] == ("Tea " * 100).strip()[:300]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/missing", "“404 Not Found”"),
        ("/pdf", "application/pdf"),
        ("/big", "larger than 2 MB"),
        ("/hop/4", "more than 3 times"),
        ("/no-article", "No article text was found"),
    ],
)
def test_a_failed_fetch_is_an_error_next_to_the_link(analyst_client, site, path, message):
    response = find_url(analyst_client, site.url(path))

    assert response.status_code == 400
    assert message in field_errors(body(response), "id_url")
    assert 'id="create-drafts"' not in body(response)


@pytest.mark.django_db
def test_a_private_link_is_refused_on_the_page(analyst_client, public):
    response = find_url(analyst_client, "http://169.254.169.254/latest/meta-data/")

    assert response.status_code == 400
    assert "private or local network address" in field_errors(body(response), "id_url")


@pytest.mark.django_db
def test_a_link_and_text_together_are_refused(analyst_client, site):
    response = analyst_client.post(
        reverse("tracker:extract"), {"action": "find", "url": site.url("/article"), "text": PLEDGE}
    )

    assert response.status_code == 400
    assert "not both" in field_errors(body(response), "id_url")
    assert site.hosts == []


@pytest.mark.django_db
def test_neither_link_nor_text_asks_for_one(analyst_client):
    response = analyst_client.post(reverse("tracker:extract"), {"action": "find", "url": "", "text": " "})

    assert response.status_code == 400
    assert "The text is empty" in field_errors(body(response), "id_text")


@pytest.mark.django_db
def test_a_link_without_a_scheme_is_taken_as_https(analyst_client, resolver):
    response = find_url(analyst_client, "nowhere.example/news")

    assert response.status_code == 400
    assert "nowhere.example could not be found" in field_errors(body(response), "id_url")
    assert "nowhere.example" in resolver.calls


@pytest.mark.django_db
def test_a_page_with_no_pledges_says_which_page_was_read(analyst_client, site, monkeypatch):
    monkeypatch.setattr("tracker.views.extract_pledges", lambda text, **kwargs: [])

    response = find_url(analyst_client, site.url("/article"))

    assert response.status_code == 200
    html = body(response)
    assert "No pledges found" in html
    assert f"The page read: “{HEADLINE}”." in html


@pytest.mark.django_db
def test_the_page_offers_the_link_field(analyst_client):
    html = body(analyst_client.get(reverse("tracker:extract")))

    assert 'name="url"' in html
    assert 'type="url"' in html
    assert 'name="source_title"' not in html


# ------------------------------------------------------------ the API


@pytest.mark.django_db
def test_the_api_drafts_pledges_from_a_url(analyst, site):
    response = api_client_for(analyst).post("/api/v1/extract/", {"url": site.url("/article")}, format="json")

    assert response.status_code == 200
    drafts = response.json()
    pledge = next(draft for draft in drafts if PLEDGE in draft["text"])
    assert pledge["due"] == "2026-03-31"
    # The page's date is the default article date.
    assert next(draft for draft in drafts if TWO_YEAR_PLEDGE in draft["text"])["due"] == "2027-08-21"
    # Each draft says where it comes from, for the pledge's source fields.
    assert {json.dumps(draft["source"], sort_keys=True) for draft in drafts} == {
        json.dumps({"url": site.url("/article"), "title": HEADLINE, "date": "2025-08-21"}, sort_keys=True)
    }


@pytest.mark.django_db
def test_the_api_gives_no_source_for_pasted_text(analyst):
    response = api_client_for(analyst).post("/api/v1/extract/", {"text": PLEDGE}, format="json")

    assert response.status_code == 200
    assert [draft["source"] for draft in response.json()] == [None]


@pytest.mark.django_db
def test_the_api_takes_its_date_over_the_pages(analyst, site):
    response = api_client_for(analyst).post(
        "/api/v1/extract/", {"url": site.url("/article"), "text": "", "date": "2026-01-01"}, format="json"
    )

    assert response.status_code == 200
    assert next(draft for draft in response.json() if TWO_YEAR_PLEDGE in draft["text"])["due"] == "2028-01-01"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/missing", "“404 Not Found”"),
        ("/json", "application/json"),
        ("/big", "larger than 2 MB"),
        ("/hop/4", "more than 3 times"),
        ("/no-article", "No article text was found"),
    ],
)
def test_api_fetch_failures_are_400s_under_url(analyst, site, path, message):
    response = api_client_for(analyst).post("/api/v1/extract/", {"url": site.url(path)}, format="json")

    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == ["url"]
    assert message in errors["url"][0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1/", "private or local network address"),
        ("http://[::1]:8000/", "private or local network address"),
        ("ftp://example.org/", "Only http and https"),
        ("https://user:pw@example.org/", "user name or password"),
        ("not a link", "Only http and https"),
    ],
)
def test_api_refused_urls_are_400s_under_url(analyst, public, url, message):
    response = api_client_for(analyst).post("/api/v1/extract/", {"url": url}, format="json")

    assert response.status_code == 400
    assert message in response.json()["url"][0]


@pytest.mark.django_db
def test_api_text_and_url_together_are_refused(analyst, site):
    response = api_client_for(analyst).post(
        "/api/v1/extract/", {"url": site.url("/article"), "text": PLEDGE}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"url": ["Send the article's text or its url, not both."]}
    assert site.hosts == []


@pytest.mark.django_db
def test_api_neither_text_nor_url_says_text_is_required(analyst):
    response = api_client_for(analyst).post("/api/v1/extract/", {}, format="json")

    assert response.status_code == 400
    assert response.json() == {"text": ["This field is required."]}


@pytest.mark.django_db
def test_api_url_needs_the_right_to_add_pledges(roles, viewer, site):
    body_ = {"url": site.url("/article")}

    assert api_client_for(None).post("/api/v1/extract/", body_, format="json").status_code == 401
    assert api_client_for(viewer).post("/api/v1/extract/", body_, format="json").status_code == 403
    assert site.hosts == []
