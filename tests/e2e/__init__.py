"""End-to-end tests: the real server (`clepath serve`) driven by headless Chromium (Playwright)."""
