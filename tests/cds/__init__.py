"""Tests of the CDS Hooks 2.0 services: auth, hooks, cards, prefetch, feedback, router."""
