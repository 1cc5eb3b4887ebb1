"""Alembic's environment for the collector: runs on the connection ``collector.migrations`` passes in
(online), or writes SQL for the URL's dialect (offline, ``skm collector migrate --sql``)."""
from alembic import context

from collector.migrations import include_name

config = context.config

if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True, include_name=include_name)
    with context.begin_transaction():
        context.run_migrations()
else:
    context.configure(connection=config.attributes["connection"], include_name=include_name)
    with context.begin_transaction():
        context.run_migrations()
