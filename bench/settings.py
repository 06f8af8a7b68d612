"""The project's settings with the bench URLconf, which adds a trivial DRF view as the API's floor."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
