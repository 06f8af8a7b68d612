"""Script and attribute payloads typed into every text and URL field stay inert wherever they are read."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.factories import (
    ActorFactory,
    CommitmentFactory,
    EventFactory,
    FollowUpFactory,
    ProgressUpdateFactory,
    TopicFactory,
    ViewerFactory,
    send_one,
)
from tracker import followups as outbox
from tracker import services
from tracker.models import Status

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('x')</script>"
ATTRIBUTE = '"><img src=x onerror=alert(1)>'
PAYLOAD = f"{SCRIPT}{ATTRIBUTE}"
# What must never appear unescaped in HTML.
LIVE = ["<script>alert(", "<img src=x", "onerror=alert(1)>"]
URL = 'https://example.org/?q="><script>alert(2)</script>'


@pytest.fixture
def poisoned(analyst):
    owner = ViewerFactory(username="owner", first_name=PAYLOAD, last_name=PAYLOAD)
    maker = ActorFactory(name=f"Maker {PAYLOAD}", role=PAYLOAD, aliases=PAYLOAD)
    counterpart = ActorFactory(name=f"Counterpart {PAYLOAD}")
    event = EventFactory(name=f"Summit {PAYLOAD}", location=PAYLOAD)
    topic = TopicFactory(name=f"Topic {PAYLOAD}")
    commitment = CommitmentFactory(
        title=f'=HYPERLINK("http://evil") {PAYLOAD}',
        description=PAYLOAD,
        quote=PAYLOAD,
        source_title=PAYLOAD,
        source_url=URL,
        made_by=maker,
        event=event,
        owner=owner,
        next_check_on=timezone.localdate() - timedelta(days=30),
        watchers=[analyst],
        topics=[topic],
    )
    commitment.counterparts.add(counterpart)
    ProgressUpdateFactory(commitment=commitment, note=PAYLOAD, evidence_url=URL, status_after=Status.IN_PROGRESS)
    return commitment


def assert_inert(html):
    for live in LIVE:
        assert live not in html
    assert "&lt;script&gt;" in html


def test_board_and_pledge_page_escape_everything(client, analyst, poisoned):
    client.force_login(analyst)
    for path in ("/", f"/?q={poisoned.quote[:10]}", poisoned.get_absolute_url(), "/preferences/"):
        response = client.get(path)
        assert response.status_code == 200, path
        if path != "/preferences/":
            assert_inert(response.text)
        else:
            for live in LIVE:
                assert live not in response.text


def test_admin_pages_escape_everything(admin_client, poisoned):
    for path in (
        "/admin/tracker/commitment/",
        f"/admin/tracker/commitment/{poisoned.pk}/change/",
        f"/admin/tracker/commitment/{poisoned.pk}/history/",
        "/admin/tracker/actor/",
        "/admin/tracker/event/",
        "/admin/tracker/progressupdate/",
        "/admin/auth/user/",
    ):
        response = admin_client.get(path)
        assert response.status_code == 200, path
        for live in LIVE:
            assert live not in response.text, path


def test_csv_export_neutralises_formulas(client, analyst, poisoned):
    client.force_login(analyst)
    response = client.get("/commitments.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    (row,) = rows
    assert row["title"].startswith("'=HYPERLINK(")
    for value in row.values():
        assert not value.startswith(("=", "+", "-", "@"))


def test_emails_escape_everything(mailoutbox, poisoned):
    followup = FollowUpFactory(commitment=poisoned, due_on=poisoned.next_check_on)
    send_one(followup.pk)
    outbox.digests_queue()
    for digest in poisoned.owner.followups.filter(kind="digest"):
        send_one(digest.pk)
    assert len(mailoutbox) == 2
    for message in mailoutbox:
        html = message.alternatives[0][0]
        for live in LIVE:
            assert live not in html
        assert "\n" not in message.subject


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "vbscript:x"])
def test_script_urls_are_refused_as_source_and_evidence(poisoned, url):
    with pytest.raises(ValidationError) as source:
        services.commitment_update(commitment=poisoned, data={"source_url": url})
    assert "source_url" in source.value.message_dict
    with pytest.raises(ValidationError) as evidence:
        services.progress_record(commitment=poisoned, status=Status.FULFILLED, evidence_url=url)
    assert "evidence_url" in evidence.value.message_dict
