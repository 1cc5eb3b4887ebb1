"""Every kiosk setting, declared once: name, default, help, then its type and allowed range.

Set them in ``instance/kiosk.cfg`` (Python syntax), as ``SKM_KIOSK_<NAME>`` environment variables, or in
the mapping given to ``create_app``; later sources win in that order. Each is checked at start: a bad
value stops the app with its name and what is allowed. ``skm kiosk settings`` lists them.
"""
from __future__ import annotations

from skmweb import COMMON_SETTINGS, LANGUAGES, Setting

DAY = 86400

SETTINGS: tuple[Setting, ...] = (
    Setting("DATABASE", None, "Path of the kiosk's SQLite file; default kiosk.db in the instance folder.", kind=str),
    Setting("MAX_BODY_BYTES", 1024 * 1024, "Largest request body accepted (a survey form is a few KB); a larger "
                                           "one is refused with 413.", minimum=16 * 1024, maximum=64 * 1024 * 1024),
    Setting("IDLE_SECONDS", 60, "Seconds without a tap mid-survey before the screen returns to the start "
                                "and the answers are discarded (counted as abandoned).", minimum=1, maximum=3600),
    Setting("IDLE_WARNING_SECONDS", 15, "Seconds the \"Masih mengisi?\" overlay counts down, once IDLE_SECONDS have "
                                        "passed, before the answers are discarded; 0 discards at once.",
            minimum=0, maximum=300),
    Setting("DEFAULT_LANGUAGE", "id", "The language every survey starts in (id or en); a citizen's own choice "
                                      "lasts until the thank-you screen or an idle return.", choices=LANGUAGES),
    Setting("THANKS_SECONDS", 6, "Seconds the thank-you screen stays before returning to the start.",
            minimum=1, maximum=120),
    Setting("MIN_SURVEY_SECONDS", 10.0, "A survey finished faster than this is stored but flagged suspect.",
            kind=float, minimum=0, maximum=600),
    Setting("BURST_COUNT", 5, "More submissions than this from one counter within BURST_WINDOW_SECONDS are "
                              "flagged suspect.", minimum=1, maximum=1000),
    Setting("BURST_WINDOW_SECONDS", 60, "The window of the burst rule.", minimum=1, maximum=DAY),
    Setting("HEARTBEAT_SECONDS", 30, "Seconds between a counter tablet's reports of the answers it holds unsent "
                                     "(listed on the staff page).", minimum=1, maximum=3600),
    Setting("STAFF_SESSION_MINUTES", 15, "Idle minutes after which the staff page asks for the PIN again "
                                         "(0: at every page).", minimum=0, maximum=1440),
    Setting("CSRF_SECONDS", 3600, "Lifetime of a form's CSRF token; a survey submitted later still saves.",
            minimum=1, maximum=7 * DAY),
    Setting("STAFF_PIN_ATTEMPTS", 5, "Wrong PINs in a row before the staff page pauses for a minute.",
            minimum=1, maximum=100),
    Setting("SYNC_ENABLED", True, "Run the sync agent inside `skm kiosk run` (once enrolled)."),
    Setting("SYNC_INTERVAL_SECONDS", 30, "Seconds between syncs when the outbox is empty.", kind=float,
            minimum=0.01, maximum=DAY),
    Setting("SYNC_BACKOFF_BASE_SECONDS", 2, "First retry delay after a failed sync; doubles each failure.",
            kind=float, minimum=0.01, maximum=3600),
    Setting("SYNC_BACKOFF_CAP_SECONDS", 300, "Longest retry delay (full jitter below it).", kind=float,
            minimum=0.01, maximum=DAY),
    Setting("SYNC_BATCH_SIZE", 500, "Responses per batch; at most the collector's COLLECTOR_BATCH_MAX.",
            minimum=1, maximum=10000),
    Setting("SYNC_TIMEOUT_SECONDS", 30, "Seconds to wait for the collector's answer.", kind=float,
            minimum=1, maximum=600),
    Setting("SYNC_WATCHDOG_SECONDS", 10, "How often `skm kiosk run` checks that the sync agent is alive, and "
                                         "restarts it if it is not.", kind=float, minimum=0.01, maximum=3600),
    Setting("RETENTION_DAYS", 90, "Synced responses older than this are pruned; unsynced ones never are.",
            minimum=1, maximum=3650),
    Setting("RECEIPT_API_KEY", None, "Key a queue or receipt system sends (Authorization: Bearer KEY) to "
                                     "POST /api/v1/receipts; unset, that endpoint is off.", kind=str),
    Setting("PUBLIC_SURVEY_URL", None, "Base URL of the collector as citizens' phones reach it, for receipt QR "
                                       "codes; default the collector URL the kiosk enrolled with.", kind=str),
    Setting("RECEIPT_DAYS", 7, "Days printed on a receipt as its validity; the collector's "
                               "COLLECTOR_RECEIPT_DAYS decides.", minimum=1, maximum=365),
    Setting("TRUSTED_PROXIES", 0, "Number of reverse proxies in front (nginx: 1) whose X-Forwarded-For, "
                                  "X-Forwarded-Proto and X-Request-Id are trusted, so HTTPS is recognised "
                                  "behind them.", minimum=0, maximum=10),
    Setting("CLOCK_WARN_SECONDS", 120, "The staff page warns when this PC's clock is off from the collector's "
                                       "by more than this (receipts and sync are corrected either way).",
            minimum=1, maximum=365 * DAY),
    Setting("CLOCK_SHIFT_SECONDS", 0.0, "For drills and tests only: run the kiosk's clock this many seconds "
                                        "fast (negative: slow), as a wrong PC clock would. Leave 0.",
            kind=float, minimum=-3650 * DAY, maximum=3650 * DAY),
    Setting("SERVER_CONNECTION_LIMIT", 500, "Connections `skm kiosk run` holds open at once; more wait. Room for "
                                            "every tablet's keep-alive connections and then some.",
            minimum=10, maximum=10000),
    Setting("SERVER_CHANNEL_TIMEOUT_SECONDS", 15, "Seconds a connection may sit idle (no request, or between "
                                                  "requests) before the server closes it, so idle connections "
                                                  "from one host cannot crowd the tablets out.",
            minimum=1, maximum=3600),
    Setting("SERVER_CLEANUP_INTERVAL_SECONDS", 2, "How often the server looks for idle connections to close.",
            minimum=1, maximum=600),
    *COMMON_SETTINGS,
)
