"""Tests of clepath.store: round trips, validation, users, sessions, audit, migrations."""
