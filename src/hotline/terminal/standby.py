"""``hotline init DIR --standby-of ACTIVE --listen HOST:PORT``: the second process of an active/standby pair.

The pair is one party (one identity, one PostgreSQL store) run by two
``hotline run`` processes, normally on two machines (docs/ha.md). The standby's
directory is made from the active's: the same keys and TLS certificate, the
same settings with its own ``listen``, and ``[terminal] partner_listen`` naming
the other's addresses in each directory, so the card either prints lists both
machines as routes and peers fail over by their usual route logic. Copy the new
directory to the second machine as it is (it holds the private keys: mode 0700).

After that the pair keeps its key files in step through the store
(:mod:`hotline.terminal.config.keyfiles`): :func:`pull_key_files` is what
``hotline run`` does first, before it opens the keys.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from pathlib import Path

from hotline.errors import AlreadyInitialised, ConfigError, NotInitialised
from hotline.store import open_store
from hotline.terminal.config.keyfiles import KeySync, sync_key_files
from hotline.terminal.config.paths import TerminalPaths
from hotline.terminal.config.settings import (
    Settings,
    check_listen,
    load_settings,
    render_settings,
)
from hotline.terminal.runtime.clock import SystemClock
from hotline.utc import format_utc

__all__ = ["init_standby", "pull_key_files", "set_setting"]


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


def pull_key_files(directory: Path) -> KeySync | None:
    """Bring the key files of ``directory`` up to date from its PostgreSQL store, as a
    standby does (never publishing); None for a SQLite terminal (it has no standby).

    Run before the keys are opened: the files the active process published
    since this directory last matched the store are written in, the ones it
    no longer has removed (docs/ha.md §6).
    """
    paths = TerminalPaths(directory)
    settings = load_settings(paths.config)
    if settings.store_url is None or not paths.keys.is_dir():
        return None
    store = open_store(settings.store_url, create=False)
    try:
        return sync_key_files(store, paths, lead=False, at=format_utc(SystemClock().now()))
    finally:
        store.close()


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
