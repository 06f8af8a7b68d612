"""POST /api/v1/extract/: the same drafts as the command, the same refusals as the page."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.factories import ActorFactory, UserFactory, api_client_for
from tracker.extraction import MAX_TEXT_CHARS

pytestmark = pytest.mark.django_db

ARTICLE = Path(__file__).parent / "data" / "extraction" / "ticad9_kenya_japan.txt"
DATE = json.loads(ARTICLE.with_suffix(".json").read_text())["date"]


def test_analysts_get_the_drafts_the_command_gives(analyst):
    ActorFactory(name="Shigeru Ishiba", aliases="Ishiba\nPrime Minister Ishiba")
    response = api_client_for(analyst).post(
        "/api/v1/extract/", {"text": ARTICLE.read_text(), "date": DATE}, format="json"
    )
    assert response.status_code == 200
    drafts = response.json()
    out = StringIO()
    call_command("extract_pledges", str(ARTICLE), "--json", "--date", DATE, stdout=out)
    # The same drafts; pasted text has no fetched page as its source.
    assert drafts == [{**draft, "source": None} for draft in json.loads(out.getvalue())]
    assert len(drafts) >= 3
    ishiba = [draft for draft in drafts if draft["actor"] == "Shigeru Ishiba"]
    assert ishiba and all(draft["actor_id"] is not None for draft in ishiba)
    assert {"text", "actor", "counterpart", "kind", "due", "amount", "cue", "confidence"} <= set(drafts[0])


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_empty_text_is_a_400_saying_so(analyst, text):
    response = api_client_for(analyst).post("/api/v1/extract/", {"text": text}, format="json")
    assert response.status_code == 400
    assert response.json() == {"text": ["text is empty"]}


def test_missing_text_and_a_bad_date_are_400s_under_their_names(analyst):
    response = api_client_for(analyst).post("/api/v1/extract/", {"date": "29/11/2026"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"text", "date"}


def test_text_over_the_limit_is_a_413_stating_it(analyst):
    response = api_client_for(analyst).post("/api/v1/extract/", {"text": "a" * (MAX_TEXT_CHARS + 1)}, format="json")
    assert response.status_code == 413
    assert response.json() == {"text": [f"The text is {MAX_TEXT_CHARS + 1:,} characters long; the limit is 200,000."]}


@pytest.mark.parametrize("text", ["Der Bundeskanzler sprach lange über nichts.", "\x01\x02ÿþ%%%### 0x7f 0xff ~~~~"])
def test_foreign_text_or_junk_gives_no_drafts(analyst, text):
    response = api_client_for(analyst).post("/api/v1/extract/", {"text": text}, format="json")
    assert response.status_code == 200
    assert response.json() == []


def test_extract_needs_the_right_to_add_pledges(roles, viewer):
    body = {"text": "The minister promised to build a road."}
    assert api_client_for(None).post("/api/v1/extract/", body, format="json").status_code == 401
    assert api_client_for(viewer).post("/api/v1/extract/", body, format="json").status_code == 403
    assert api_client_for(UserFactory()).post("/api/v1/extract/", body, format="json").status_code == 403
