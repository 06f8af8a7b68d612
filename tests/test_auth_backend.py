"""tracker.auth: the same permissions as Django's ModelBackend, in one query."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission

from tests.factories import UserFactory
from tracker.auth import PermissionsInOneQueryBackend

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["analyst", "viewer", "superuser"])
def test_permissions_equal_django_s_in_one_query(request, role, django_assert_num_queries):
    user = request.getfixturevalue(role)
    user.user_permissions.add(Permission.objects.get(codename="delete_topic"))
    expected = ModelBackend().get_all_permissions(type(user).objects.get(pk=user.pk))
    fresh = type(user).objects.get(pk=user.pk)
    with django_assert_num_queries(1):
        permissions = PermissionsInOneQueryBackend().get_all_permissions(fresh)
        assert fresh.has_perm("tracker.delete_topic")
    assert permissions == expected
    assert "tracker.delete_topic" in permissions


def test_inactive_and_object_permissions_are_none(analyst):
    analyst.is_active = False
    assert PermissionsInOneQueryBackend().get_all_permissions(analyst) == set()
    assert PermissionsInOneQueryBackend().get_all_permissions(UserFactory(), obj=object()) == set()


def test_the_settings_use_it(settings):
    assert "tracker.auth.PermissionsInOneQueryBackend" in settings.AUTHENTICATION_BACKENDS
    assert "django.contrib.auth.backends.ModelBackend" not in settings.AUTHENTICATION_BACKENDS
