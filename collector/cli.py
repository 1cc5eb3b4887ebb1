"""``skm collector ...``: run the collector and manage its organisation tree and kiosks."""
from __future__ import annotations

import functools
import sys
from datetime import date
from pathlib import Path

import click

from skmweb import SettingError, backups, describe_settings

from . import auth, configured_app, create_app, database_url, ingest, migrations, orgfile, settings, store, themes

COLLECTOR_BACKUP = "skm collector backup"  # the mark a backup carries, so --keep knows its own
USE_PG_DUMP = ("this collector runs on PostgreSQL: back it up with pg_dump, e.g. pg_dump --format=custom "
               "--file=collector-$(date +%Y%m%d).dump DBNAME, and restore with pg_restore (docs/operations.md)")


def _options(ctx: click.Context) -> dict:
    return ctx.find_root().obj if ctx.find_root().obj else ctx.obj


def _config(obj: dict) -> dict | None:
    return {"COLLECTOR_DATABASE_URL": obj["database"]} if obj.get("database") else None


def engine_from(ctx: click.Context):
    """The collector's engine, once its schema is checked to be current; the app is built once per command
    (reads instance config)."""
    obj = _options(ctx)
    if "app" not in obj:
        try:
            obj["app"] = create_app(_config(obj), instance_path=obj["instance"])
        except (migrations.SchemaNotCurrent, SettingError) as exc:
            raise click.ClickException(str(exc)) from exc
    return obj["app"].extensions["skm_engine"]


@click.group("collector")
@click.option("--instance", type=click.Path(file_okay=False), envvar="SKM_COLLECTOR_INSTANCE",
              help="The collector's instance folder (collector.cfg, SQLite file, secret key). Default: ./instance")
@click.option("--database", envvar="SKM_COLLECTOR_DATABASE_URL", metavar="URL",
              help="Database URL; default a SQLite file in the instance folder.")
@click.pass_context
def collector(ctx: click.Context, instance: str | None, database: str | None) -> None:
    """The central collector: ingest API, organisation tree and kiosks."""
    ctx.ensure_object(dict)
    ctx.obj.update(instance=instance or str(Path("instance").resolve()), database=database)


def fail_on(*errors):
    """Turn the store's named errors into a CLI error message."""
    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except errors as exc:
                raise click.ClickException(str(exc)) from exc
        return wrapper
    return decorate


@collector.command("run")
@click.option("--host", default="0.0.0.0", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.pass_context
def run_command(ctx: click.Context, host: str, port: int, threads: int) -> None:
    """Serve the collector with waitress."""
    import waitress
    engine_from(ctx)
    click.echo(f"  collector on http://{'localhost' if host in ('0.0.0.0', '::') else host}:{port}/")
    waitress.serve(ctx.obj["app"], host=host, port=port, threads=threads, ident="skm-collector")


@collector.command("migrate")
@click.option("--sql", "as_sql", is_flag=True, help="Print the SQL it would run instead of running it.")
@click.pass_context
def migrate_command(ctx: click.Context, as_sql: bool) -> None:
    """Bring the database's schema to this version's (the deploy step before starting the collector).
    Safe to run twice, also at the same time; a database of an older release is upgraded with its data."""
    obj = _options(ctx)
    try:
        app = configured_app(_config(obj), obj["instance"])
        lexicon = themes.load(app)  # a bad COLLECTOR_THEMES_FILE stops here, before the database
    except SettingError as exc:
        raise click.ClickException(str(exc)) from exc
    engine = store.make_engine(app.config["COLLECTOR_DATABASE_URL"])
    counted = None
    try:
        if as_sql:
            migrations.upgrade_sql(engine, sys.stdout)
            return
        before, head = migrations.upgrade(engine)
        # An upgraded database (m016) or a changed COLLECTOR_THEMES_FILE: the comments' themes are counted now,
        # so that no unit page has to count them while it is read.
        counted = store.complete_theme_counts(engine, lexicon)
    except RuntimeError as exc:  # SchemaNotCurrent, or a revision that cannot be written as SQL alone
        raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()
    where = engine.url.render_as_string(hide_password=True)
    click.echo(f"schema up to date at {head}: {where}" if before == head else
               f"schema upgraded from {before or 'an empty database'} to {head}: {where}")
    if counted:
        click.echo(f"the themes of {counted} comments counted with the lexicon in use")


@collector.command("settings")
def settings_command() -> None:
    """List every setting with its default and meaning."""
    click.echo(describe_settings("COLLECTOR", settings.SETTINGS))


# -- organisation ------------------------------------------------------------------------------------------

@collector.group("org")
def org() -> None:
    """The organisation tree: pemda -> OPD -> unit -> counters and services."""


@org.command("add-pemda")
@click.argument("code")
@click.argument("name")
@click.pass_context
def add_pemda(ctx, code, name):
    """Add or rename a pemda (city or regency)."""
    store.save_pemda(engine_from(ctx), code, name)
    click.echo(f"pemda {code}: {name}")


@org.command("add-opd")
@click.argument("code")
@click.argument("name")
@click.option("--pemda", required=True, help="The pemda's code.")
@click.pass_context
@fail_on(store.NotFound)
def add_opd(ctx, code, name, pemda):
    """Add or rename an OPD (dinas) of a pemda."""
    store.save_opd(engine_from(ctx), code, pemda, name)
    click.echo(f"OPD {code}: {name}")


@org.command("add-unit")
@click.argument("code")
@click.argument("name")
@click.option("--opd", required=True, help="The OPD's code.")
@click.option("--timezone", default="Asia/Jakarta", show_default=True,
              help="Asia/Jakarta (WIB), Asia/Makassar (WITA) or Asia/Jayapura (WIT).")
@click.pass_context
@fail_on(store.NotFound, ValueError, KeyError)
def add_unit(ctx, code, name, opd, timezone):
    """Add or rename a unit layanan of an OPD."""
    store.save_unit(engine_from(ctx), code, opd, name, timezone)
    click.echo(f"unit {code}: {name} ({timezone})")


@org.command("add-counter")
@click.argument("unit")
@click.argument("code")
@click.argument("name")
@click.option("--service", "services", multiple=True, required=True, metavar="CODE=NAME",
              help="A service offered at the counter; repeat for several.")
@click.pass_context
@fail_on(store.NotFound)
def add_counter(ctx, unit, code, name, services):
    """Add or replace a counter of a unit with its services."""
    parsed = []
    for item in services:
        s_code, sep, s_name = item.partition("=")
        if not sep or not s_code.strip() or not s_name.strip():
            raise click.BadParameter(f"{item!r}: write CODE=NAME", param_hint="--service")
        parsed.append((s_code.strip(), s_name.strip()))
    store.save_counter(engine_from(ctx), unit, code, name, parsed)
    click.echo(f"counter {unit}/{code}: {name} ({', '.join(c for c, _ in parsed)})")


@org.command("set-volume")
@click.argument("unit")
@click.argument("monthly", type=click.IntRange(min=0))
@click.pass_context
@fail_on(store.NotFound)
def set_volume(ctx, unit, monthly):
    """Estimated service recipients a month of UNIT, for the sample size when none were entered for a period."""
    engine = engine_from(ctx)
    store.get_unit(engine, unit)
    store.set_monthly_volume(engine, unit, monthly or None)
    click.echo(f"unit {unit}: about {monthly} service recipients a month")


@org.command("set-signatory")
@click.argument("unit")
@click.option("--name", required=True, help="The kepala unit's name as signed, with titles.")
@click.option("--nip", required=True, help="The kepala unit's 18-digit NIP (spaces are ignored).")
@click.option("--place", required=True, help="The place written above the signature, e.g. the city.")
@click.pass_context
@fail_on(store.NotFound, ValueError)
def set_signatory(ctx, unit, name, nip, place):
    """Who signs UNIT's Laporan Hasil SKM (its print view and PDF), and where."""
    store.set_signatory(engine_from(ctx), unit, name, nip, place)
    click.echo(f"unit {unit}: the report is signed by {name.strip()} (NIP {nip.replace(' ', '')}) in {place.strip()}")


@org.command("list")
@click.pass_context
def list_org(ctx):
    """Print the organisation tree."""
    for p in store.org_tree(engine_from(ctx)):
        click.echo(f"{p['code']}  {p['name']}")
        for o in p["opd"]:
            click.echo(f"  {o['code']}  {o['name']}")
            for u in o["units"]:
                click.echo(f"    {u['code']}  {u['name']}  [{u['timezone']}]")
                for c in u["counters"]:
                    services = ", ".join(s["code"] for s in c["services"])
                    click.echo(f"      {c['code']}  {c['name']}  ({services})")


@org.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.pass_context
def import_org(ctx, file):
    """Import the tree from a CSV file, one row per counter and service (see docs/organisation.md)."""
    text = Path(file).read_text(encoding="utf-8-sig")
    try:
        tree = orgfile.parse_csv(text)
    except orgfile.OrgFileError as exc:
        raise click.ClickException("\n".join([f"{file}:"] + [f"  {p}" for p in exc.problems])) from exc
    counts = orgfile.save(engine_from(ctx), tree)
    click.echo(", ".join(f"{n} {what}" for what, n in counts.items()))


# -- kiosks ---------------------------------------------------------------------------------------------------

@collector.group("kiosk")
def kiosk_group() -> None:
    """Kiosks: register, list, revoke."""


@kiosk_group.command("add")
@click.argument("unit")
@click.option("--name", help="A name to recognise it by, e.g. 'Tablet loket 1'.")
@click.pass_context
@fail_on(store.NotFound)
def add_kiosk(ctx, unit, name):
    """Register a kiosk for UNIT and print its one-time enrollment code."""
    engine = engine_from(ctx)
    kiosk_id, code = store.add_kiosk(engine, unit, name, ctx.find_root().obj["app"].config["COLLECTOR_ENROLL_DAYS"])
    click.echo(f"kiosk {kiosk_id} for unit {unit}")
    click.echo(f"enrollment code (works once): {code}")
    click.echo(f"on the kiosk: skm kiosk enroll COLLECTOR_URL {code}")


@kiosk_group.command("list")
@click.pass_context
def list_kiosks(ctx):
    """List kiosks with their state and when they were last seen."""
    for k in store.list_kiosks(engine_from(ctx)):
        state = "revoked" if k["revoked_at"] else ("enrolled" if k["enrolled_at"] else "waiting for enrollment")
        click.echo(f"{k['id']}  {k['unit']}  {k['name']}  {state}  last seen {k['last_seen_at'] or 'never'}")
        installs = store.kiosk_installs(engine_from(ctx), k["id"])
        if sum(1 for i in installs if not i["revoked_at"]) > 1:
            click.echo("  WARNING: more than one install syncs under this id (a copied kiosk?); revoke the copy "
                       "with --install")
        if len(installs) > 1:
            for i in installs:
                click.echo(f"  install {i['install_id'] or 'unknown'}  first seen {i['first_seen_at']}  last seen "
                           f"{i['last_seen_at']}  highest seq {i['max_seq']}"
                           + (f"  revoked {i['revoked_at']}" if i["revoked_at"] else ""))


@kiosk_group.command("revoke")
@click.argument("kiosk_id")
@click.option("--install", help="Revoke only this install of the kiosk (`unknown`: the one that sends no id).")
@click.pass_context
@fail_on(store.NotFound)
def revoke(ctx, kiosk_id, install):
    """Refuse every further request of a kiosk (a stolen tablet), or with --install only one copy of it
    (a copied instance folder), as `kiosk list` names them. Earlier data stays."""
    if install is not None:
        store.revoke_install(engine_from(ctx), kiosk_id, "" if install == "unknown" else install)
        click.echo(f"install {install} of kiosk {kiosk_id} revoked; its other installs go on")
        return
    store.revoke_kiosk(engine_from(ctx), kiosk_id)
    click.echo(f"kiosk {kiosk_id} revoked")


@collector.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.pass_context
def import_bundle(ctx, file):
    """Ingest an offline bundle written by `skm kiosk export`. Importing it twice changes nothing."""
    engine = engine_from(ctx)
    try:
        kiosk, batch = ingest.read_bundle(engine, Path(file).read_bytes())
        result = ingest.ingest_batch(engine, kiosk, batch, source="bundle", lexicon=_lexicon(ctx))
    except ingest.BatchError as exc:
        raise click.ClickException(f"{file}: {exc.message}") from exc
    counts = result.counts()
    click.echo(f"{file}: " + ", ".join(f"{n} {status}" for status, n in counts.items()))
    for o in result.outcomes:
        if o.status in ("invalid", "conflict"):
            click.echo(f"  {o.id}: {o.status}: {o.reason}")


def require_sqlite(url: str) -> str:
    """The file path of a SQLite URL; any other database is refused with the pg_dump advice."""
    if not url.startswith("sqlite:"):
        raise click.ClickException(USE_PG_DUMP)
    return url.removeprefix("sqlite:///")


@collector.command("backup")
@click.option("--out", required=True, help="The backup file; strftime codes allowed, e.g. collector-%Y%m%d-%H%M.db")
@click.option("--keep", type=click.IntRange(min=1), help="Keep only this many newest backups made by this "
              "command under the --out name pattern; no other file is ever removed.")
@click.pass_context
def backup_command(ctx, out, keep):
    """Copy the SQLite database safely (online backup: a consistent snapshot, also during ingest).
    PostgreSQL: use pg_dump (docs/operations.md)."""
    import sqlite3
    from datetime import datetime
    if ctx.obj.get("database"):
        require_sqlite(ctx.obj["database"])  # refused before connecting to a PostgreSQL server
    live = Path(require_sqlite(engine_from(ctx).url.render_as_string()))
    target = Path(datetime.now().strftime(out))
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(str(live), timeout=30)
    try:
        backups.make_backup(source, target, COLLECTOR_BACKUP)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        source.close()
    click.echo(f"backup written to {target}")
    if keep:
        for path in backups.remove_old_backups(out, COLLECTOR_BACKUP, keep, live):
            click.echo(f"removed old backup {path}")


@collector.command("restore")
@click.argument("backup_file", type=click.Path(exists=True, dir_okay=False))
@click.pass_context
def restore_command(ctx, backup_file):
    """Make BACKUP_FILE the SQLite database of a new instance (--instance, or --database sqlite:///PATH).
    Refused when that database exists already. PostgreSQL: use pg_restore (docs/operations.md)."""
    path = require_sqlite(database_url(ctx.obj.get("database"), ctx.obj["instance"]))
    try:
        backups.restore_new(Path(backup_file), Path(path))
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"restored {backup_file}: {store.response_count(engine_from(ctx))} responses")


@collector.command("rebuild-aggregates")
@click.pass_context
def rebuild_command(ctx):
    """Recompute every aggregate from the raw responses (gives the same result as the incremental path),
    and the comments' theme counts with the app's lexicon (after COLLECTOR_THEMES_FILE changed)."""
    rows = store.rebuild_aggregates(engine_from(ctx))
    comments = store.rebuild_theme_counts(engine_from(ctx), _lexicon(ctx))
    click.echo(f"{rows} daily aggregate rows rebuilt from {store.response_count(engine_from(ctx))} responses; "
               f"themes of {comments} comments counted")


# -- users -------------------------------------------------------------------------------------------------------

@collector.group("user")
def user_group() -> None:
    """Dashboard accounts: admin, pimpinan (sees everything, read only), kepala_unit (own units), petugas (own
    figures), inspektorat (integrity alerts of every unit, nothing else)."""


@user_group.command("add")
@click.argument("username")
@click.option("--name", required=True, help="The person's name, as shown on the dashboard.")
@click.option("--role", type=click.Choice(auth.ROLES), required=True)
@click.option("--unit", "units", multiple=True, help="A unit a kepala_unit sees; repeat for several.")
@click.option("--officer", help="For a petugas account: the officer's NIP (see `skm collector officer add`).")
@click.option("--email", help="Where alerts (kepala_unit, pimpinan, inspektorat) and the weekly digest "
                              "(kepala_unit) go.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="At least 10 characters; asked for when not given.")
@click.pass_context
def add_user(ctx, username, name, role, units, officer, email, password):
    """Add an account, or replace its name, role, units, e-mail address and password."""
    try:
        auth.create_user(engine_from(ctx), username, name, password, role, list(units), officer, email)
    except auth.UserError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"user {username}: {role}" + (f" of {', '.join(units)}" if units else ""))


@user_group.command("password")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="At least 10 characters; asked for when not given.")
@click.pass_context
@fail_on(store.NotFound)
def user_password(ctx, username, password):
    """Change an account's password; every session it has open ends."""
    try:
        ended = auth.change_password(engine_from(ctx), username, password)
    except auth.UserError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"user {username}: password changed, {ended} session(s) ended")


@user_group.command("disable")
@click.argument("username")
@click.pass_context
@fail_on(store.NotFound)
def user_disable(ctx, username):
    """Disable an account: it cannot sign in, and every session it has open ends now."""
    ended = auth.disable_user(engine_from(ctx), username)
    click.echo(f"user {username}: disabled, {ended} session(s) ended")


@user_group.command("enable")
@click.argument("username")
@click.pass_context
@fail_on(store.NotFound)
def user_enable(ctx, username):
    """Let a disabled account sign in again."""
    auth.enable_user(engine_from(ctx), username)
    click.echo(f"user {username}: enabled")


@user_group.command("list")
@click.pass_context
def list_users(ctx):
    """List the accounts with their roles and units."""
    for u in store.list_users(engine_from(ctx)):
        click.echo(f"{u['username']}  {u['name']}  {u['role']}  {', '.join(u['units']) or '-'}")


@collector.command("audit")
@click.option("--limit", default=50, show_default=True)
@click.option("--action", help="Only this action: login, login_failed, logout, export, ...")
@click.pass_context
def audit_command(ctx, limit, action):
    """Print the newest entries of the audit log."""
    for e in store.audit_entries(engine_from(ctx), limit, action):
        click.echo(f"{e['at']}  {e['username'] or '-'}  {e['action']}  {e['target'] or ''}  {e['detail'] or ''}  "
                   f"{e['ip'] or ''}")


@collector.command("demo")
@click.option("--months", default=24, show_default=True, help="Months of responses to make, ending today.")
@click.option("--scale", default=1.0, show_default=True, help="Multiply every unit's monthly volume.")
@click.option("--seed", default=2017, show_default=True)
@click.pass_context
def demo_command(ctx, months, scale, seed):
    """Fill an empty collector with the Kota Dumai demo: tree, accounts and synthetic responses."""
    from . import demo
    engine = engine_from(ctx)
    if store.response_count(engine) or store.org_tree(engine):
        raise click.ClickException("the demo needs an empty collector: use a new --instance")
    built = demo.build(engine, months=months, seed=seed, scale=scale, lexicon=_lexicon(ctx))
    click.echo(f"{built['responses']} responses for {len(built['units'])} units")
    for username, role, password in built["users"]:
        click.echo(f"  {username:<32} {role:<12} password {password}")


@collector.command("copy")
@click.argument("source_url")
@click.argument("target_url")
def copy_command(source_url, target_url):
    """Copy a whole collector from SOURCE_URL to an empty TARGET_URL (e.g. a city's SQLite to a province's
    PostgreSQL), then verify: the same rows in every table, the same index for every unit."""
    from . import rollups
    from skm.periods import Period
    source, target = store.make_engine(source_url), store.make_engine(target_url)
    try:
        for engine in (source, target):
            try:
                migrations.check(engine)
            except migrations.SchemaNotCurrent as exc:
                raise click.ClickException(f"{engine.url.render_as_string(hide_password=True)}: {exc}") from exc
        try:
            copied = store.copy_database(source, target)
        except store.Refused as exc:
            raise click.ClickException(str(exc)) from exc
        for table, count in copied.items():
            if count:
                click.echo(f"  {table:<20} {count}")
        differences = [name for name, count in store.table_counts(source).items()
                       if store.table_counts(target)[name] != count]
        everything = Period("range", date(1970, 1, 1), date(2100, 1, 1))
        for unit in store.all_units(source):
            before = rollups.rollup(source, [unit["code"]], everything)
            after = rollups.rollup(target, [unit["code"]], everything)
            if (before.respondents, before.result) != (after.respondents, after.result):
                differences.append(f"index of {unit['code']}")
        if differences:
            raise click.ClickException(f"the copy differs from the source: {', '.join(differences)}")
        click.echo(f"verified: {sum(copied.values())} rows, every unit's index identical")
    finally:
        source.dispose()
        target.dispose()



# -- officers -------------------------------------------------------------------------------------------------------

@collector.group("officer")
def officer_group() -> None:
    """Officers (petugas): registered here, checked in at the kiosk, given feedback on the dashboard."""


@officer_group.command("add")
@click.argument("nip")
@click.option("--name", required=True)
@click.option("--unit", required=True, help="The unit the officer serves.")
@click.option("--pin", prompt=True, hide_input=True, confirmation_prompt=True,
              help="The PIN the officer checks in with at the kiosk (at least 6 digits).")
@click.pass_context
@fail_on(store.NotFound)
def add_officer(ctx, nip, name, unit, pin):
    """Register an officer (or change their name, unit or PIN); kiosks of the unit get them at their next sync."""
    from . import officers
    if officers.pin_problem(pin):
        raise click.BadParameter(officers.pin_problem(pin), param_hint="--pin")
    store.save_officer(engine_from(ctx), nip, name, unit, officers.hash_pin(pin))
    click.echo(f"officer {nip}: {name} ({unit})")


@officer_group.command("list")
@click.argument("unit")
@click.pass_context
def list_officers(ctx, unit):
    """The officers of a unit."""
    for o in store.unit_officers(engine_from(ctx), unit):
        click.echo(f"{o['nip']}  {o['name']}")


@officer_group.command("ranking")
@click.argument("unit")
@click.argument("state", type=click.Choice(["on", "off"]))
@click.pass_context
@fail_on(store.NotFound)
def officer_ranking(ctx, unit, state):
    """Show pimpinan a ranked table of the unit's officers (off by default; every view is audited)."""
    store.set_officer_ranking(engine_from(ctx), unit, state == "on")
    click.echo(f"unit {unit}: officer ranking for pimpinan {state}")


# -- alerts and the weekly digest ---------------------------------------------------------------------------------

def _lexicon(ctx: click.Context):
    """The app's themes lexicon: the shipped one with COLLECTOR_THEMES_FILE over it (integrity alerts, digest)."""
    engine_from(ctx)
    return _options(ctx)["app"].extensions["skm_themes"]


def _smtp(ctx: click.Context):
    from .mail import SmtpSettings
    engine_from(ctx)
    return SmtpSettings.from_config(_options(ctx)["app"].config)


@collector.group("alerts")
def alerts_group() -> None:
    """Alert rules evaluated on a schedule (cron or a systemd timer, every 5 minutes: docs/operations.md)."""


@alerts_group.command("run")
@click.option("--no-mail", is_flag=True, help="Evaluate only; leave queued e-mails queued.")
@click.pass_context
def alerts_run(ctx, no_mail):
    """Evaluate every unit's alert rules, then send the queued alert e-mails."""
    from . import alerts, mail
    engine = engine_from(ctx)
    config = _options(ctx)["app"].config
    lexicon = _lexicon(ctx)
    outcome = alerts.run(engine, alerts.OfficeHours.from_config(config), lexicon)
    click.echo(f"alerts: {len(outcome.opened)} opened, {outcome.cleared} cleared")
    if no_mail:
        return
    smtp = _smtp(ctx)
    if not smtp.configured:
        click.echo("e-mail: COLLECTOR_SMTP_HOST is not set; alert e-mails stay queued")
        return
    sent, failed = mail.send_queued(engine, smtp, lambda row: alerts.alert_email(
        engine, row, smtp.sender, config["COLLECTOR_DASHBOARD_URL"], lexicon), alerts.MAIL_ATTEMPTS)
    click.echo(f"e-mail: {sent} sent, {failed} failed")
    if failed:
        raise click.ClickException(f"{failed} e-mails not sent; see `skm collector alerts mail-log`")


@alerts_group.command("mail-log")
@click.option("--limit", default=30, show_default=True)
@click.pass_context
def alerts_mail_log(ctx, limit):
    """The newest e-mails: queued, sent or failed (with why)."""
    for m in store.mail_log(engine_from(ctx), limit):
        state = f"sent {m['sent_at']}" if m["sent_at"] else (f"failed x{m['attempts']}: {m['error']}"
                                                              if m["error"] else "queued")
        click.echo(f"#{m['id']}  {m['created_at']}  {m['kind']}  {m['recipient']}  {m['subject']}  {state}")


@collector.group("digest")
def digest_group() -> None:
    """The weekly digest e-mail to each kepala unit (a weekly cron job or timer: docs/operations.md)."""


@digest_group.command("send")
@click.pass_context
def digest_send(ctx):
    """Send this week's digest to every kepala unit with an e-mail address."""
    from . import digest
    smtp = _smtp(ctx)
    if not smtp.configured:
        raise click.ClickException("COLLECTOR_SMTP_HOST is not set: no digest can be sent")
    app = _options(ctx)["app"]
    sent, failed = digest.send_digests(engine_from(ctx), smtp, _lexicon(ctx), pdf=digest.pdf_maker(app))
    click.echo(f"digest: {sent} sent, {failed} failed")
    if failed:
        raise click.ClickException(f"{failed} digests not sent; see `skm collector alerts mail-log`")
