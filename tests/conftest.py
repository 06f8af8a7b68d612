import pytest

from tests.factories import UserFactory, api_client_for
from tracker import services


@pytest.fixture
def roles(db):
    return services.roles_ensure()


@pytest.fixture
def analyst(roles):
    return UserFactory(username="analyst", is_staff=True, groups=[roles[services.ANALYSTS_GROUP]])


@pytest.fixture
def viewer(roles):
    return UserFactory(username="viewer", is_staff=True, groups=[roles[services.VIEWERS_GROUP]])


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def analyst_client(client, analyst):
    client.force_login(analyst)
    return client


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client


@pytest.fixture
def analyst_api_client(analyst):
    return api_client_for(analyst)


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    # PBKDF2's deliberate slowness is for attackers, not for a test suite.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def empty_cache():
    # The API's throttles count requests in the cache; a count left over from
    # one test must not refuse another's requests.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def english_between_tests():
    # LocaleMiddleware leaves the last request's language active in the thread,
    # as a web process does between requests; a test that read a French page
    # must not make the next one's messages French.
    from django.utils import translation

    yield
    translation.deactivate()
