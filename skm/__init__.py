"""The SKM domain: questionnaire, response validation, index math and sample size.

Pure Python: imports no web framework and opens no file or socket (``skm.cli`` is the one edge).
"""
from .errors import IncompleteData, InvalidNrr, InvalidOption, InvalidResponse, InvalidTable, Problem, SkmError
from .index import (IndexOptions, IndexResult, UnsurAggregate, from_aggregates, from_nrr, from_responses, mutu,
                    nrr_mutu)
from .profiles import PROFILES, IndexProfile
from .questionnaire import CODES, PROFILE, QUESTIONNAIRE_VERSION, UNSUR
from .sample import adequacy, krejcie_morgan
from .validation import ValidatedResponse, validate_response

__all__ = [
    "CODES", "PROFILE", "PROFILES", "QUESTIONNAIRE_VERSION", "UNSUR", "IncompleteData", "IndexOptions",
    "IndexProfile", "IndexResult", "InvalidNrr", "InvalidOption", "InvalidResponse", "InvalidTable", "Problem",
    "SkmError", "UnsurAggregate", "ValidatedResponse", "adequacy", "from_aggregates", "from_nrr",
    "from_responses", "krejcie_morgan", "mutu", "nrr_mutu", "validate_response",
]
