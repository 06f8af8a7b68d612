"""Property-based tests: arbitrary text, numbers and dates reach the services and forms.

Whatever comes in, the outcome is a saved record that keeps the rules or a
ValidationError keyed by field (a form error, a 400), never another
exception (a 500), and a refused write changes nothing.
"""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import ActorFactory, CommitmentFactory
from tracker import services
from tracker.models import Commitment, ProgressUpdate, Status

pytestmark = pytest.mark.django_db

examples = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Plain text, and short text rich in what breaks things: NUL (PostgreSQL refuses it), markup, quotes.
any_text = st.one_of(st.text(max_size=400), st.text(alphabet=st.sampled_from("a \x00<>\"'&;="), max_size=12))
urls = st.one_of(
    st.just(""),
    any_text,
    st.from_regex(r"\A(https?|javascript|ftp|data):(//)?[a-z0-9.\-]{1,30}(/[^\s]{0,30})?\Z"),
)
dates = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))


def mostly(valid, anything):
    """Valid values two times in three, so that examples get past the first check to the later ones."""
    return st.one_of(valid, valid, anything)


statuses = mostly(st.sampled_from(Status.values), any_text)
past_dates = mostly(st.dates(min_value=date(2000, 1, 1), max_value=date(2025, 8, 20)), dates)
intervals = mostly(st.integers(min_value=1, max_value=3650), st.integers())
kinds = mostly(st.sampled_from(Commitment.Kind.values), any_text)
web_urls = mostly(st.from_regex(r"\Ahttps://[a-z]{1,12}\.org/[a-z0-9]{0,12}\Z"), urls)


def refused_or_valid(call):
    """Run `call` in a savepoint; returns (result, None) or (None, ValidationError)."""
    try:
        with transaction.atomic():
            return call(), None
    except ValidationError as error:
        assert error.messages, "a ValidationError must say what is wrong"
        return None, error


@examples
@given(
    status=statuses,
    progress=st.one_of(st.none(), st.integers(min_value=0, max_value=100), st.integers()),
    note=any_text,
    evidence_url=web_urls,
    recorded_on=st.one_of(st.none(), past_dates),
    expected_status=st.one_of(st.none(), st.sampled_from(Status.values)),
)
def test_recording_an_update_saves_or_refuses(status, progress, note, evidence_url, recorded_on, expected_status):
    commitment = CommitmentFactory(status=Status.IN_PROGRESS, progress=30)
    update, error = refused_or_valid(
        lambda: services.progress_record(
            commitment=commitment,
            status=status,
            progress=progress,
            note=note,
            evidence_url=evidence_url,
            recorded_on=recorded_on,
            expected_status=expected_status,
        )
    )
    saved = Commitment.objects.get(pk=commitment.pk)
    if error:
        assert (saved.status, saved.progress) == (Status.IN_PROGRESS, 30)
        assert not ProgressUpdate.objects.filter(commitment=commitment).exists()
    else:
        assert (saved.status, saved.progress) == (status, update.progress)
        assert 0 <= update.progress <= 100
        if status in (Status.FULFILLED, Status.BROKEN):
            assert update.evidence_url.startswith(("http://", "https://"))


@examples
@given(
    title=any_text,
    quote=any_text,
    source_url=web_urls,
    made_on=past_dates,
    due_on=st.one_of(st.none(), dates),
    check_every_days=intervals,
    kind=kinds,
)
def test_creating_a_pledge_saves_or_refuses(title, quote, source_url, made_on, due_on, check_every_days, kind):
    actor = ActorFactory()
    before = Commitment.objects.count()
    commitment, error = refused_or_valid(
        lambda: services.commitment_create(
            data={
                "title": title,
                "quote": quote,
                "source_url": source_url,
                "made_by": actor,
                "made_on": made_on,
                "due_on": due_on,
                "check_every_days": check_every_days,
                "kind": kind,
            }
        )
    )
    if error:
        assert Commitment.objects.count() == before
    else:
        saved = Commitment.objects.get(pk=commitment.pk)
        assert saved.title == title
        assert saved.status == Status.ANNOUNCED
        assert 1 <= saved.check_every_days <= 3650


@examples
@given(
    data=st.fixed_dictionaries(
        {},
        optional={
            "title": any_text,
            "description": any_text,
            "source_url": web_urls,
            "made_on": past_dates,
            "due_on": st.one_of(st.none(), dates),
            "next_check_on": st.one_of(st.none(), dates),
            "check_every_days": intervals,
            "kind": kinds,
            "status": statuses,
            "progress": st.integers(),
        },
    )
)
def test_editing_a_pledge_saves_or_refuses(data):
    commitment = CommitmentFactory(title="Before")
    _, error = refused_or_valid(lambda: services.commitment_update(commitment=commitment, data=data))
    saved = Commitment.objects.get(pk=commitment.pk)
    if error:
        assert saved.title == "Before"
    else:
        for name in ("title", "description", "source_url", "made_on", "due_on", "kind"):
            if name in data:
                assert getattr(saved, name) == data[name]


@examples
@given(
    title=any_text,
    quote=any_text,
    made_on=st.one_of(any_text, dates.map(date.isoformat)),
    due_on=st.one_of(any_text, dates.map(date.isoformat)),
    check_every_days=st.one_of(any_text, st.integers().map(str)),
    progress=st.one_of(any_text, st.integers().map(str)),
    evidence_url=urls,
)
def test_admin_forms_answer_with_errors_not_crashes(
    admin_client, title, quote, made_on, due_on, check_every_days, progress, evidence_url
):
    actor = ActorFactory()
    commitment = CommitmentFactory()
    response = admin_client.post(
        "/admin/tracker/commitment/add/",
        {
            "title": title,
            "quote": quote,
            "made_by": actor.pk,
            "made_on": made_on,
            "kind": "promise",
            "due_on": due_on,
            "check_every_days": check_every_days,
            "updates-TOTAL_FORMS": "0",
            "updates-INITIAL_FORMS": "0",
            "followups-TOTAL_FORMS": "0",
            "followups-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code in (200, 302, 400)
    response = admin_client.post(
        "/admin/tracker/progressupdate/add/",
        {
            "commitment": commitment.pk,
            "status_after": "fulfilled",
            "progress": progress,
            "evidence_url": evidence_url,
            "recorded_on": made_on,
        },
    )
    assert response.status_code in (200, 302, 400)


@examples
@given(
    status=statuses,
    progress=st.one_of(any_text, st.integers().map(str)),
    note=any_text,
    evidence_url=web_urls,
    expected_status=st.one_of(any_text, st.sampled_from(Status.values)),
)
def test_the_board_update_form_answers_with_errors_not_crashes(
    client, analyst, status, progress, note, evidence_url, expected_status
):
    commitment = CommitmentFactory(status=Status.IN_PROGRESS, progress=30)
    client.force_login(analyst)
    response = client.post(
        f"/commitments/{commitment.pk}/updates/",
        {
            "status": status,
            "progress": progress,
            "note": note,
            "evidence_url": evidence_url,
            "expected_status": expected_status,
        },
    )
    assert response.status_code in (302, 400)
    saved = Commitment.objects.get(pk=commitment.pk)
    if response.status_code == 400:
        assert (saved.status, saved.progress) == (Status.IN_PROGRESS, 30)


@examples
@given(
    text=any_text,
    source_url=urls,
    article_date=st.one_of(any_text, dates.map(date.isoformat)),
    time_zone=st.one_of(any_text, st.sampled_from(["Africa/Nairobi", "Asia/Tokyo", "UTC"])),
)
def test_the_extract_and_preferences_forms_answer_with_errors_not_crashes(
    client, analyst, text, source_url, article_date, time_zone
):
    client.force_login(analyst)
    response = client.post("/extract/", {"text": text, "source_url": source_url, "article_date": article_date})
    assert response.status_code in (200, 400)
    response = client.post("/preferences/", {"reminders_enabled": "on", "time_zone": time_zone})
    assert response.status_code in (302, 400)
