"""Every collector setting, declared once: name, default, help, then its type and allowed range.

Set them in ``instance/collector.cfg``, as ``SKM_COLLECTOR_<NAME>`` environment variables, or in the
mapping given to ``create_app``. Each is checked at start: a bad value stops the app with its name and
what is allowed. ``skm collector settings`` lists them.
"""
from __future__ import annotations

from skmweb import COMMON_SETTINGS, Setting

SETTINGS: tuple[Setting, ...] = (
    Setting("DATABASE_URL", None, "SQLAlchemy URL of the database; default a SQLite file collector.db in the "
                                  "instance folder. PostgreSQL: postgresql+psycopg://user:pass@host/db", kind=str),
    Setting("BATCH_MAX", 500, "Most responses accepted in one batch; a larger batch is refused whole (413).",
            minimum=1, maximum=10000),
    Setting("MAX_BODY_BYTES", 8 * 1024 * 1024, "Largest request body accepted; a larger one is refused with 413.",
            minimum=1024, maximum=1024 ** 3),
    Setting("CLOCK_SKEW_SECONDS", 300, "A signed request whose timestamp is further than this from the "
                                       "server's clock is refused, with the server's time so the kiosk can correct.",
            minimum=1, maximum=86400),
    Setting("CLOCK_WARN_SECONDS", 120, "A kiosk whose clock was last measured further than this from the "
                                       "server's is listed on its unit's dashboard page (its responses are "
                                       "filed on the corrected time either way).", minimum=1, maximum=365 * 86400),
    Setting("ENROLL_DAYS", 7, "Days an enrollment code stays valid.", minimum=1, maximum=365),
    Setting("RECEIPT_DAYS", 7, "Days a receipt's QR code can be answered after it was issued.", minimum=1,
            maximum=365),
    Setting("MIN_SURVEY_SECONDS", 10.0, "A public survey finished faster than this is stored but flagged suspect.",
            kind=float, minimum=0, maximum=600),
    Setting("LINK_SECONDS_PER_ANSWER", 2.0, "General survey link: the least seconds per question answered (each "
                                            "unsur, profile field and a comment); a faster answer is stored but "
                                            "flagged suspect. Never below MIN_SURVEY_SECONDS.",
            kind=float, minimum=0, maximum=60),
    Setting("LINK_ANSWERS_PER_DEVICE", 3, "General survey link: answers one browser (its signed device cookie) "
                                          "may give a unit in a day; later ones are stored but flagged suspect.",
            minimum=1, maximum=1000),
    Setting("LINK_BURST_COUNT", 10, "General survey link: this many near-identical answers to one unit within "
                                    "LINK_BURST_MINUTES are a burst: all of them are flagged suspect.",
            minimum=2, maximum=10000),
    Setting("LINK_BURST_MINUTES", 10, "The window of LINK_BURST_COUNT, in minutes.", minimum=1, maximum=1440),
    Setting("LINK_BURST_DISTANCE", 1, "Answers are near-identical when their nine scores differ by at most this "
                                      "much in total (0: the same nine scores).", minimum=0, maximum=27),
    Setting("PUBLIC_LIMIT_PER_TOKEN", 20, "Posts one receipt token may make in an hour (a flood, not a citizen).",
            minimum=1, maximum=10000),
    Setting("PUBLIC_LIMIT_PER_ADDRESS", 600, "Posts of the general survey link from one address in an hour; "
                                             "high, because one carrier's NAT is many citizens.",
            minimum=1, maximum=1_000_000),
    Setting("PUBLIC_CODE_TRIES_PER_DEVICE", 10, "Receipt short codes one browser may type in an hour on a "
                                                "unit's survey page; more are refused until the hour ends.",
            minimum=1, maximum=1000),
    Setting("PUBLIC_CODE_TRIES_PER_ADDRESS", 100, "Receipt short codes typed from one address in an hour: "
                                                  "what bounds guessing, high enough for a carrier's NAT.",
            minimum=1, maximum=1_000_000),
    Setting("OFFICER_MIN_RESPONSES", 30, "An officer's figures are shown only for periods with at least this "
                                         "many responses; below it, 'data belum cukup' and the count.",
            minimum=1, maximum=10000),
    Setting("COMMENTS_PER_PAGE", 20, "Citizens' comments listed per page on a unit's dashboard page.", minimum=1,
            maximum=500),
    Setting("IDLE_MINUTES", 30, "Idle minutes after which a dashboard user must sign in again.", minimum=1,
            maximum=1440),
    Setting("TRUSTED_PROXIES", 0, "Number of reverse proxies in front (nginx: 1) whose X-Forwarded-For, "
                                  "X-Forwarded-Proto and X-Request-Id are trusted, so HTTPS is recognised "
                                  "behind them.", minimum=0, maximum=10),
    Setting("SMTP_HOST", None, "SMTP server for alert and digest e-mails; unset: e-mails stay queued in the mail "
                               "log, unsent.", kind=str),
    Setting("SMTP_PORT", 25, "Port of SMTP_HOST (587 with STARTTLS is usual).", minimum=1, maximum=65535),
    Setting("SMTP_USER", None, "Account to sign in to SMTP_HOST with; unset: no sign-in.", kind=str),
    Setting("SMTP_PASSWORD", None, "Password of SMTP_USER (never logged or shown).", kind=str),
    Setting("SMTP_STARTTLS", False, "Upgrade the SMTP connection with STARTTLS before signing in."),
    Setting("SMTP_TIMEOUT_SECONDS", 30, "Seconds to wait for the SMTP server before a send counts as failed.",
            minimum=1, maximum=600),
    Setting("MAIL_FROM", "skm@localhost", "From address of the collector's e-mails.", kind=str),
    Setting("DASHBOARD_URL", None, "The dashboard's address as users open it (e.g. https://skm.example.go.id), "
                                   "for links in e-mails; unset: no link.", kind=str),
    Setting("OFFICE_START_HOUR", 8, "Office hours start (unit's local time), for the silent-kiosk alert.",
            minimum=0, maximum=23),
    Setting("OFFICE_END_HOUR", 16, "Office hours end (exclusive, unit's local time).", minimum=1, maximum=24),
    Setting("OFFICE_DAYS", "senin-jumat", "Office days for the silent-kiosk alert.",
            choices=("senin-jumat", "senin-sabtu", "setiap-hari")),
    Setting("ALERTS_AFTER_INGEST_SECONDS", 10.0, "After an ingest, a unit's alert rules on the aggregates are "
                                                 "evaluated at most once in this many seconds per collector process "
                                                 "(integrity reports: every batch); the next batch past it, or the "
                                                 "5-minute schedule, takes in the ones between. 0: every batch.",
            kind=float, minimum=0, maximum=3600),
    Setting("THEMES_FILE", None, "A comment-themes lexicon file (TOML, the form of skm/data/themes.toml) merged over "
                                 "the shipped one: more words for a theme, new themes and integrity signals. Checked "
                                 "at start; a bad file stops the app naming each problem and where it is. Used by "
                                 "the unit page, the integrity alerts and the weekly digest."),
    *COMMON_SETTINGS,
)
