"""The intake app's admin pages, one module per room (the composition root)."""

import intake.links.admin
import intake.questionnaires.admin
import intake.responses.admin  # noqa: F401
