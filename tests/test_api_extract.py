"""POST /api/v1/extract/: the same drafts as the command, the same refusals as the page."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.factories import ActorFactory, CommitmentFactory, UserFactory
from tests.test_api import client_for
from tracker.extraction import MAX_TEXT_CHARS

pytestmark = pytest.mark.django_db

ARTICLE = Path(__file__).parent / "data" / "extraction" / "ticad9_kenya_japan.txt"
DATE = json.loads(ARTICLE.with_suffix(".json").read_text())["date"]


def test_analysts_get_the_drafts_the_command_gives(analyst):
    ActorFactory(name="Shigeru Ishiba", aliases="Ishiba\nPrime Minister Ishiba")
    response = client_for(analyst).post("/api/v1/extract/", {"text": ARTICLE.read_text(), "date": DATE}, format="json")
    assert response.status_code == 200
    drafts = response.json()
    out = StringIO()
    call_command("extract_pledges", str(ARTICLE), "--json", "--date", DATE, stdout=out)
    assert drafts == json.loads(out.getvalue())
    assert len(drafts) >= 3
    ishiba = [draft for draft in drafts if draft["actor"] == "Shigeru Ishiba"]
    assert ishiba and all(draft["actor_id"] is not None for draft in ishiba)
    assert {"text", "actor", "counterpart", "kind", "due", "amount", "cue", "confidence"} <= set(drafts[0])


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_empty_text_is_a_400_saying_so(analyst, text):
    response = client_for(analyst).post("/api/v1/extract/", {"text": text}, format="json")
    assert response.status_code == 400
    assert response.json() == {"text": ["text is empty"]}


def test_missing_text_and_a_bad_date_are_400s_under_their_names(analyst):
    response = client_for(analyst).post("/api/v1/extract/", {"date": "29/11/2026"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"text", "date"}


def test_text_over_the_limit_is_a_413_stating_it(analyst):
    response = client_for(analyst).post("/api/v1/extract/", {"text": "a" * (MAX_TEXT_CHARS + 1)}, format="json")
    assert response.status_code == 413
    assert response.json() == {"text": [f"The text is {MAX_TEXT_CHARS + 1:,} characters long; the limit is 200,000."]}


@pytest.mark.parametrize("text", ["Der Bundeskanzler sprach lange über nichts.", "\x01\x02ÿþ%%%### 0x7f 0xff ~~~~"])
def test_foreign_text_or_junk_gives_no_drafts(analyst, text):
    response = client_for(analyst).post("/api/v1/extract/", {"text": text}, format="json")
    assert response.status_code == 200
    assert response.json() == []


def test_extract_needs_the_right_to_add_pledges(roles, viewer):
    body = {"text": "The minister promised to build a road."}
    assert client_for(None).post("/api/v1/extract/", body, format="json").status_code == 401
    assert client_for(viewer).post("/api/v1/extract/", body, format="json").status_code == 403
    assert client_for(UserFactory()).post("/api/v1/extract/", body, format="json").status_code == 403


def test_pledges_link_to_their_page_on_the_board(analyst):
    commitment = CommitmentFactory()
    response = client_for(analyst).get(f"/api/v1/commitments/{commitment.pk}/")
    assert response.json()["url"] == f"http://testserver/commitments/{commitment.pk}/"
    listed = client_for(analyst).get("/api/v1/commitments/").json()["results"][0]
    assert listed["url"] == f"http://testserver/commitments/{commitment.pk}/"


def test_the_token_endpoint_locks_after_five_failures(analyst):
    client = client_for(None)
    statuses = [
        client.post("/api/v1/auth/token/", {"username": "analyst", "password": "wrong"}).status_code for _ in range(5)
    ]
    locked = client.post("/api/v1/auth/token/", {"username": "analyst", "password": "correct horse battery"})
    assert statuses == [400] * 5
    assert locked.status_code == 429
    assert locked.json() == {
        "detail": "Too many failed logins for this user from this address; try again in 15 minutes."
    }
    # Another user from the same address is not locked out.
    UserFactory(username="colleague")
    other = client.post("/api/v1/auth/token/", {"username": "colleague", "password": "correct horse battery"})
    assert other.status_code == 200
    assert "token" in other.json()
