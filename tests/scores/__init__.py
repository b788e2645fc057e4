"""Tests of clepath.scores: one module per instrument."""
