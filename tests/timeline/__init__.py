"""Tests of the timeline: the engine's dated series and the SVG drawing."""
