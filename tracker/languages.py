"""Which language a page or an email is written in.

A signed-in analyst reads the language of their preferences, remembered in
the session at login so that no page spends a query on it; anyone else reads
the language of the address (/fr/public/), of the switcher's cookie, or of
the browser's Accept-Language, in Django's order. An email is written in its
recipient's language: an analyst's preference, or an office's contact.
"""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import translation

SESSION_KEY = "tracker_language"


def supported(code: str | None) -> str | None:
    """The interface language `code` stands for ("fr-ca" is "fr"), or None for a language the tracker lacks."""
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


def default() -> str:
    return supported(settings.LANGUAGE_CODE) or settings.LANGUAGES[0][0]


def of_user(user) -> str:
    """The user's language from their preferences (loaded with the user where a batch needs it)."""
    from .models import NotificationPreference

    try:
        preference = user.notification_preference
    except NotificationPreference.DoesNotExist:
        return default()
    return supported(preference.language) or default()


def remember(request, code: str) -> None:
    """The session's language, read by UserLanguageMiddleware on the signed-in pages."""
    if hasattr(request, "session"):
        request.session[SESSION_KEY] = code


@receiver(user_logged_in, dispatch_uid="tracker.languages.remember_at_login")
def _remember_at_login(sender, request, user, **kwargs):
    if request is not None:
        remember(request, of_user(user))
