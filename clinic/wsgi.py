import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
application = get_wsgi_application()

# Build the reader of patients' own words (advice/screening.py) while the process starts, not
# on the first patient's page save: it takes about a second, once.
from advice.content_schema import default_library  # noqa: E402  (after Django is set up)
from advice.screening import warm  # noqa: E402

warm(default_library().global_topic.free_text.rules)
