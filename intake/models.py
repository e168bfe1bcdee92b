"""Every model of the intake app, so Django finds them (app label "intake"): each lives in its room.

Rooms import models from their own room's module (`intake.links.models`), never from here.
"""

from intake.links.models import LinkAttempt, PrevisitLink  # noqa: F401
from intake.questionnaires.models import Questionnaire  # noqa: F401
from intake.responses.models import IssuedHandout, Response  # noqa: F401
