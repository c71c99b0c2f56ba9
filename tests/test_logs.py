import json
import logging

from kiosk.logs import clean_fields, get_logger, setup_logging
from kiosk.personas import load_personas


def read_lines(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_log_lines_are_json_and_mask_personal_data(tmp_path):
    path = setup_logging(tmp_path)
    log = get_logger("test")
    p = load_personas()["x_check"]
    log.info("looked up %s with card %s", p["id"]["id_number"], p["ssc"]["card_number"],
             extra={"fields": {"name": p["id"]["name"], "id_number": p["id"]["id_number"],
                               "reader": "Virtual PCD 00 00", "ms": 12}})
    try:
        raise ValueError(f"bad card for {p['id']['id_number']}")
    except ValueError:
        log.exception("read failed")
    for handler in logging.getLogger("kiosk").handlers:
        handler.flush()
    text = path.read_text(encoding="utf-8")
    for secret in (p["id"]["id_number"], p["id"]["name"], p["ssc"]["card_number"]):
        assert secret not in text
    first, second = read_lines(path)
    assert first["fields"] == {"name": "***", "id_number": "***",
                               "reader": "Virtual PCD 00 00", "ms": 12}
    assert first["level"] == "INFO" and first["logger"] == "kiosk.test"
    # Type and place only: an exception's message may hold what no pattern recognises.
    assert second["error"] == "ValueError"
    assert second["where"].startswith("tests/test_logs.py:")
    assert "bad card" not in text
    assert "Traceback" not in text


def test_every_persona_field_is_masked_by_name():
    for persona in load_personas().values():
        for table in ("id", "ssc"):
            for key, value in persona.get(table, {}).items():
                cleaned = clean_fields({key: value})[key]
                if key in ("name", "id_number", "card_number", "pin", "address"):
                    assert cleaned == "***"


def test_rotation(tmp_path):
    path = setup_logging(tmp_path, max_bytes=2000, backups=2)
    log = get_logger("kiosk.rot")
    for i in range(200):
        log.info("event %d %s", i, "x" * 50)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["kiosk.log", "kiosk.log.1", "kiosk.log.2"]
    assert path.stat().st_size <= 2000
