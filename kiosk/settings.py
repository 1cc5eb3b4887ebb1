"""Every kiosk setting, declared once: name, default and what it does.

Set them in ``instance/kiosk.cfg`` (Python syntax), as ``SKM_KIOSK_<NAME>`` environment variables, or in
the mapping given to ``create_app``; later sources win in that order. ``skm kiosk settings`` lists them.
"""
from __future__ import annotations

from typing import Any, Mapping

from skmweb import LANGUAGES, Setting


SETTINGS: tuple[Setting, ...] = (
    Setting("DATABASE", None, "Path of the kiosk's SQLite file; default kiosk.db in the instance folder."),
    Setting("IDLE_SECONDS", 60, "Seconds without a tap mid-survey before the screen returns to the start "
                                "and the answers are discarded (counted as abandoned)."),
    Setting("IDLE_WARNING_SECONDS", 15, "Seconds the \"Masih mengisi?\" overlay counts down, once IDLE_SECONDS have "
                                        "passed, before the answers are discarded; 0 discards at once."),
    Setting("DEFAULT_LANGUAGE", "id", "The language every survey starts in (id or en); a citizen's own choice "
                                      "lasts until the thank-you screen or an idle return."),
    Setting("THANKS_SECONDS", 6, "Seconds the thank-you screen stays before returning to the start."),
    Setting("MIN_SURVEY_SECONDS", 10.0, "A survey finished faster than this is stored but flagged suspect."),
    Setting("BURST_COUNT", 5, "More submissions than this from one counter within BURST_WINDOW_SECONDS are "
                              "flagged suspect."),
    Setting("BURST_WINDOW_SECONDS", 60, "The window of the burst rule."),
    Setting("HEARTBEAT_SECONDS", 30, "Seconds between a counter tablet's reports of the answers it holds unsent "
                                     "(listed on the staff page)."),
    Setting("STAFF_SESSION_MINUTES", 15, "Idle minutes after which the staff page asks for the PIN again."),
    Setting("CSRF_SECONDS", 3600, "Lifetime of a form's CSRF token; a survey submitted later still saves."),
    Setting("STAFF_PIN_ATTEMPTS", 5, "Wrong PINs in a row before the staff page pauses for a minute."),
    Setting("SYNC_ENABLED", True, "Run the sync agent inside `skm kiosk run` (once enrolled)."),
    Setting("SYNC_INTERVAL_SECONDS", 30, "Seconds between syncs when the outbox is empty."),
    Setting("SYNC_BACKOFF_BASE_SECONDS", 2, "First retry delay after a failed sync; doubles each failure."),
    Setting("SYNC_BACKOFF_CAP_SECONDS", 300, "Longest retry delay (full jitter below it)."),
    Setting("SYNC_BATCH_SIZE", 500, "Responses per batch; at most the collector's COLLECTOR_BATCH_MAX."),
    Setting("SYNC_TIMEOUT_SECONDS", 30, "Seconds to wait for the collector's answer."),
    Setting("RETENTION_DAYS", 90, "Synced responses older than this are pruned; unsynced ones never are."),
    Setting("RECEIPT_API_KEY", None, "Key a queue or receipt system sends (Authorization: Bearer KEY) to "
                                     "POST /api/v1/receipts; unset, that endpoint is off."),
    Setting("PUBLIC_SURVEY_URL", None, "Base URL of the collector as citizens' phones reach it, for receipt QR "
                                       "codes; default the collector URL the kiosk enrolled with."),
    Setting("RECEIPT_DAYS", 7, "Days printed on a receipt as its validity; the collector's "
                               "COLLECTOR_RECEIPT_DAYS decides."),
    Setting("TRUSTED_PROXIES", 0, "Number of reverse proxies in front (nginx: 1) whose X-Forwarded-For and "
                                  "X-Forwarded-Proto are trusted, so HTTPS is recognised behind them."),
)


class BadSetting(ValueError):
    """A setting whose value cannot work; the app refuses to start and names it."""


def check(config: Mapping[str, Any]) -> None:
    """Refuse, at start, the survey-screen settings a citizen would otherwise trip over mid-survey."""
    warning = config["KIOSK_IDLE_WARNING_SECONDS"]
    if isinstance(warning, bool) or not isinstance(warning, int) or not 0 <= warning <= 300:
        raise BadSetting(f"KIOSK_IDLE_WARNING_SECONDS must be a whole number of seconds from 0 to 300, "
                         f"not {warning!r}")
    if config["KIOSK_DEFAULT_LANGUAGE"] not in LANGUAGES:
        raise BadSetting(f"KIOSK_DEFAULT_LANGUAGE must be one of {', '.join(LANGUAGES)}, "
                         f"not {config['KIOSK_DEFAULT_LANGUAGE']!r}")
