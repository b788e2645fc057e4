"""One Alembic script per schema change; each names the revision it follows."""
