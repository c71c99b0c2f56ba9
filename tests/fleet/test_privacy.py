"""No personal data in anything the fleet sends or keeps, with every persona in play:
the heartbeat contract has no field that could carry it (schema walk), and after every
persona has been looked up, logged and counted on a terminal, neither the heartbeat, the
register, the agent's files nor the uploaded support bundle holds any of their data."""

from __future__ import annotations

import io
import logging
import tarfile
from pathlib import Path
from typing import Any

from kiosk import metrics
from kiosk.central import schemas_fleet as f
from kiosk.central.errors import CentralError
from kiosk.devices.virtual.cards import id_card_data, ssc_card_data
from kiosk.logs import JsonMaskingFormatter
from kiosk.personas import load_personas


def personal_values() -> set[str]:
    """Every persona's identifying values (names, ID, card and phone numbers,
    addresses, birth dates), as they would appear if leaked."""
    out: set[str] = set()
    for p in load_personas().values():
        for table in ("id", "ssc", "central"):
            for key, value in (p.get(table) or {}).items():
                if key in ("name", "id_number", "card_number", "phone", "address",
                           "birth_date") and isinstance(value, str) and len(value) >= 2:
                    out.add(value)
        for card in (p.get("central") or {}).get("cards", []):
            out.add(card["card_number"])
    return out


def _strings(schema: dict[str, Any], defs: dict[str, Any], path: str = "") -> list[tuple]:
    """(path, string schema) for every string the schema accepts, refs followed."""
    if "$ref" in schema:
        return _strings(defs[schema["$ref"].split("/")[-1]], defs, path)
    found: list[tuple] = []
    if schema.get("type") == "string":
        found.append((path, schema))
    for key in ("anyOf", "oneOf", "allOf"):
        for i, sub in enumerate(schema.get(key, [])):
            found += _strings(sub, defs, f"{path}|{i}")
    for name, sub in (schema.get("properties") or {}).items():
        found += _strings(sub, defs, f"{path}.{name}")
    if isinstance(schema.get("additionalProperties"), dict):
        found += _strings(schema["additionalProperties"], defs, f"{path}.*")
    if "propertyNames" in schema:
        found += _strings(schema["propertyNames"], defs, f"{path}.<key>")
    if isinstance(schema.get("items"), dict):
        found += _strings(schema["items"], defs, f"{path}[]")
    return found


def test_heartbeat_schema_has_no_free_text():
    schema = f.FleetHeartbeat.model_json_schema()
    strings = _strings(schema, schema.get("$defs", {}))
    assert strings
    for path, s in strings:
        shaped = "enum" in s or "const" in s or s.get("format") == "date-time" or (
            "pattern" in s and s.get("maxLength", 999) <= 64)
        assert shaped, f"free text at {path}: {s}"
        if "pattern" in s and path not in (".terminal_id", ".version"):
            # codes and hashes: no room for a name or a number
            assert s["pattern"] in (f.CODE_PATTERN, f.HEX64_PATTERN,
                                    f.DIRECTIVE_ID_PATTERN), path
    # Dict keys (the counts) are codes too, and the model enforces it.
    counts = schema["$defs"]["Counts"]["properties"]
    for name in ("sessions_started", "sessions_finished", "failures"):
        assert list(counts[name]["patternProperties"]) == [f.CODE_PATTERN]
        try:
            f.Counts(period_seconds=1, **{name: {"110105198503071230": 1}})
        except ValueError:
            continue
        raise AssertionError(f"{name} accepted a number as a key")


def test_codes_cannot_carry_numbers_or_names():
    for bad in ("110105198503071230", "x00000019", "wang xiaoming", "王小明", "a" * 41):
        try:
            f.PartStatus(light="ok", code=bad)
        except ValueError:
            continue
        raise AssertionError(f"code accepted {bad!r}")


def _put_every_persona_in_play(terminal, log_dir: Path) -> None:
    personas = load_personas()
    formatter = JsonMaskingFormatter()
    lines = []
    for key, p in personas.items():
        ident = p.get("id") or {}
        card = (p.get("ssc") or {}).get("card_number")
        metrics.journey("pre_loss", "started")
        try:
            if ident.get("id_number"):
                terminal.client.lookup_by_id_card(id_card_data(key))
            if card and p["ssc"].get("behaviour", "normal") == "normal":
                terminal.client.card_status(ssc=ssc_card_data(key))
        except CentralError as exc:
            metrics.error(exc.kind)
        metrics.journey("pre_loss", "confirmed" if key == "normal" else "aborted")
        # What the app's logger writes, fields masked by name; and a careless message.
        record = logging.LogRecord("kiosk.services", logging.INFO, __file__, 1,
                                   f"looked up {ident.get('id_number', '')} phone "
                                   f"{(p.get('central') or {}).get('phone', '')}", None, None)
        record.fields = {"name": ident.get("name"), "id_number": ident.get("id_number"),
                         "card_number": card, "address": ident.get("address")}
        lines.append(formatter.format(record))
    log_dir.mkdir(parents=True, exist_ok=True)
    (log_dir / "kiosk.log").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _leaks(blob: bytes, values: set[str]) -> list[str]:
    text = blob.decode("utf-8", "replace")
    return sorted(v for v in values if v in text)


def test_nothing_personal_leaves_the_terminal_with_every_persona_in_play(sandbox, terminals):
    values = personal_values()
    assert len(values) > 20
    t = terminals("T-PRIV-0001")
    t.agent.beat()
    _put_every_persona_in_play(t, t.settings.log_dir)
    report = t.agent.report()
    assert _leaks(report.model_dump_json().encode(), values) == []
    assert report.counts.sessions_started.get("pre_loss", 0) >= len(load_personas())
    sent = sandbox.admin("POST", "/fleet/terminals/T-PRIV-0001/bundle")
    sandbox.admin("POST", "/fleet/terminals/T-PRIV-0001/pause",
                  json={"reason": "maintenance"})
    t.agent.beat()
    t.agent.beat()
    row = t.register(sandbox)
    assert {d["outcome"] for d in row["directives"]} == {"applied"}
    bundle = next(b for b in sandbox.admin("GET", "/fleet/bundles")
                  if b["directive_id"] == sent["id"])
    assert bundle["complete"] == 1
    blob = Path(bundle["path"]).read_bytes()
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        names = tar.getnames()
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}
    assert any(n.endswith("report.json") for n in names)
    assert any(n.endswith("logs/kiosk.log") for n in names)
    log_text = next(v for k, v in members.items() if k.endswith("logs/kiosk.log"))
    assert b"looked up" in log_text  # the log is there, scrubbed
    for name, data in members.items():
        assert _leaks(data, values) == [], name
    # What the centre and the terminal keep.
    for path in [sandbox.store.path.with_name(sandbox.store.path.stem + "-fleet.db"),
                 *t.settings.data_dir.joinpath("fleet").iterdir()]:
        if path.is_file():
            assert _leaks(path.read_bytes(), values) == [], path
    assert _leaks(str(row).encode(), values) == []
