"""Security headers on every kind of page: CSP without inline scripts, framing, referrer, features."""

import pytest

pytestmark = pytest.mark.django_db

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def csp_directives(header):
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


def assert_security_headers(response):
    assert csp_directives(response["Content-Security-Policy"]) == CSP
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


@pytest.mark.parametrize("path", ["/admin/login/", "/healthz"])
def test_anonymous_pages_carry_the_security_headers(client, path):
    assert_security_headers(client.get(path))


@pytest.mark.parametrize(
    "path", ["/admin/", "/admin/tracker/commitment/", "/admin/tracker/commitment/add/", "/admin/tracker/followup/"]
)
def test_admin_pages_carry_the_security_headers(admin_client, path):
    response = admin_client.get(path)
    assert response.status_code == 200
    assert_security_headers(response)


def test_admin_pages_have_no_inline_script(admin_client):
    for path in ("/admin/", "/admin/tracker/commitment/", "/admin/tracker/commitment/add/"):
        html = admin_client.get(path).text
        assert "<script>" not in html
        assert " onclick=" not in html
        assert "javascript:" not in html


def test_board_pages_carry_the_security_headers(client, analyst):
    from tests.factories import CommitmentFactory

    commitment = CommitmentFactory()
    client.force_login(analyst)
    for path in ("/", commitment.get_absolute_url(), "/extract/", "/preferences/", "/api/v1/commitments/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_security_headers(response)


def test_the_api_docs_page_allows_inline_style_but_no_inline_script(client, analyst):
    client.force_login(analyst)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    directives = csp_directives(response["Content-Security-Policy"])
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self' 'unsafe-inline'"
    assert "<script>" not in response.text
