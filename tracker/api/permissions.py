from rest_framework.permissions import DjangoModelPermissions


class ModelPermissionsWithView(DjangoModelPermissions):
    """DjangoModelPermissions, with reading also gated by the model's view permission.

    DRF's own class lets any authenticated user read; here a user in no group
    (no view permission) reads nothing, while Viewers and Analysts do.
    """

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }
