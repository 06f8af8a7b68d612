from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Q
from django.db.models.signals import post_save, pre_save
from rest_framework.authtoken.models import Token


class PermissionsInOneQueryBackend(ModelBackend):
    """Django's ModelBackend, loading a user's own and group permissions in one query instead of two.

    Every page and API call by a non-superuser checks a permission; this is
    one query less on each of them (the API list stays at six).
    """

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                permissions = Permission.objects.all()
            else:
                permissions = Permission.objects.filter(Q(user=user_obj) | Q(group__user=user_obj))
            user_obj._perm_cache = {
                f"{app_label}.{codename}"
                for app_label, codename in permissions.values_list("content_type__app_label", "codename").distinct()
            }
        return user_obj._perm_cache


def _note_credentials_change(sender, instance, update_fields=None, **kwargs):
    instance._ends_api_tokens = False
    if instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        # Login's last_login update: no query, tokens kept.
        return
    stored = sender._default_manager.filter(pk=instance.pk).values("password", "is_active").first()
    if stored is None:
        return
    password_changed = stored["password"] != instance.password
    deactivated = stored["is_active"] and not instance.is_active
    instance._ends_api_tokens = password_changed or deactivated


def _end_api_tokens(sender, instance, **kwargs):
    if getattr(instance, "_ends_api_tokens", False):
        Token.objects.filter(user=instance).delete()
        instance._ends_api_tokens = False


def connect_signals():
    """End a user's API tokens whenever their password hash changes or they are deactivated.

    A signal rather than a service: the admin's forms, the password reset
    views, `changepassword` and any `save()` all change these fields, and the
    token must not outlive the password that obtained it on any of those paths.
    Like Django's sessions (keyed on the password hash) a hash upgrade at login
    also ends them. `QuerySet.update()` sends no signal and is not caught.
    """
    user_model = get_user_model()
    pre_save.connect(_note_credentials_change, sender=user_model, dispatch_uid="tracker.auth.note_credentials_change")
    post_save.connect(_end_api_tokens, sender=user_model, dispatch_uid="tracker.auth.end_api_tokens")
