"""``hotline init DIR --standby-of ACTIVE --listen HOST:PORT``: the second process of an active/standby pair.

The pair is one party (one identity, one PostgreSQL store) run by two
``hotline run`` processes, normally on two machines (docs/ha.md). The standby's
directory is made from the active's: the same keys and TLS certificate, the
same settings with its own ``listen``, and ``[terminal] partner_listen`` naming
the other's addresses in each directory, so the card either prints lists both
machines as routes and peers fail over by their usual route logic. Copy the new
directory to the second machine as it is (it holds the private keys: mode 0700).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from pathlib import Path

from hotline.errors import AlreadyInitialised, ConfigError, NotInitialised
from hotline.terminal.config.paths import TerminalPaths
from hotline.terminal.config.settings import (
    Settings,
    check_listen,
    load_settings,
    render_settings,
)

__all__ = ["init_standby", "set_setting"]


def init_standby(directory: Path, *, of: Path, listen: list[str]) -> Settings:
    """Make ``directory`` the standby of the terminal in ``of``; return its settings."""
    source = TerminalPaths(of)
    if not source.is_initialised():
        raise NotInitialised(f"{of} is not a hotline terminal")
    settings = load_settings(source.config)
    if settings.store_url is None:
        raise ConfigError(
            "an active/standby pair shares a PostgreSQL store: move this terminal first "
            f"(hotline store migrate {of} --to postgresql://…)"
        )
    paths = TerminalPaths(directory)
    if paths.config.exists() or paths.keys.exists():
        raise AlreadyInitialised(f"{directory} already holds a terminal")
    listen_here = check_listen(listen)
    if set(listen_here) & set(settings.listen):
        raise ConfigError("the standby must listen on addresses of its own")
    standby = dataclasses.replace(settings, listen=listen_here, partner_listen=settings.listen)
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    shutil.copytree(source.keys, paths.keys)
    shutil.copytree(source.tls, paths.tls)
    paths.config.write_text(render_settings(standby), encoding="utf-8")
    set_setting(source.config, "terminal", "partner_listen", list(listen_here))
    return standby


def set_setting(config: Path, section: str, key: str, value: object) -> None:
    """Set ``[section] key`` in a settings file, keeping every other line (and comment) as it is.

    ``value`` is written as JSON, which TOML reads the same for strings, numbers,
    booleans and lists of them. The file is checked before it replaces the old one.
    """
    lines = config.read_text(encoding="utf-8").splitlines(keepends=True)
    line = f"{key} = {json.dumps(value, ensure_ascii=False)}\n"
    header = f"[{section}]"
    current = None
    for index, text in enumerate(lines):
        stripped = text.split("#", 1)[0].strip()
        if stripped.startswith("["):
            if current == header:
                lines.insert(index, line)  # the section has no such key yet
                break
            current = stripped
        elif current == header and stripped.split("=", 1)[0].strip() == key:
            lines[index] = line
            break
    else:
        lines.append(line if current == header else f"\n{header}\n{line}")
    temporary = config.with_name(config.name + ".new")
    temporary.write_text("".join(lines), encoding="utf-8")
    try:
        load_settings(temporary, environ={})
    except BaseException:
        temporary.unlink()
        raise
    os.replace(temporary, config)
