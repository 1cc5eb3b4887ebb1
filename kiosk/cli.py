"""``skm kiosk ...``: set up and run the counter app. Thin: parse, call one function, print."""
from __future__ import annotations

import gc
import os
import threading
import uuid
from pathlib import Path

import click

from skmweb import SettingError, backups, describe_settings

from . import create_app, settings, store, sync
from .office import OfficeError, parse_office

KIOSK_BACKUP = "skm kiosk backup"  # the mark a backup carries, so --keep knows its own


def app_from(ctx: click.Context):
    try:
        return create_app(instance_path=ctx.obj.get("instance"))
    except SettingError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group("kiosk")
@click.option("--instance", type=click.Path(file_okay=False), envvar="SKM_KIOSK_INSTANCE",
              help="The kiosk's instance folder (database, secret key, kiosk.cfg). Default: ./instance")
@click.pass_context
def kiosk(ctx: click.Context, instance: str | None) -> None:
    """The counter app: the tablet survey and its local store."""
    ctx.ensure_object(dict)
    ctx.obj["instance"] = instance or str(Path("instance").resolve())


@kiosk.command("init")
@click.argument("office_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--pin", help="Set the staff page PIN (at least 4 digits).")
@click.pass_context
def init_command(ctx: click.Context, office_file: str, pin: str | None) -> None:
    """Set up the unit, counters and services from OFFICE_FILE (TOML). Safe to run again: the responses
    already stored are kept."""
    try:
        unit, counters = parse_office(Path(office_file).read_text(encoding="utf-8"))
    except OfficeError as exc:
        raise click.ClickException("\n".join([f"{office_file}:"] + [f"  {p}" for p in exc.problems])) from exc
    if pin is not None:
        check_pin(pin)
    app = app_from(ctx)
    db = store.connect(app.config["KIOSK_DATABASE"])
    try:
        store.save_configuration(db, unit, counters)
        if store.get_setting(db, "kiosk_id") is None:
            store.set_settings(db, kiosk_id=str(uuid.uuid4()))
        if pin is not None:
            from .staff import set_pin
            set_pin(db, pin)
        click.echo(f"{unit['name']}: {len(counters)} counters, database {app.config['KIOSK_DATABASE']}")
        for c in counters:
            click.echo(f"  /k/{c.code}  {c.name}")
    finally:
        db.conn.close()


def check_pin(pin: str) -> None:
    if not (pin.isdigit() and len(pin) >= 4):
        raise click.BadParameter("the PIN must be at least 4 digits", param_hint="--pin")


@kiosk.command("set-pin")
@click.option("--pin", prompt=True, hide_input=True, confirmation_prompt=True, help="The new PIN.")
@click.pass_context
def set_pin_command(ctx: click.Context, pin: str) -> None:
    """Set the PIN that opens the staff page."""
    check_pin(pin)
    app = app_from(ctx)
    db = store.connect(app.config["KIOSK_DATABASE"])
    try:
        from .staff import set_pin
        set_pin(db, pin)
    finally:
        db.conn.close()
    click.echo("PIN set.")


def agent_options(config) -> dict:
    return {"interval": config["KIOSK_SYNC_INTERVAL_SECONDS"], "base": config["KIOSK_SYNC_BACKOFF_BASE_SECONDS"],
            "cap": config["KIOSK_SYNC_BACKOFF_CAP_SECONDS"], "batch_size": config["KIOSK_SYNC_BATCH_SIZE"],
            "retention_days": config["KIOSK_RETENTION_DAYS"], "timeout": config["KIOSK_SYNC_TIMEOUT_SECONDS"]}


def start_agent(app, connect=None) -> "sync.Agent":
    """The sync agent in a background thread of `skm kiosk run`, watched and restarted if it ends; the
    staff page reads its status. ``connect`` opens the agent's store (default: the kiosk database)."""
    database = app.config["KIOSK_DATABASE"]
    agent = sync.Agent(connect or (lambda: store.connect(database)), agent_options(app.config),
                       app.config["KIOSK_SYNC_WATCHDOG_SECONDS"])
    app.extensions["skm_sync_agent"] = agent
    return agent.start()


def open_store(ctx: click.Context):
    app = app_from(ctx)
    return app, store.connect(app.config["KIOSK_DATABASE"])


@kiosk.command("enroll")
@click.argument("collector_url")
@click.argument("code")
@click.pass_context
def enroll_command(ctx: click.Context, collector_url: str, code: str) -> None:
    """Enroll this kiosk at COLLECTOR_URL with the one-time CODE from `skm collector kiosk add`."""
    app, db = open_store(ctx)
    try:
        data = sync.enroll(db, collector_url, code, app.config["KIOSK_SYNC_TIMEOUT_SECONDS"])
    except sync.SyncError as exc:
        raise click.ClickException(f"enrollment failed: {exc}") from exc
    finally:
        db.conn.close()
    click.echo(f"enrolled as kiosk {data['kiosk_id']} of unit {data['unit']} at {collector_url}")
    if data.get("configuration_error"):
        click.echo(f"the configuration was not pulled yet ({data['configuration_error']}); the next sync pulls it")


@kiosk.command("sync")
@click.option("--watch", is_flag=True, help="Keep syncing, with backoff after failures, until Ctrl-C.")
@click.option("--retry-invalid", is_flag=True, help="First put responses the collector refused back in the outbox.")
@click.pass_context
def sync_command(ctx: click.Context, watch: bool, retry_invalid: bool) -> None:
    """Send the outbox to the collector: one pass, or --watch."""
    app, db = open_store(ctx)
    try:
        if retry_invalid:
            click.echo(f"{sync.retry_invalid(db)} responses back in the outbox")
        if watch:
            stop = threading.Event()
            try:
                sync.watch(lambda: store.connect(app.config["KIOSK_DATABASE"]), stop, on_report=print_report,
                           **agent_options(app.config))
            except KeyboardInterrupt:
                stop.set()
            return
        options = agent_options(app.config)
        report = sync.sync_once(db, options["batch_size"], options["retention_days"], options["timeout"])
    finally:
        db.conn.close()
    print_report(report)
    if not report.ok:
        ctx.exit(1)


def print_report(report: "sync.SyncReport") -> None:
    line = (f"sent {report.sent} in {report.batches} batches: {report.accepted} accepted, {report.duplicate} "
            f"duplicate, {report.conflict} conflict, {report.invalid} invalid; {report.backlog} waiting")
    if report.error:
        line += f"; failed: {report.error}"
    click.echo(line)


@kiosk.command("export")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True),
              help="The bundle file to write.")
@click.pass_context
def export_command(ctx: click.Context, out: str) -> None:
    """Write every unsynced response to one signed file for `skm collector import` (no network needed).

    Streamed (memory stays flat whatever the backlog) into a temporary file beside OUT, renamed to OUT only
    when complete: a failure midway leaves no half-written bundle."""
    _app, db = open_store(ctx)
    target = Path(out)
    partial = target.with_name(f".{target.name}.partial")
    try:
        with open(partial, "wb") as stream:
            count = sync.write_bundle(db, stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(partial, target)
    except sync.SyncError as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        raise click.ClickException(f"{out}: {exc.strerror or exc}") from exc
    finally:
        db.conn.close()
        partial.unlink(missing_ok=True)
    click.echo(f"{count} responses written to {out}; they stay in the outbox until the collector acknowledges them")


@kiosk.command("backup")
@click.option("--out", required=True, help="The backup file; strftime codes allowed, e.g. kiosk-%Y%m%d-%H%M.db")
@click.option("--keep", type=click.IntRange(min=1), help="Keep only this many newest backups made by this "
              "command under the --out name pattern; no other file is ever removed.")
@click.pass_context
def backup_command(ctx: click.Context, out: str, keep: int | None) -> None:
    """Copy the live database safely (SQLite online backup), also while `skm kiosk run` is serving."""
    from datetime import datetime
    target = Path(datetime.now().strftime(out))
    target.parent.mkdir(parents=True, exist_ok=True)
    app, db = open_store(ctx)
    try:
        backups.make_backup(db.conn, target, KIOSK_BACKUP)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        db.conn.close()
    click.echo(f"backup written to {target}")
    if keep:
        for path in backups.remove_old_backups(out, KIOSK_BACKUP, keep, Path(app.config["KIOSK_DATABASE"])):
            click.echo(f"removed old backup {path}")


@kiosk.command("restore")
@click.argument("backup_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def restore_command(ctx: click.Context, backup_file: str, yes: bool) -> None:
    """Put a backup back in place of the database. Stop `skm kiosk run` first. The current database is
    kept beside it as kiosk.db.before-restore."""
    check = store.integrity(backup_file)
    if check != "ok":
        raise click.ClickException(f"{backup_file}: fails its integrity check: {check}")
    app = app_from(ctx)
    current = Path(app.config["KIOSK_DATABASE"])
    if not yes:
        click.confirm(f"replace {current} with {backup_file}? Responses stored after that backup and not yet "
                      f"synced would be lost", abort=True)
    if current.exists():
        db = store.connect(str(current))
        try:
            store.backup(db, str(current) + ".before-restore")
        finally:
            db.conn.close()
    source = store.connect(backup_file)
    try:
        for suffix in ("-wal", "-shm"):
            Path(str(current) + suffix).unlink(missing_ok=True)
        store.backup(source, str(current))
    finally:
        source.conn.close()
    backups.clear_marker(current)
    click.echo(f"restored {current} from {backup_file} (the previous one is {current}.before-restore)")


@kiosk.command("run")
@click.option("--host", default="0.0.0.0", show_default=True, help="Address to listen on; tablets use the LAN.")
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.pass_context
def run_command(ctx: click.Context, host: str, port: int, threads: int) -> None:
    """Serve the kiosk with waitress."""
    import waitress

    app = app_from(ctx)
    with app.app_context():
        from .db import get_db
        db = get_db()
        if not store.is_configured(db):
            raise click.ClickException("not set up yet: run `skm kiosk init OFFICE.toml` first")
        counters = store.counters(db)
    shown = "localhost" if host in ("0.0.0.0", "::") else host
    for c in counters:
        click.echo(f"  http://{shown}:{port}/k/{c.code}  {c.name}")
    click.echo(f"  http://{shown}:{port}/staff/  staff page")
    agent = start_agent(app) if app.config["KIOSK_SYNC_ENABLED"] else None
    freeze_startup_objects()
    try:
        waitress.serve(app, host=host, port=port, threads=threads, ident="skm-kiosk", **waitress_options(app.config))
    finally:
        if agent:
            agent.stop.set()


def freeze_startup_objects() -> None:
    """Move everything made at start (modules, the app, its settings, the store's catalogues) out of the
    cyclic garbage collector's reach: a full collection then scans what requests made since, instead of
    pausing every thread for tens of milliseconds over objects that live as long as the process."""
    gc.collect()
    gc.freeze()


def waitress_options(config) -> dict:
    """The server's connection limits from the settings. poll() instead of select(), so the number of open
    connections is not capped by select's 1024 file descriptors."""
    return {"connection_limit": config["KIOSK_SERVER_CONNECTION_LIMIT"],
            "channel_timeout": config["KIOSK_SERVER_CHANNEL_TIMEOUT_SECONDS"],
            "cleanup_interval": config["KIOSK_SERVER_CLEANUP_INTERVAL_SECONDS"], "asyncore_use_poll": True}


@kiosk.command("settings")
def settings_command() -> None:
    """List every setting with its default and meaning."""
    click.echo(describe_settings("KIOSK", settings.SETTINGS))
