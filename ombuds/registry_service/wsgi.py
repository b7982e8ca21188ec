"""The WSGI application of the shared rehire registry, served by gunicorn (`ombuds registry serve`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ["DJANGO_SETTINGS_MODULE"] = "ombuds.registry_service.settings"
application = get_wsgi_application()
