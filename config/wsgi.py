import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

django_application = get_wsgi_application()

# The request-body ceiling (MAX_REQUEST_BODY) applies before Django reads anything.
from apps.core.middleware import RequestBodyLimitWSGI  # noqa: E402

application = RequestBodyLimitWSGI(django_application)
