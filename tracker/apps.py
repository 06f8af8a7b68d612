from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrackerConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tracker"
    verbose_name = _("Policy commitments")

    def ready(self):
        from . import auth, board_cache, languages  # noqa: F401 (languages connects its login receiver)

        auth.connect_signals()
        board_cache.connect_signals()
