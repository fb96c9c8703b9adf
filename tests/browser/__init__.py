"""The browser journeys; where their Chromium is, and why they cannot run when it is missing."""
import os

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def missing_browser():
    """Why the browser journeys cannot run here, or None. Under CI=true they always run (and fail loudly)."""
    if os.access(CHROMIUM, os.X_OK) or os.environ.get("CI") == "true":
        return None
    return (f"no Chromium at {CHROMIUM}; get it with 'sudo make browser' (or 'sudo apt-get install chromium'), "
            f"or set CHROMIUM=/path/to/chromium")
