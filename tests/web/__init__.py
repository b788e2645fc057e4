"""Tests of clepath.web (pages and JSON API through FastAPI's TestClient) and its commands."""
