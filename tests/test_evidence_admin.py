"""The admin of contacts, requests to offices and replies, and the follow-ups that go to offices."""

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import ActorFactory, CommitmentFactory, body, count_queries
from tracker import evidence
from tracker.admin_evidence import ACCEPT_ON_THE_PLEDGE
from tracker.models import Actor, Commitment, Contact, EvidenceRequest, FollowUp, Reply

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% a tiny test document\n"


def url(model, view, *args):
    return reverse(f"admin:tracker_{model._meta.model_name}_{view}", args=args)


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def act(client, model, action, *rows):
    return client.post(
        url(model, "changelist"), {"action": action, "_selected_action": [row.pk for row in rows]}, follow=True
    )


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(analyst):
    """Japan's pledge, its office, a request answered (with a file), one still waiting."""
    japan = ActorFactory(name="Japan")
    pledge = CommitmentFactory(title="Review tariffs", made_by=japan)
    mofa = Contact.objects.create(actor=japan, name="MOFA press office", email="press@mofa.example.jp")
    desk = Contact.objects.create(actor=japan, name="Kenya desk", email="desk@mofa.example.jp")
    answered = evidence.evidence_request_send(commitment=pledge, contact=mofa, message="Has it started?", user=analyst)
    reply = evidence.reply_submit(
        request=answered,
        text="<script>alert(1)</script> It began in October.",
        links=["https://example.org/review"],
        files=[SimpleUploadedFile("decree.pdf", PDF, content_type="application/pdf")],
    )
    waiting = evidence.evidence_request_send(commitment=pledge, contact=desk, message="Any news?", user=analyst)
    return {"japan": japan, "pledge": pledge, "mofa": mofa, "answered": answered, "reply": reply, "waiting": waiting}


# Contacts


def test_analyst_adds_a_contact_in_the_admin(analyst_client, analyst):
    kenya = ActorFactory(name="Kenya")

    response = analyst_client.post(
        url(Contact, "add"),
        {
            "actor": kenya.pk,
            "name": "National Treasury",
            "email": "info@treasury.example.ke",
            "role": "Press office",
            "language": "sw",
            "is_active": "on",
        },
    )

    assert response.status_code == 302, body(response)
    contact = Contact.objects.get()
    assert (contact.actor, contact.email, contact.language, contact.is_active) == (
        kenya,
        "info@treasury.example.ke",
        "sw",
        True,
    )
    assert contact.history.get().history_user == analyst


def test_a_bad_contact_is_a_form_error(analyst_client):
    kenya = ActorFactory(name="Kenya")

    response = analyst_client.post(
        url(Contact, "add"), {"actor": kenya.pk, "name": "Treasury", "email": "not an address", "language": "de"}
    )

    assert response.status_code == 200
    page = body(response)
    assert "Enter a valid email address." in page and "Select a valid choice." in page
    assert not Contact.objects.exists()


def test_contacts_list_and_search_by_email(analyst_client, world):
    listing = body(analyst_client.get(url(Contact, "changelist")))
    found = body(analyst_client.get(url(Contact, "changelist") + "?q=desk@mofa"))

    assert "MOFA press office" in listing and "press@mofa.example.jp" in listing
    assert "Kenya desk" in found and "MOFA press office" not in found


def test_an_actors_page_lists_its_contacts_and_adds_one(analyst_client, world):
    japan = world["japan"]
    page = body(analyst_client.get(url(Actor, "change", japan.pk)))

    assert "MOFA press office" in page and "Kenya desk" in page

    rows = list(japan.contacts.order_by("pk"))
    data = {
        "name": japan.name,
        "kind": japan.kind,
        "country": japan.country,
        "role": japan.role,
        "aliases": japan.aliases,
        "contacts-TOTAL_FORMS": "3",
        "contacts-INITIAL_FORMS": "2",
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "1000",
        "contacts-2-name": "Embassy in Nairobi",
        "contacts-2-email": "embassy@mofa.example.jp",
        "contacts-2-language": "en",
        "contacts-2-is_active": "on",
    }
    for index, contact in enumerate(rows):
        data.update(
            {
                f"contacts-{index}-id": contact.pk,
                f"contacts-{index}-actor": japan.pk,
                f"contacts-{index}-name": contact.name,
                f"contacts-{index}-email": contact.email,
                f"contacts-{index}-language": contact.language,
                f"contacts-{index}-is_active": "on",
            }
        )
    response = analyst_client.post(url(Actor, "change", japan.pk), data)

    assert response.status_code == 302, body(response)
    assert sorted(japan.contacts.values_list("name", flat=True)) == [
        "Embassy in Nairobi",
        "Kenya desk",
        "MOFA press office",
    ]


# Requests


def test_requests_cannot_be_added_or_changed_in_the_admin(analyst_client, world):
    waiting = world["waiting"]

    assert analyst_client.get(url(EvidenceRequest, "add")).status_code == 403
    page = analyst_client.get(url(EvidenceRequest, "change", waiting.pk))
    analyst_client.post(url(EvidenceRequest, "change", waiting.pk), {"message": "Changed", "state": "answered"})

    assert page.status_code == 200 and "Any news?" in body(page)
    waiting.refresh_from_db()
    assert (waiting.message, waiting.state) == ("Any news?", EvidenceRequest.State.SENT)


def test_withdraw_action_withdraws_and_says_which_it_refused(analyst_client, world):
    waiting, answered = world["waiting"], world["answered"]

    response = act(analyst_client, EvidenceRequest, "withdraw", waiting, answered)

    waiting.refresh_from_db()
    answered.refresh_from_db()
    assert (waiting.state, answered.state) == (EvidenceRequest.State.WITHDRAWN, EvidenceRequest.State.ANSWERED)
    assert FollowUp.objects.get(request=waiting).state == FollowUp.State.CANCELLED
    messages = messages_of(response)
    assert "1 request withdrawn." in messages
    [refused] = [message for message in messages if "was not withdrawn" in message]
    assert "answered" in refused


def test_viewers_cannot_withdraw(viewer_client, world):
    page = body(viewer_client.get(url(EvidenceRequest, "changelist")))
    act(viewer_client, EvidenceRequest, "withdraw", world["waiting"])

    assert 'value="withdraw"' not in page
    world["waiting"].refresh_from_db()
    assert world["waiting"].state == EvidenceRequest.State.SENT


def test_a_request_page_lists_its_replies(analyst_client, world):
    page = body(analyst_client.get(url(EvidenceRequest, "change", world["answered"].pk)))

    assert url(Reply, "change", world["reply"].pk) in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; It began" in page
    assert "<script>alert(1)" not in page


# Replies


def test_replies_are_read_only_with_their_files_linked(analyst_client, world):
    reply = world["reply"]
    [upload] = reply.files.all()

    page = analyst_client.get(url(Reply, "change", reply.pk))
    analyst_client.post(url(Reply, "change", reply.pk), {"text": "Changed", "state": "accepted"})

    assert analyst_client.get(url(Reply, "add")).status_code == 403
    html = body(page)
    assert page.status_code == 200
    assert f'href="{reverse("tracker:reply-file", args=[upload.pk])}"' in html and "decree.pdf" in html
    assert 'href="https://example.org/review"' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert f"{world['pledge'].get_absolute_url()}#reply-{reply.pk}" in html
    reply.refresh_from_db()
    assert (reply.text.endswith("It began in October."), reply.state) == (True, Reply.State.PENDING)


def test_the_replies_list_says_where_replies_are_accepted(analyst_client, world):
    page = body(analyst_client.get(url(Reply, "changelist")))

    assert ACCEPT_ON_THE_PLEDGE.replace("'", "&#x27;") in page
    assert "MOFA press office" in page


def test_dismiss_action_dismisses_and_refuses_a_reviewed_reply(analyst_client, analyst, world):
    reply = world["reply"]

    first = act(analyst_client, Reply, "dismiss", reply)
    again = act(analyst_client, Reply, "dismiss", reply)

    reply.refresh_from_db()
    assert (reply.state, reply.reviewed_by) == (Reply.State.DISMISSED, analyst)
    assert "1 reply dismissed." in messages_of(first)
    assert any("was not dismissed" in message and "dismissed" in message for message in messages_of(again))


def test_viewers_cannot_dismiss(viewer_client, world):
    act(viewer_client, Reply, "dismiss", world["reply"])

    world["reply"].refresh_from_db()
    assert world["reply"].state == Reply.State.PENDING


@pytest.mark.parametrize("model", [Contact, EvidenceRequest, Reply])
def test_history_pages_render(analyst_client, world, model):
    row = {Contact: world["mofa"], EvidenceRequest: world["waiting"], Reply: world["reply"]}[model]

    assert analyst_client.get(url(model, "history", row.pk)).status_code == 200
    assert analyst_client.get(url(model, "history", "abc")).status_code == 404


@pytest.mark.parametrize("model", [EvidenceRequest, Reply])
def test_reverting_a_request_or_a_reply_from_its_history_is_refused(analyst_client, world, model):
    row = {EvidenceRequest: world["waiting"], Reply: world["reply"]}[model]
    evidence.evidence_request_withdraw(request=world["waiting"])
    evidence.reply_dismiss(reply=world["reply"], user=None)
    first = row.history.order_by("history_id").first()
    revert = reverse(f"admin:tracker_{model._meta.model_name}_simple_history", args=[row.pk, first.history_id])

    response = analyst_client.post(revert, {})

    assert response.status_code == 403
    row.refresh_from_db()
    assert row.state in (EvidenceRequest.State.WITHDRAWN, Reply.State.DISMISSED)


# Follow-ups to offices


def test_followup_admin_lists_and_finds_follow_ups_to_offices(analyst_client, world):
    followup = FollowUp.objects.get(request=world["waiting"])

    listing = body(analyst_client.get(url(FollowUp, "changelist")))
    found = body(analyst_client.get(url(FollowUp, "changelist") + "?q=desk@mofa"))
    page = analyst_client.get(url(FollowUp, "change", followup.pk))
    pledge_page = body(analyst_client.get(url(Commitment, "change", world["pledge"].pk)))

    assert "Kenya desk (Japan)" in listing and "MOFA press office (Japan)" in listing
    assert followup.dedupe_key in found and "MOFA press office" not in found
    assert page.status_code == 200
    assert "Kenya desk (Japan)" in pledge_page


# Query counts


def offices_with_replies(count):
    for number in range(count):
        actor = ActorFactory()
        pledge = CommitmentFactory(made_by=actor)
        contact = Contact.objects.create(actor=actor, name=f"Office {number}", email=f"office{number}@example.org")
        made = evidence.evidence_request_send(commitment=pledge, contact=contact, message="Any news?")
        upload = SimpleUploadedFile("scan.pdf", PDF, content_type="application/pdf")
        evidence.reply_submit(request=made, text="Here.", links=["https://example.org/x"], files=[upload])


@pytest.mark.parametrize("model", [Contact, EvidenceRequest, Reply, FollowUp])
def test_changelist_query_count_does_not_grow_with_rows(client, superuser, model):
    client.force_login(superuser)
    offices_with_replies(3)
    with_three = count_queries(client, url(model, "changelist"))
    offices_with_replies(12)

    assert count_queries(client, url(model, "changelist")) == with_three


def test_request_and_actor_pages_query_count_does_not_grow_with_replies_or_contacts(analyst_client, world):
    request_page = url(EvidenceRequest, "change", world["answered"].pk)
    actor_page = url(Actor, "change", world["japan"].pk)
    before = (count_queries(analyst_client, request_page), count_queries(analyst_client, actor_page))
    for number in range(5):
        evidence.reply_submit(request=world["answered"], text=f"More {number}.")
        Contact.objects.create(actor=world["japan"], name=f"Office {number}", email=f"o{number}@mofa.example.jp")

    assert (count_queries(analyst_client, request_page), count_queries(analyst_client, actor_page)) == before
