"""One HTTP API contract for the control socket and the console.

Both FastAPI apps, :mod:`hotline.terminal.control` (the CLI's, on
``DIR/control.sock``) and :mod:`hotline.console` (the operators'), answer with
the same resource shapes (:mod:`hotline.terminal.api.models`: a message, a
peer's line, an alarm) and the same error contract
(:mod:`hotline.terminal.api.errors`: one table from error class to HTTP status,
one error body). The console adds to a resource only what its reader needs
(text for the reader's language under ``display``, the traffic view's extras);
it never changes a key the terminal's shape already has.

Not re-exported by :mod:`hotline.terminal`: its modules import pydantic, which
CLI verbs that only talk to a daemon do not need.
"""

from __future__ import annotations
