"""The collector's schema revisions (Alembic), one file each, oldest first. See ``collector.migrations``."""
