"""No persona name or number in anything diagnostics produces: check results (both
languages), `kiosk diagnose --json`, the test read, the support bundle — with every
persona's cards in the readers, their requests in the outbox and their data in the logs."""

from __future__ import annotations

import io
import json
import tarfile

import pytest

from kiosk.central.outbox import Outbox
from kiosk.cli.diagnose import diagnostics_context
from kiosk.logs import get_logger, setup_logging
from kiosk.personas import load_personas
from kiosk.services.diagnostics import run_check, run_checks
from kiosk.services.diagnostics.bundle import export_bundle, redacted_config
from kiosk.services.diagnostics.cardtest import card_test_check
from tests.diagnostics.helpers import outbox_file
from tests.fixtures.pcsc import ID_READER, SSC_READER


def persona_secrets() -> dict[str, set[str]]:
    """Every name and number of every persona (the strings that must never show)."""
    out: dict[str, set[str]] = {}
    for key, p in load_personas().items():
        found: set[str] = set()
        idc, ssc, central = p.get("id", {}), p.get("ssc", {}), p.get("central", {})
        # PINs are left out: diagnostics never asks for one, and "000000" also occurs
        # in ATRs and timestamps, so searching for it proves nothing.
        for value in (idc.get("name"), idc.get("id_number"), idc.get("address"),
                      ssc.get("card_number"), central.get("phone")):
            if value:
                found.add(str(value))
        for card in central.get("cards", []):
            if card.get("card_number"):
                found.add(card["card_number"])
        repl = central.get("replacement") or {}
        if repl.get("card_number"):
            found.add(repl["card_number"])
        out[key] = {s for s in found if len(s) >= 2}
    return out


ALL_SECRETS = set().union(*persona_secrets().values())


def assert_clean(text: str, where: str) -> None:
    leaks = sorted(s for s in ALL_SECRETS if s in text)
    assert not leaks, f"{where} leaks {leaks}"


def _bundle_text(path) -> str:
    chunks = []
    with tarfile.open(path) as tar:
        for member in tar.getmembers():
            if member.isfile():
                data = tar.extractfile(member).read()  # type: ignore[union-attr]
                chunks.append(data.decode("utf-8", "replace"))
    return "\n".join(chunks)


def test_personas_have_secrets_to_look_for():
    assert len(ALL_SECRETS) > 30
    assert "王小明" in ALL_SECRETS and "11010519930614882X" in ALL_SECRETS


@pytest.mark.pcsc
def test_nothing_personal_anywhere(tmp_path, central_settings, central_secrets, sandbox,
                                   virtual_slots, wait_card_state):
    settings = central_settings
    setup_logging(settings.log_dir)
    log = get_logger("kiosk.test.privacy")
    outbox = Outbox(outbox_file(settings))
    outputs: list[tuple[str, str]] = []
    personas = load_personas()
    for key, p in personas.items():
        # The persona's data goes where real journeys put it: logs (masked by the logger),
        # the outbox (durable, personal by design), the readers.
        idc = p.get("id", {})
        log.info("journey for %s card %s", idc.get("id_number", "-"),
                 p.get("ssc", {}).get("card_number", "-"),
                 extra={"fields": {"name": idc.get("name"), "phone":
                                   p.get("central", {}).get("phone"), "step": "lookup"}})
        outbox.enqueue("pre_loss", {"card_number": p.get("ssc", {}).get("card_number", ""),
                                   "id_number": idc.get("id_number", ""),
                                   "name": idc.get("name", "")}, f"key-{key}")
        inserted = []
        for slot, reader in (("ssc", SSC_READER), ("id", ID_READER)):
            if slot in p and (slot != "ssc" or p["ssc"].get("behaviour") == "normal"):
                try:
                    virtual_slots.insert(key, slot)
                except (KeyError, ValueError):
                    continue
                wait_card_state(reader, True)
                inserted.append(reader)
        for reader in inserted:
            read = run_check(diagnostics_context(settings), card_test_check(reader))
            outputs.append((f"test read {key}", repr(read)))
        ctx = diagnostics_context(settings, secrets=central_secrets, outbox=outbox)
        report = run_checks(ctx)
        for lang in ("zh_CN", "en"):
            outputs.append((f"report {key} {lang}",
                            json.dumps(report.to_dict(lang), ensure_ascii=False)))
            outputs.append((f"summaries {key} {lang}",
                            "\n".join(r.summary(lang) for r in report.results)))
        ctx.close()
        virtual_slots.remove()
        for reader in inserted:
            wait_card_state(reader, False)
    for where, text in outputs:
        assert_clean(text, where)
    # the test reads did happen, and read both kinds of card (their type only, no data)
    reads = [text for where, text in outputs if where.startswith("test read")]
    assert any("card_type='ssc'" in t for t in reads), reads
    assert any("card_type='id_card'" in t for t in reads), reads
    assert not any("*" in t for t in reads), reads   # not even a masked number
    bundle = export_bundle(settings, tmp_path, report)
    text = _bundle_text(bundle)
    assert "journey for" in text  # the logs are in it
    assert_clean(text, "support bundle")
    outbox.close()


def test_bundle_rescrubs_a_log_line_that_slipped_through(tmp_path, central_settings):
    settings = central_settings
    settings.log_dir.mkdir(parents=True, exist_ok=True)
    # A line written by something that bypassed the masking logger.
    (settings.log_dir / "kiosk.log").write_text(
        '{"event": "raw 110105198503071230 X00000019 13800001230"}\n', encoding="utf-8")

    class Report:
        status = type("S", (), {"value": "ok"})()

        def to_dict(self, language):
            return {"status": "ok"}

    bundle = export_bundle(settings, tmp_path, Report())
    text = _bundle_text(bundle)
    assert "110105********1230" in text
    assert_clean(text, "bundle")


def test_config_in_bundle_hides_secret_like_keys(central_settings):
    cfg = redacted_config(central_settings)
    assert cfg["security"]["secrets_file"].endswith(".toml")  # a path is not a secret
    flat = json.dumps(cfg)
    assert "terminal_key" not in flat


def test_bundle_is_one_valid_archive(tmp_path, central_settings):
    report = run_checks(diagnostics_context(central_settings), ["disk", "config"])
    path = export_bundle(central_settings, tmp_path, report)
    assert not list(tmp_path.glob(".*partial"))
    with tarfile.open(path) as tar:
        doc = json.load(io.TextIOWrapper(tar.extractfile(
            [m for m in tar.getmembers() if m.name.endswith("report.json")][0])))
    assert doc["schema"] == 1 and len(doc["checks"]) == 2
