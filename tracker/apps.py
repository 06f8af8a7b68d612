from django.apps import AppConfig


class TrackerConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tracker"
    verbose_name = "Policy commitments"

    def ready(self):
        from . import auth, board_cache

        auth.connect_signals()
        board_cache.connect_signals()
