"""Alembic migration scripts for the clepath schema (`clepath db upgrade` runs them).

`env.py` is read by Alembic only; `versions/` holds one script per schema change, in order.
"""
