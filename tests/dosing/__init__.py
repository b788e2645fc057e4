"""Tests of the IVIG course planner (clepath.dosing) and its engine, report and CLI edges."""
