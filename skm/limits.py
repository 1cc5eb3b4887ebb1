"""Every length and range a stored value may have, in one place.

The wire format (``skm.wire``), the citizen's answers (``skm.validation``) and the collector's column types
(``collector/schema.py``) all read these numbers, so a value the kiosk is allowed to send always fits the
column it lands in on SQLite and PostgreSQL alike (``tests/collector/test_limits.py`` compares them).
A value past a limit is refused as ``invalid`` with its reason; it never reaches the database.
"""
from __future__ import annotations

CODE_LENGTH = 40  # codes of a pemda, OPD, unit, service or counter
NAME_LENGTH = 200  # names shown to people
OFFICER_LENGTH = 30  # an officer's NIP (18 digits today), as officers.nip stores it
PROFILE_VALUE_LENGTH = 20  # one answer of the respondent profile
SUSPECT_REASON_LENGTH = 200
COMMENT_LENGTH = 1000  # a citizen's comment, in characters
TIMESTAMP_LENGTH = 40  # an ISO 8601 time with offset as text
NONCE_LENGTH = 40  # a receipt token's nonce

# PostgreSQL's INTEGER is four bytes; SQLite's takes eight. The smaller bounds every whole number.
INTEGER_MAX = 2 ** 31 - 1
SEQ_MAX = INTEGER_MAX  # a kiosk's response counter: two billion answers
DURATION_MS_MAX = 7 * 24 * 3600 * 1000  # a survey open for a week is already a forgotten tablet

# Times far outside these years cannot be moved into a unit's time zone without overflow, and no real
# survey was answered there.
FIRST_YEAR, LAST_YEAR = 2000, 2999
