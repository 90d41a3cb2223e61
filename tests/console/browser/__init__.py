"""Real-browser end-to-end tests of the operator console (Debian chromium, Playwright)."""
