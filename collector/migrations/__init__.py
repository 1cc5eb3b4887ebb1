"""The collector's schema as frozen Alembic revisions (``versions/``), applied by one deploy step:
``skm collector migrate``. Application processes never migrate; at start they ``check`` the revision and
refuse to run on a database that is behind or ahead.

Adding a schema change: write ``versions/mNNN_<what>.py`` (copy the newest one; ``down_revision`` is the
current head), with literal tables and columns and any backfill in its own SQL. Never import
``collector.schema``, ``collector.store`` or ``skm`` there (``frozen.py`` holds the constants revisions use),
and never edit a revision once it shipped. Change ``collector/schema.py`` to match; the upgrade tests
(``tests/collector/test_upgrade.py``) check that the head equals it, from every fixture of an earlier release.

Databases made before Alembic recorded their steps in ``_migrations`` (m001_initial .. m007_monthly_aggregates,
the same names as the revisions here): ``upgrade`` stamps them at their last step, then upgrades.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import TextIO

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.runtime.environment import NameFilterParentNames, NameFilterType
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect

HERE = Path(__file__).resolve().parent
MIGRATE_COMMAND = "skm collector migrate"
LEGACY_TABLE = "_migrations"
ADVISORY_LOCK = 0x736B6D  # pg_advisory_xact_lock key: "skm", held while one migrate runs
log = logging.getLogger("collector.migrations")


class SchemaNotCurrent(RuntimeError):
    """The database's schema is not the one this code needs; the message says what to do."""


def alembic_config(connection: Connection | None = None, output: TextIO | None = None) -> Config:
    """Alembic's configuration, from this package (no alembic.ini): script location, and the connection
    that env.py runs on."""
    config = Config(output_buffer=output) if output else Config()
    config.set_main_option("script_location", str(HERE))
    config.attributes["connection"] = connection
    return config


def script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    revision = script().get_current_head()
    assert revision is not None  # the revisions ship in versions/
    return revision


def current_revision(conn: Connection) -> str | None:
    """The revision recorded in the database; for a database of the old ``_migrations`` table, its last
    step (which has the same name as the revision). None for an empty database."""
    recorded = MigrationContext.configure(conn).get_current_revision()
    if recorded is not None:
        return recorded
    return _legacy_revision(conn)


def _legacy_revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table(LEGACY_TABLE):
        return None
    applied = {row[0] for row in conn.exec_driver_sql(f"SELECT name FROM {LEGACY_TABLE}")}
    chain = [rev.revision for rev in reversed(list(script().walk_revisions()))]  # oldest first
    known = [name for name in chain if name in applied]
    if applied - set(chain) or known != chain[:len(known)]:
        raise SchemaNotCurrent(f"the database's {LEGACY_TABLE} table lists steps this version does not know or "
                               f"has gaps ({sorted(applied)}); restore a backup or use the version that made it")
    return known[-1] if known else None


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the database to the head revision in one transaction; returns (revision before, head).

    On PostgreSQL the transaction first takes an advisory lock, so a second ``migrate`` at the same time
    waits, then finds the work done. On SQLite the transaction takes the write lock up front (BEGIN
    IMMEDIATE, see ``store.make_engine``), which serialises them the same way.
    """
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({ADVISORY_LOCK})")
        before = current_revision(conn)
        if before is not None and before not in _known():
            raise SchemaNotCurrent(_ahead_message(before))
        if before is not None and MigrationContext.configure(conn).get_current_revision() is None:
            log.info("database of the old %s table: stamped at %s", LEGACY_TABLE, before)
            command.stamp(alembic_config(conn), before)
        command.upgrade(alembic_config(conn), "head")
    log.info("schema at %s (was %s)", head(), before or "empty")
    return before, head()


def upgrade_sql(engine: Engine, output: TextIO) -> None:
    """Write the SQL that ``upgrade`` would run on this database, from its revision to the head (offline
    mode, for a DBA to review or run). A database of the old ``_migrations`` table also gets the stamp."""
    with engine.connect() as conn:
        before = current_revision(conn)
        legacy = before is not None and MigrationContext.configure(conn).get_current_revision() is None
    config = alembic_config(output=output)
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    if legacy:
        assert before is not None  # legacy means a revision was read
        command.stamp(config, before, sql=True)
    command.upgrade(config, f"{before}:head" if before else "head", sql=True)


def check(engine: Engine) -> None:
    """Raise ``SchemaNotCurrent`` unless the database is at the head revision (for application start and
    /readyz). A read transaction: a probe does not wait for an ingest holding SQLite's write lock."""
    from ..store.engine import reading  # here: the store imports this module
    with reading(engine) as conn:
        current = current_revision(conn)
        legacy = current is not None and MigrationContext.configure(conn).get_current_revision() is None
    wanted = head()
    if current == wanted and not legacy:
        return
    if current is None:
        message = "the collector database has no schema yet"
    elif current not in _known():
        raise SchemaNotCurrent(_ahead_message(current))
    else:
        message = f"the collector database is at schema revision {current}, this version needs {wanted}"
        if legacy:
            message += " recorded by Alembic"
    raise SchemaNotCurrent(f"{message}: run `{MIGRATE_COMMAND}` first (after a backup), then start again")


def _known() -> set[str]:
    return {rev.revision for rev in script().walk_revisions()}


def _ahead_message(current: str) -> str:
    return (f"the collector database is at schema revision {current}, newer than this version knows (head "
            f"{head()}): run the version of skm-kiosk that ran `{MIGRATE_COMMAND}` on it, or restore the backup "
            f"taken before that upgrade")


def include_name(name: str | None, type_: NameFilterType, _parent: NameFilterParentNames) -> bool:
    """What the schema comparison looks at: not the old steps table, nor PostgreSQL's month partitions
    (made by ``store.prepare_for_days``, not by the models)."""
    if type_ == "table":
        return name != LEGACY_TABLE and not (name or "").startswith("responses_")
    return True


def differences(engine: Engine) -> list:
    """What differs between the database and ``collector.schema`` (tables, columns, types, indexes)."""
    from collector import schema
    with engine.connect() as conn:
        def in_this_dialect(_object, name: str | None, type_: str, _reflected: bool, _compare_to) -> bool:
            return not (type_ == "table" and conn.dialect.name != "postgresql" and name in schema.POSTGRESQL_ONLY)

        context = MigrationContext.configure(conn, opts={"include_name": include_name, "compare_type": True,
                                                         "include_object": in_this_dialect})
        return compare_metadata(context, schema.metadata)
