"""Tests of the printable documents: the treatment summary and the IVIG request letter."""
