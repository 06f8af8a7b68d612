"""The French and Swahili catalogues in locale/: complete, written, compiled, and matching the code.

A missing string would show in English in the middle of a French page, a
stale .mo would serve yesterday's wording, and a translation that drops a
placeholder would fail at run time: each of these fails here.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

ROOT = Path(settings.BASE_DIR)
LANGUAGES = [code for code, _name in settings.LANGUAGES if code != "en"]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]|\{\{ *(\w+) *\}\}")
# The English codes and names that read the same in the other languages.
SAME_IN_EVERY_LANGUAGE = {"CSV", "Excel", "API", "PDF", "URL", "OK", "%(count)s%%", "—", "Admin"}


def catalogue(language) -> polib.POFile:
    return polib.pofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.po"))


def compiled(language) -> polib.MOFile:
    return polib.mofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.mo"))


def key(entry):
    return (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")


def translations(entry):
    return list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_is_translated_and_none_is_fuzzy(language):
    entries = [entry for entry in catalogue(language) if not entry.obsolete]

    assert len(entries) > 300, "the catalogue is nearly empty"
    untranslated = [entry.msgid for entry in entries if not all(text.strip() for text in translations(entry))]
    fuzzy = [entry.msgid for entry in entries if entry.fuzzy]
    assert not untranslated, f"{len(untranslated)} strings lack a {language} translation: {untranslated[:10]}"
    assert not fuzzy, f"{len(fuzzy)} {language} translations are marked fuzzy (unchecked): {fuzzy[:10]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_are_written_not_copied_from_english(language):
    entries = [entry for entry in catalogue(language) if not entry.obsolete]
    copied = [
        entry.msgid
        for entry in entries
        if entry.msgstr == entry.msgid
        and re.search(r"[a-z]{3}", entry.msgid)
        and entry.msgid not in SAME_IN_EVERY_LANGUAGE
    ]

    # Names of languages, proper nouns and codes may stay as they are; prose may not.
    assert len(copied) <= len(entries) // 50, f"{len(copied)} {language} strings are the English: {copied[:20]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_placeholder_survives_translation(language):
    broken = []
    for entry in catalogue(language):
        expected = {match.group(0) for match in PLACEHOLDER.finditer(entry.msgid + (entry.msgid_plural or ""))}
        for text in translations(entry):
            found = {match.group(0) for match in PLACEHOLDER.finditer(text)}
            # A singular may say "one" instead of %(count)s; no translation may invent or misspell one.
            if not found <= expected or (not entry.msgid_plural and found != expected):
                broken.append((entry.msgid, text))
    assert not broken, broken[:10]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_is_the_po_file(language):
    """A .mo older than its .po (edited and not compiled again) serves other words: the two must hold the same."""
    source = {key(entry): translations(entry) for entry in catalogue(language) if not entry.obsolete}
    built = {key(entry): translations(entry) for entry in compiled(language)}
    built.pop(("", "", ""), None)  # the header

    missing = [k[1] for k in source if k not in built]
    different = [k[1] for k in source if k in built and built[k] != source[k]]
    extra = [k[1] for k in built if k not in source]
    assert not (missing or different or extra), (
        f"locale/{language}/LC_MESSAGES/django.mo is stale: run `make messages`. "
        f"Missing {missing[:5]}, different {different[:5]}, removed {extra[:5]}"
    )


def xgettext_required():
    if shutil.which("xgettext") and shutil.which("msgmerge"):
        return
    if os.environ.get("CI_REQUIRE_GETTEXT"):
        pytest.fail("GNU gettext (xgettext, msgmerge) is missing; .ci/run installs Debian's gettext")
    pytest.skip("GNU gettext is not installed: the catalogues cannot be compared with the code here")


def test_the_catalogues_hold_every_string_the_code_marks(tmp_path):
    """makemessages on a copy of the code finds no string that the catalogues lack, and none they keep in vain."""
    xgettext_required()
    for part in ("tracker", "templates", "config", "locale"):
        shutil.copytree(ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("static", "__pycache__"))
    shutil.copy(ROOT / "manage.py", tmp_path / "manage.py")
    command = [sys.executable, "manage.py", "makemessages", *(f"--locale={code}" for code in LANGUAGES)]
    subprocess.run(command, cwd=tmp_path, check=True, capture_output=True, env={**os.environ, "PYTHONPATH": ""})

    for language in LANGUAGES:
        committed = {key(entry) for entry in catalogue(language) if not entry.obsolete}
        fresh = polib.pofile(str(tmp_path / "locale" / language / "LC_MESSAGES" / "django.po"))
        current = {key(entry) for entry in fresh if not entry.obsolete}
        missing = sorted(current - committed)
        unused = sorted(committed - current)
        assert not missing, f"{len(missing)} strings are not in locale/{language} (run `make messages`): {missing[:10]}"
        assert not unused, f"{len(unused)} strings in locale/{language} are no longer in the code: {unused[:10]}"


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_login_page_speaks_the_browsers_language(language):
    page = Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE=language).content.decode()

    assert f'<html lang="{language}">' in page
    with translation.override(language):
        assert translation.gettext("Log in") != "Log in"
        assert translation.gettext("Log in") in page
