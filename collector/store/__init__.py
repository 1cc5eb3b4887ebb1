"""Every SQL statement of the collector, one module per resource (as GOV.UK Notify keeps its ``dao``):

- ``engine``: the engine, PostgreSQL's monthly partitions, shared helpers and errors;
- ``org``: the organisation tree; ``kiosks``: registration, enrollment, revocation;
- ``ingest``: a batch stored exactly once; ``aggregates``: the rollups, added at ingest and rebuilt;
- ``reads``: what the dashboard sums for a period; ``plans``: populations and follow-up plans;
- ``accounts``: dashboard users and the audit log; ``public``: QR receipts and the public survey;
- ``copy``: one database into another; ``officers``: officers, their figures and notes;
- ``alerts``: alert rules, episodes and the e-mail log.
- ``comments``: citizens' comments with their scores, filtered and a page at a time;
- ``publications``: where and when a unit published a period's results.
- ``themes``: the comments' themes counted per unit, day and channel under one lexicon.

SQLAlchemy Core, so the same code runs on SQLite (default) and PostgreSQL; the schema's revisions are in
``collector.migrations``. Callers use ``store.<name>``: every public name is re-exported here.
"""
# ruff: noqa: F401 - the re-exports are this module's purpose
from .accounts import (
    audit,
    audit_entries,
    clear_login_failures,
    end_session,
    end_sessions_of,
    get_user,
    list_users,
    login_failures,
    save_user,
    session_user,
    set_password_hash,
    set_user_disabled,
    start_session,
    take_login_attempt,
)
from .alerts import (
    acknowledge,
    alerts_of,
    get_alert,
    last_received_by_kiosk,
    log_mail,
    low_responses,
    mail_log,
    mark_mail,
    open_alert_kinds,
    queued_mail,
    recent_comments,
    recipients,
    save_rule,
    saved_rules,
    sync_episodes,
    unit_kiosks,
)
from .aggregates import (
    AGGREGATE_SOURCE,
    add_to_aggregates,
    aggregate_rows,
    aggregates,
    all_aggregates,
    conflict_count,
    hourly,
    monthly_rows,
    officer_aggregates,
    rebuild_aggregates,
    rebuild_aggregates_in,
    response_count,
    response_ids,
)
from .comments import scored_comments
from .copy import copy_database, days_in, table_counts
from .engine import (
    MONTHS_AHEAD,
    PARTITION_LOCK,
    NotFound,
    Refused,
    make_engine,
    reading,
    now_iso,
    prepare_for_days,
    rows,
    schema_is_current,
    upsert,
)
from .ingest import REFUSED_VALUES, Outcome, ingest, response_row
from .kiosks import (
    ENROLL_ALPHABET,
    add_kiosk,
    enroll,
    get_kiosk,
    kiosk_config,
    kiosks_by_reference,
    list_kiosks,
    revoke_kiosk,
    skewed_kiosks,
    touch_kiosk,
    kiosk_and_install,
    record_install,
    report_install,
    Arrival,
    InstallNote,
    kiosk_installs,
    copied_kiosks,
    revoke_install,
)
from .officers import (
    add_officer_note,
    get_officer,
    link_user_to_officer,
    officer_comments,
    officer_notes,
    officer_totals,
    save_officer,
    set_officer_ranking,
    unit_officers,
    unit_officer_nips,
)
from .org import (
    all_units,
    counter_names,
    get_unit,
    known_codes,
    unit_with_codes,
    org_tree,
    save_counter,
    save_opd,
    save_pemda,
    save_unit,
    NIP,
    set_signatory,
    service_names,
    unit_counters,
    units_under,
)
from .plans import (
    add_followup,
    followups,
    followups_due,
    population,
    populations,
    set_followup_status,
    set_monthly_volume,
    set_population,
)
from .publications import MEDIA, add_publication, delete_publication, publications
from .public import (
    allow_hit,
    count_hit,
    flag_suspect,
    is_stored_as,
    receipt_used,
    receipts_answered_count,
    receipts_issued_count,
    receipts_with_code,
    recent_link_scores,
    record_public_response,
    store_receipts_issued,
)
from .reads import (
    COUNT_COLUMNS,
    GROUP_KEYS,
    INDEX_COLUMNS,
    LEAN_COLUMNS,
    SUM_COLUMNS,
    aggregate_totals,
    grouped_totals,
    whole_months,
    hourly_totals,
    monthly_totals,
    period_comments,
    raw_responses,
    weekday_hour_totals,
)
from .themes import ALL as ALL_COMMENTS
from .themes import (
    complete_lexicons,
    complete_theme_counts,
    rebuild_theme_counts,
    rebuild_theme_counts_in,
    theme_counts,
    theme_totals,
)
