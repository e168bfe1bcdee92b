import pytest

from tests.intake.questionnaires.support import general_previsit


@pytest.fixture(scope="module")
def definition():
    """The shipped general pre-visit questionnaire."""
    return general_previsit()
