"""The Python side of the three languages: what the code says to a reader is marked for translation and
follows the reader's language; what it writes down for machines and logs stays English.

The catalogues in locale/ are tested in tests/test_translations.py. These tests do not wait for them: where a
translation must show, the `french` fixture gives a few of the tracker's strings a French text for the test.
"""

import datetime
import inspect
import re

import pytest
import time_machine
from django import forms
from django.apps import apps
from django.contrib import admin
from django.db import models
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import trans_real
from django.utils.translation.trans_real import CONTEXT_SEPARATOR
from django_filters import FilterSet

from tests.factories import CommitmentFactory, FollowUpFactory, send_one
from tracker import (
    assessment_forms,
    bulk,
    bulk_forms,
    continuity,
    filters,
    import_forms,
    milestone_forms,
    money_forms,
    reply_forms,
    report_views,
    selectors,
    services,
)
from tracker import forms as tracker_forms
from tracker.models import Commitment, FollowUp, Milestone, Status

# Labels that are codes or symbols, the same in every language.
CODES = {"CSV"}
# Choices that are time zones (Africa/Nairobi) and languages in their own tongue (Kiswahili).
OWN_NAMES = {("PreferencesForm", "time_zone"), ("PreferencesForm", "language")}
# The board's filters whose choices are actors, countries, events, topics and people: content.
DATABASE_CHOICES = {"made_by", "country", "event", "topic", "owner"}
# django-simple-history's own columns on each history table: its admin pages head them in its own translated words.
HISTORY_COLUMNS = {"history_id", "history_date", "history_change_reason", "history_type", "history_user"}
FORM_MODULES = [
    tracker_forms,
    bulk_forms,
    assessment_forms,
    import_forms,
    milestone_forms,
    money_forms,
    reply_forms,
    filters,
]


@pytest.fixture
def french():
    """Activates French, with the translations given to `add` as (context, text) or text -> French."""
    catalogue = trans_real.translation("fr")._catalog._catalogs[0]
    missing = object()
    before = {}

    def add(translations: dict):
        for source, text in translations.items():
            key = "\x04".join(source) if isinstance(source, tuple) else source
            before.setdefault(key, catalogue.get(key, missing))
            catalogue[key] = text

    with translation.override("fr"):
        yield add
    for key, value in before.items():
        if value is missing:
            catalogue.pop(key, None)
        else:
            catalogue[key] = value


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def tracker_models():
    return [
        model for model in apps.get_app_config("tracker").get_models() if not model.__name__.startswith("Historical")
    ]


def untranslated(text) -> bool:
    return bool(text) and not isinstance(text, Promise) and str(text) not in CODES


def test_every_choice_label_is_marked_for_translation():
    choices = {enum.__qualname__: enum.choices for enum in (Status, bulk.BulkAction)}
    for model in tracker_models():
        for field in model._meta.get_fields():
            if getattr(field, "choices", None):
                choices[f"{model.__name__}.{field.name}"] = field.flatchoices

    plain = [(name, label) for name, pairs in choices.items() for _value, label in pairs if untranslated(label)]

    assert not plain, plain


class Bracketing:
    """A language whose every translation is the English text in brackets: a name that comes out bare was derived
    from the attribute, or translated once at import, and stays English for a French or Swahili reader."""

    def gettext(self, message):
        return f"[[{message.rpartition(CONTEXT_SEPARATOR)[2]}]]"

    def ngettext(self, singular, plural, number):
        return self.gettext(singular if number == 1 else plural)

    def to_language(self):
        return "en"


@pytest.fixture
def bracketing():
    trans_real._active.value = Bracketing()
    yield
    translation.deactivate()


def bracketed(text) -> bool:
    return re.fullmatch(r"\[\[[^\]]+\]\]", str(text)) is not None


def named_models():
    """Every model of the app that a page or an error message names: the pledges, their history, the rest."""
    for model in apps.get_app_config("tracker").get_models():
        # The history of a pledge's links (HistoricalCommitment_topics...) is bookkeeping no page names: the
        # history pages show those changes under the pledge's own field names.
        instance_type = getattr(model, "instance_type", None)
        if instance_type is not None and instance_type._meta.auto_created:
            continue
        yield model


def test_every_model_name_field_name_and_help_text_is_marked_for_translation(bracketing):
    models_named = list(named_models())
    plain = []
    for model in models_named:
        for option in ("verbose_name", "verbose_name_plural"):
            if not bracketed(getattr(model._meta, option)):
                plain.append((model.__name__, option, str(getattr(model._meta, option))))
        for field in model._meta.get_fields():
            if not isinstance(field, models.Field) or field.auto_created or field.name in HISTORY_COLUMNS:
                continue
            if not bracketed(field.verbose_name):
                plain.append((model.__name__, field.name, str(field.verbose_name)))
            if untranslated(field.help_text):
                plain.append((model.__name__, field.name, field.help_text))
            for validator in field.validators:
                if untranslated(getattr(validator, "message", None)):
                    plain.append((model.__name__, field.name, validator.message))
        for constraint in model._meta.constraints:
            if untranslated(constraint.violation_error_message):
                plain.append((model.__name__, constraint.name))

    assert {"Actor", "HistoricalCommitment", "Reply"} <= {model.__name__ for model in models_named}
    assert not plain, plain


def test_a_derived_or_frozen_name_is_told_from_a_translated_one(bracketing):
    derived = models.CharField(max_length=10)
    derived.set_attributes_from_name("source_title")
    # What django-simple-history makes of a model's name unless it is given one: English, fixed at import.
    frozen = format_lazy("historical {}", str(Milestone._meta.verbose_name))

    assert not bracketed(derived.verbose_name)
    assert not bracketed(frozen)
    assert bracketed(Commitment._meta.get_field("made_by").verbose_name)
    assert bracketed(Milestone._meta.get_field("done_on").verbose_name)


def test_the_admin_names_a_pledges_fields_and_its_history_in_the_readers_language(client, superuser, french):
    french({"made by": "auteur", "title": "titre", "pledges": "engagements", "historical pledge": "version"})
    commitment = CommitmentFactory(title="First title")
    commitment.title = "Second title"
    commitment.save()
    services.notification_preference_update(user=superuser, data={"language": "fr"})
    client.force_login(superuser)

    change_form = client.get(admin_url(Commitment, "change", commitment.pk))
    history = client.get(admin_url(Commitment, "history", commitment.pk))

    assert change_form.status_code == history.status_code == 200
    assert "Auteur" in change_form.content.decode()
    body = history.content.decode()
    assert "Engagements" in body
    assert "Titre" in body and "Second title" in body
    assert str(Commitment.history.model._meta.verbose_name) == "version"


def form_classes():
    for module in FORM_MODULES:
        for _name, value in inspect.getmembers(module, inspect.isclass):
            if value.__module__ == module.__name__ and issubclass(value, forms.BaseForm | FilterSet):
                yield value


def test_every_form_label_help_text_and_error_message_is_marked_for_translation():
    classes = list(form_classes())
    plain = []
    for form_class in classes:
        fields = form_class.base_filters if issubclass(form_class, FilterSet) else form_class.base_fields
        for name, field in fields.items():
            texts = [field.label, getattr(field, "help_text", "")]
            texts += getattr(field, "error_messages", {}).values()
            # Choices from the database are content, and places and languages go by their own names.
            if not isinstance(field, forms.ModelChoiceField) and (form_class.__name__, name) not in OWN_NAMES:
                texts += [label for _value, label in getattr(field, "choices", None) or () if isinstance(label, str)]
            plain += [(form_class.__name__, name, text) for text in texts if untranslated(text)]

    assert len(classes) > 20, "the forms were not found"
    assert not plain, plain


def test_the_admin_names_its_actions_columns_and_filters_in_the_readers_language():
    plain = [
        (option, getattr(admin.site, option))
        for option in ("site_header", "site_title", "index_title")
        if untranslated(getattr(admin.site, option))
    ]
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label != "tracker":
            continue
        named = [getattr(action, "short_description", None) for action in model_admin.actions or ()]
        named += [
            getattr(getattr(model_admin, column, None), "short_description", None)
            for column in model_admin.list_display
            if isinstance(column, str)
        ]
        named += [getattr(choice, "title", None) for choice in model_admin.list_filter if inspect.isclass(choice)]
        named += [name for name, _options in model_admin.fieldsets or ()]
        for inline in model_admin.inlines:
            named += [inline.verbose_name, inline.verbose_name_plural]
        plain += [(model.__name__, text) for text in named if untranslated(text)]

    assert not plain, plain


def test_the_dates_charts_labels_follow_the_reader_though_the_numbers_are_cached(db, french):
    french({"Before this month": "Avant ce mois-ci", ("chart of dates", "Later"): "Plus tard"})
    today = datetime.date(2026, 3, 10)
    CommitmentFactory(due_on=datetime.date(2026, 4, 30), next_check_on=datetime.date(2025, 1, 1))
    CommitmentFactory(due_on=datetime.date(2031, 1, 1), next_check_on=None)

    with translation.override("en"):
        cached = selectors.board_summary(today=today, cached=True, charts=True)["dates_by_month"]
        assert [str(bucket["label"]) for bucket in cached][:3] == ["Before this month", "March 2026", "April 2026"]
    read_again = selectors.board_summary(today=today, cached=True, charts=True)["dates_by_month"]

    labels = [str(bucket["label"]) for bucket in read_again]
    assert labels[:3] == ["Avant ce mois-ci", "mars 2026", "avril 2026"]
    assert labels[-1] == "Plus tard"
    assert str(read_again[2]["short"]).casefold().startswith("avr")


@pytest.mark.django_db
def test_a_reminder_cancelled_for_a_closed_pledge_says_why_in_english_whatever_the_language(french, mailoutbox):
    french({("pledge status", "Withdrawn"): "Retiré"})
    commitment = CommitmentFactory()
    followup = FollowUpFactory(commitment=commitment)
    Commitment.objects.filter(pk=commitment.pk).update(status=Status.WITHDRAWN)
    assert str(Status.WITHDRAWN.label) == "Retiré"

    assert send_one(followup.pk) == FollowUp.State.CANCELLED

    followup.refresh_from_db()
    assert followup.last_error == "the pledge is closed (withdrawn)"


def test_a_refused_renewal_dates_the_earlier_pledge_in_the_readers_format(french):
    later = Commitment(title="TICAD 9 pledge", made_on=datetime.date(2025, 8, 21))
    earlier = Commitment(title="TICAD 8 pledge", made_on=datetime.date(2022, 8, 28))

    with pytest.raises(Exception) as refused:
        continuity.renews_validate(earlier, later)

    assert "21 août 2025" in refused.value.message_dict["renews"][0]


@time_machine.travel(datetime.datetime(2026, 8, 5, 9, 30, tzinfo=datetime.UTC), tick=False)
def test_the_reports_pdf_is_dated_in_the_readers_language(french):
    assert report_views._generated("Africa/Nairobi").startswith("5 août 2026")


@pytest.mark.django_db
def test_the_boards_filters_are_labelled_in_the_readers_language():
    form = filters.CommitmentFilter(queryset=Commitment.objects.none()).form
    plain = []
    for name, field in form.fields.items():
        texts = [field.label, field.help_text]
        if name not in DATABASE_CHOICES:
            texts += [label for _value, label in getattr(field, "choices", ()) if isinstance(label, str)]
        plain += [(name, text) for text in texts if untranslated(text)]

    assert "status" in form.fields
    assert not plain, plain
