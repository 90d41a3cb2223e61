"""Layer 4: the operator console, a web app a watch officer runs the line from.

Served by ``hotline run`` beside the control API when ``[console] listen`` is
set (:func:`serve_console`); built for one running terminal by
:func:`create_console_app`. Pages in English, Indonesian and Russian; every
route behind a login session; live views over server-sent events. See
docs/console.md.

It imports the terminal's public API (and crypto, store, errors, utc), never
``hotline.link`` or ``hotline.proto``, and FastAPI, uvicorn, Jinja2 and Babel.
"""

from __future__ import annotations

from hotline.console.app import (
    create_console_app,
    error_status,
    serve_console,
)
from hotline.console.deps import (
    SESSION_STATE_KEY,
    TOKEN_STATE_KEY,
    ConsoleDep,
    CurrentOperator,
    SessionDep,
    TerminalDep,
    TokenDep,
    check_csrf,
    current_operator,
    current_session,
    get_console,
    get_terminal,
    require,
    session_token,
)
from hotline.console.detail import (
    VERIFICATION_STATUSES,
    Verification,
    check_acknowledgement,
    check_receipt,
    check_signature,
    message_detail,
)
from hotline.console.i18n import (
    CLIENT_MSGIDS,
    DEFAULT_LANGUAGE,
    DOMAIN,
    LANGUAGE_NAMES,
    LOCALE_DIR,
    N_,
    Catalogues,
    format_moment,
    format_utc_text,
    load_catalogues,
    negotiate_language,
)
from hotline.console.middleware import (
    CONTENT_SECURITY_POLICY,
    PUBLIC_PATHS,
    PUBLIC_PREFIXES,
    SECURITY_HEADERS,
    SecurityHeaders,
    SessionGate,
    is_public,
)
from hotline.console.schemas import (
    LanguageChange,
    MessageCreate,
    ShiftNoteCreate,
)
from hotline.console.security import (
    ABSOLUTE_TIMEOUT,
    BACKGROUND_HEADER,
    CSRF_FIELD,
    CSRF_HEADER,
    IDLE_TIMEOUT,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    UNSAFE_METHODS,
    ConsoleSession,
    LoginFailureLog,
    LoginLimiter,
    SessionStore,
    new_token,
    tokens_match,
)
from hotline.console.state import (
    LOGIN_CHECKS_AT_ONCE,
    ConsoleState,
    build_state,
)
from hotline.console.templating import (
    STATIC_DIR,
    TEMPLATE_DIR,
    PageRenderer,
)
from hotline.console.views import (
    SPARKLINE_HEIGHT,
    SPARKLINE_SPAN,
    SPARKLINE_WIDTH,
    TRAFFIC_KINDS,
    alarm_view,
    message_row,
    message_state,
    note_view,
    sparkline,
    status_view,
    traffic,
)

__all__ = [
    "ABSOLUTE_TIMEOUT",
    "BACKGROUND_HEADER",
    "CLIENT_MSGIDS",
    "CONTENT_SECURITY_POLICY",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "Catalogues",
    "ConsoleDep",
    "ConsoleSession",
    "ConsoleState",
    "CurrentOperator",
    "DEFAULT_LANGUAGE",
    "DOMAIN",
    "IDLE_TIMEOUT",
    "LANGUAGE_NAMES",
    "LOCALE_DIR",
    "LOGIN_CHECKS_AT_ONCE",
    "LOGIN_CSRF_COOKIE",
    "LanguageChange",
    "LoginFailureLog",
    "LoginLimiter",
    "MessageCreate",
    "N_",
    "PUBLIC_PATHS",
    "PUBLIC_PREFIXES",
    "PageRenderer",
    "SECURITY_HEADERS",
    "SESSION_COOKIE",
    "SESSION_STATE_KEY",
    "SPARKLINE_HEIGHT",
    "SPARKLINE_SPAN",
    "SPARKLINE_WIDTH",
    "STATIC_DIR",
    "SecurityHeaders",
    "SessionDep",
    "SessionGate",
    "SessionStore",
    "ShiftNoteCreate",
    "TEMPLATE_DIR",
    "TOKEN_STATE_KEY",
    "TRAFFIC_KINDS",
    "TerminalDep",
    "TokenDep",
    "UNSAFE_METHODS",
    "VERIFICATION_STATUSES",
    "Verification",
    "alarm_view",
    "build_state",
    "check_acknowledgement",
    "check_csrf",
    "check_receipt",
    "check_signature",
    "create_console_app",
    "current_operator",
    "current_session",
    "error_status",
    "format_moment",
    "format_utc_text",
    "get_console",
    "get_terminal",
    "is_public",
    "load_catalogues",
    "message_detail",
    "message_row",
    "message_state",
    "negotiate_language",
    "new_token",
    "note_view",
    "require",
    "serve_console",
    "session_token",
    "sparkline",
    "status_view",
    "tokens_match",
    "traffic",
]
