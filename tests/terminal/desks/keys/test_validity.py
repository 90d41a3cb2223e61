"""Validity periods enforced: a peer's expired keys refused, ours announced before they end.

Every operational key of a two-tier terminal is certified for two years. Past
its certificate's ``not_after`` its peers refuse what the signing key signs
(the address too: its certificate is on the card), seal nothing to the
encryption key (the send is refused, naming the peer and the fix) and refuse
a session on the TLS key. ``[alarms] key_expiring_days`` before that, the
terminal raises ``key-expiring`` for its own key, naming the rotation that
fixes it; the rotation clears it. Virtual time moves the clocks years ahead.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from hotline.crypto import KeyCertificate
from hotline.errors import ConfigError, KeyExpired, WrongSigner
from hotline.terminal import Terminal
from hotline.terminal.config.settings import AlarmSettings
from hotline.terminal.config.setup import open_terminal
from hotline.terminal.core.signers import Signers
from hotline.terminal.desks.keys import KeyDesk
from hotline.terminal.desks.keys.expiry import expiring_keys
from hotline.testing import run_virtual, virtual_clock
from hotline.utc import format_utc, from_epoch
from tests.terminal.helpers import make_pair, refusals, wait_until


def _current(directory: Path) -> dict[str, KeyCertificate]:
    files = open_terminal(directory)
    try:
        assert files.tiers is not None
        return {c.kind: c for c in files.tiers.current()}
    finally:
        files.store.close()


def _at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def test_a_peer_address_is_refused_past_its_certificate(tmp_path: Path) -> None:
    washington_dir, moscow_dir = make_pair(tmp_path)
    signing = _current(washington_dir)["signing"]
    files = open_terminal(moscow_dir)
    try:
        peer = files.store.get_peer("Washington")
        assert peer is not None
        signers = Signers(files.store)
        inside = format_utc(from_epoch(signing.not_after - 1))
        assert signers.signing_key_for(peer, None, inside) == peer.signing_key
        with pytest.raises(WrongSigner, match="after its certificate expired"):
            signers.signing_key_for(peer, None, format_utc(from_epoch(signing.not_after)))
        with pytest.raises(WrongSigner, match="--which signing"):
            signers.signing_key_for(peer, None, _at(signing.not_after + 86400))
        # Its not_before is not applied to the address: a clock a little behind.
        assert signers.signing_key_for(peer, None, _at(signing.not_before - 600))
        # No certificate (a checkpoint claims no time): nothing to compare.
        assert signers.signing_key_for(peer, None, None) == peer.signing_key
    finally:
        files.store.close()


def test_nothing_is_sealed_to_an_expired_key_and_an_expired_tls_key_is_refused(
    tmp_path: Path,
) -> None:
    washington_dir, moscow_dir = make_pair(tmp_path)
    keys = _current(washington_dir)
    # Moscow's clock a day past Washington's encryption and TLS certificates.
    later = _at(max(keys["encryption"].not_after, keys["tls"].not_after) + 86400)

    async def main() -> None:
        washington = Terminal.open(washington_dir, clock=virtual_clock())
        moscow = Terminal.open(moscow_dir, clock=virtual_clock(later))
        await washington.start()
        await moscow.start()
        try:
            with pytest.raises(KeyExpired) as refused:
                moscow.send_text(to="Washington", text="sealed to it?")
            text = str(refused.value)
            assert "Washington's encryption key" in text
            assert keys["encryption"].key_id in text
            assert "hotline key rotate DIR --which encryption" in text
            assert "nothing was sent" in text
            assert not moscow.store.list_messages(peer="Washington")

            def tls_refused() -> bool:
                return any(
                    r.data["what"] == "connection" and keys["tls"].key_id in r.data["reason"]
                    for r in refusals(moscow.store)
                )

            await wait_until(tls_refused, within=30, what="Moscow refuses the expired TLS key")
            assert moscow.status().peers[0].state != "up"
        finally:
            await washington.stop()
            await moscow.stop()

    run_virtual(main())


def test_our_keys_raise_key_expiring_before_they_end_and_a_rotation_clears_it(
    tmp_path: Path,
) -> None:
    washington_dir, _ = make_pair(tmp_path)
    keys = _current(washington_dir)
    soon = _at(min(c.not_after for c in keys.values()) - 10 * 86400)
    assert expiring_keys(keys.values(), now=soon, warn_days=30) == tuple(keys.values())
    assert expiring_keys(keys.values(), now=soon, warn_days=5) == ()

    async def main() -> None:
        washington = Terminal.open(washington_dir, clock=virtual_clock(soon))
        await washington.start()
        try:
            await wait_until(
                lambda: len(washington.alarms.open_of_kind("key-expiring")) == 3,
                what="a key-expiring alarm for each key",
            )
            alarms = {a.route: a for a in washington.alarms.open_of_kind("key-expiring")}
            assert set(alarms) == {"signing", "encryption", "tls"}
            tls = alarms["tls"]
            assert tls.peer == "Washington"
            assert keys["tls"].key_id in tls.detail
            assert f"hotline key rotate {washington_dir} --which tls" in tls.detail
            assert any(a.kind == "key-expiring" for a in washington.status().alarms)
            washington.desk(KeyDesk).rotate("tls")
            await wait_until(
                lambda: (
                    "tls" not in {a.route for a in washington.alarms.open_of_kind("key-expiring")}
                ),
                what="the rotation clears the TLS key's alarm",
            )
            assert len(washington.alarms.open_of_kind("key-expiring")) == 2
        finally:
            await washington.stop()

    run_virtual(main())


def test_the_warning_is_a_setting() -> None:
    assert AlarmSettings().key_expiring_days == 30
    assert AlarmSettings(key_expiring_days=7).key_expiring_days == 7
    with pytest.raises(ConfigError, match="key_expiring_days"):
        AlarmSettings(key_expiring_days=0)
