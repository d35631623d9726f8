"""Survey exports (问卷星, 腾讯问卷, Google Forms, Qualtrics, SurveyMonkey, Microsoft Forms, plain Excel/CSV):
understand, link to customers, validate, import as one undoable batch. See ``loader``."""

from crm.intake.surveys.loader import (  # noqa: F401
    SurveyPlan, SurveyResult, commit_survey, prepare_survey, read_survey,
)
from crm.intake.surveys.questions import DIMENSIONS, KINDS, MEASURES, parse_spec  # noqa: F401
