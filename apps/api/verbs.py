"""The API app's audit verbs, with their timeline wording.

Event types sent by API clients are theirs to name: see `apps.partners.verbs`.
"""

from django.utils.translation import gettext_lazy as _

from apps.audit.vocabulary import audit_verb

API_KEY_CREATED = audit_verb("api_key.created", _("Api key created <strong>{target}</strong>"))
API_KEY_REVOKED = audit_verb("api_key.revoked", _("Api key revoked <strong>{target}</strong>"))
