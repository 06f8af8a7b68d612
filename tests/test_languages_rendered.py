"""Each language end to end: the analysts' board, the public board and the emails, read in French and Swahili.

The catalogues' completeness is tests/test_translations.py's; these check that
what a reader gets is in their language: the page's own words, the status
names, the dates, and the emails in the recipient's language whatever the
sender's.
"""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import translation

from tests.factories import CommitmentFactory, FollowUpFactory, UserFactory, body, today
from tracker import emails, evidence, services
from tracker.models import Contact, FollowUp, Status

pytestmark = pytest.mark.django_db

LANGUAGES = ("fr", "sw")
MADE_ON = date(2025, 8, 21)


def translated(language, text, context=None):
    """`text` in `language`, checked to differ from the English so that a test cannot pass on a missing string."""
    with translation.override(language):
        words = translation.pgettext(context, text) if context else translation.gettext(text)
    assert words != text, f"{text!r} has no {language} translation"
    return words


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_analysts_board_is_in_the_analysts_language(client, analyst, language):
    services.notification_preference_update(user=analyst, data={"language": language})
    client.force_login(analyst)  # signing in reads the preference into the session
    CommitmentFactory(title="Review tariffs on Kenyan avocados", status=Status.IN_PROGRESS, made_on=MADE_ON)

    page = body(client.get(reverse("tracker:board")))

    assert f'<html lang="{language}">' in page
    assert translated(language, "Status board") in page
    assert translated(language, "In progress") in page
    assert "Review tariffs on Kenyan avocados" in page  # content stays as entered


@pytest.mark.parametrize(("language", "made_on"), [("fr", "21 août 2025"), ("sw", "21 Agosti 2025")])
def test_the_public_board_is_in_the_language_of_its_address(client, language, made_on):
    pledge = CommitmentFactory(title="Samurai Bond", status=Status.FULFILLED, made_on=MADE_ON, is_public=True)

    page = body(client.get(f"/{language}/public/"))

    assert f'<html lang="{language}">' in page
    assert translated(language, "Fulfilled") in page
    assert pledge.title in page
    # The day first, the month in the reader's words (config/formats/sw: Django has no Swahili formats).
    assert made_on in body(client.get(f"/{language}/public/commitments/{pledge.pk}/"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_followup_email_is_in_its_recipients_language(language):
    owner = UserFactory(username="amina", email="amina@example.org")
    services.notification_preference_update(user=owner, data={"language": language})
    commitment = CommitmentFactory(title="Samurai Bond", owner=owner, next_check_on=today())
    followup = FollowUpFactory(commitment=commitment, kind=FollowUp.Kind.CHECKUP)

    with translation.override("en"):  # the worker's own language does not matter
        message = emails.followup_message(followup)

    subject = translated(language, "Time to check: %(title)s (%(maker)s)") % {
        "title": commitment.title,
        "maker": commitment.made_by.name,
    }
    assert message.subject == subject
    html = message.alternatives[0][0]
    assert f'lang="{language}"' in html


def test_an_analyst_without_a_preference_gets_english():
    owner = UserFactory(username="kenji", email="kenji@example.org")
    followup = FollowUpFactory(commitment=CommitmentFactory(owner=owner, next_check_on=today()))

    with translation.override("fr"):
        message = emails.followup_message(followup)

    assert message.subject.startswith("Time to check: ")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_request_to_an_office_is_in_the_contacts_language(language):
    commitment = CommitmentFactory(title="Samurai Bond")
    contact = Contact.objects.create(
        actor=commitment.made_by, name="Cabinet Secretary", email="office@example.go.ke", language=language
    )
    evidence.evidence_request_send(commitment=commitment, contact=contact, message="The bond's term sheet, please.")
    followup = FollowUp.objects.get(contact=contact)

    message = emails.followup_message(followup)

    expected = translated(language, "Evidence requested: %(title)s (%(maker)s)") % {
        "title": commitment.title,
        "maker": commitment.made_by.name,
    }
    assert expected in message.subject


def test_an_unreadable_public_filter_is_named_in_french_typography(client):
    page = body(client.get("/fr/public/?status=lost"))

    # French sets a space before a colon: the pattern is the catalogue's, not the template's.
    label = translated("fr", "Status")
    assert translated("fr", "%(label)s: %(error)s") % {"label": label, "error": ""} == f"{label} : "
    assert f"<li>{label} : " in page


@pytest.mark.parametrize(("language", "written"), [("en", "40%"), ("fr", "40\u00a0%"), ("sw", "40%")])
def test_a_percentage_is_written_as_the_readers_language_writes_it(client, language, written):
    pledge = CommitmentFactory(title="Samurai Bond", progress=40, is_public=True)

    page = body(client.get(f"/{language}/public/commitments/{pledge.pk}/"))

    assert f"<dd>{written}</dd>" in page
