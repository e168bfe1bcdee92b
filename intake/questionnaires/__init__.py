"""Questionnaires as data: FHIR R4 Questionnaire JSON, read, evaluated and checked in pure Python
(items, parsing, enable_when, answers, definition, fhir, scoring), and stored as versions in the
database (models, services)."""
