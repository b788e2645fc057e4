"""Tests of the treatment side of the clinical core (clepath.engine)."""
