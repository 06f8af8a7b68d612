from django.apps import AppConfig


class TrackerConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tracker"
    verbose_name = "Policy commitments"

    def ready(self):
        from . import auth, board_cache, languages  # noqa: F401 (languages connects its login receiver)

        auth.connect_signals()
        board_cache.connect_signals()
