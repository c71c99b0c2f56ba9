"""What the fuzzers feed and to whom: one :class:`Target` per parser of hostile input.

Each target has a hypothesis strategy and a function that must, for every value, either
return or raise one of the target's typed errors — nothing else, within a time bound.
The CI tests (``tests/fuzz``) and ``kiosk bench fuzz --seconds N`` run the same targets.

- ``ssc_records``: a card answering the social security card reads with fuzzed records,
  status words and 61xx/6Cxx dances (``read_ssc``) → ``CardError``;
- ``apdu_chain``: any chain of 61xx/6Cxx/other status words (``apdu.command``) →
  ``CardError``, and never more than the bounded number of APDUs;
- ``serial_frames``: a serial ID reader answering fuzzed frames (``SerialIdReader``) →
  ``CardError``;
- ``id_text``: the 256-byte ID text block (``parse_text_block``) → ``CardError``;
- ``central_reply``: raw HTTP replies from a loopback server to the real central client
  → ``CentralError`` (and every reply schema alone → ``ValidationError``);
- ``config_file``: ``config/kiosk.toml``-like files and ``KIOSK__*`` variables
  (``load_settings``) → ``ConfigError``.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import socket
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path

from hypothesis import strategies as st
from pydantic import ValidationError

from kiosk.central import schemas
from kiosk.central.client import CentralClient
from kiosk.central.errors import CentralError
from kiosk.config import ConfigError, Settings, load_settings
from kiosk.devices import apdu, ssc
from kiosk.devices.idcard.serial_reader import SerialIdReader, frame
from kiosk.devices.idcard.text import FIELDS, TEXT_LEN, build_text_block, parse_text_block
from kiosk.devices.pcsc.errors import CardError
from kiosk.devices.virtual.ssc_card import ssc_records
from kiosk.domain.models import IdCardData
from kiosk.personas import persona
from kiosk.secrets import Secrets

TODAY = dt.date(2026, 11, 30)
SEED = persona("normal")  # a fictional card and ID card that parse: fuzz starts from them
SW = st.one_of(st.sampled_from([0x9000, 0x6A82, 0x6A83, 0x6983, 0x63C1, 0x6D00, 0x6F00]),
               st.integers(0x6100, 0x61FF), st.integers(0x6C00, 0x6CFF),
               st.integers(0, 0xFFFF))


@dataclass(frozen=True)
class Target:
    """A parser under fuzz: ``run(value)`` may return or raise one of ``allowed``. The
    targets differ in their values: each ``run`` takes any object and unpacks the shape
    its strategy draws (TypeError for another)."""

    name: str
    strategy: st.SearchStrategy[object]
    run: Callable[[object], object]
    allowed: tuple[type[BaseException], ...]


def _not_drawn(target: str, value: object) -> TypeError:
    return TypeError(f"not an example of {target}: {type(value).__name__}")


def check(target: Target, value: object) -> str:
    """Run one example: "ok", or the allowed error's class name. Anything else raises."""
    try:
        target.run(value)
    except target.allowed as exc:
        return type(exc).__name__
    return "ok"


# -- cards ---------------------------------------------------------------------------------

class ScriptedCard:
    """A card whose answers come from a script: per APDU either a scripted (data, sw) or,
    when the script runs out, a plausible SSC answer from fuzzed records."""

    def __init__(self, records: dict[bytes, dict[int, bytes]],
                 script: list[tuple[bytes, int]], split: int) -> None:
        self.records, self.script, self.split = records, list(script), split
        self.ef: bytes | None = None
        self.pending = b""
        self.sent = 0

    def transmit(self, command: bytes) -> tuple[bytes, int]:
        self.sent += 1
        if self.script:
            return self.script.pop(0)
        ins = command[1]
        if ins == 0xA4:
            self.ef = command[5:7] if command[2] in (0, 2) else None
            return b"", 0x9000
        if ins == 0xC0:
            out, self.pending = self.pending[:command[4] or 256], self.pending[command[4]:]
            return out, (0x6100 | len(self.pending) & 0xFF) if self.pending else 0x9000
        if ins == 0xB2 and self.ef is not None:
            value = self.records.get(self.ef, {}).get(command[2])
            if value is None:
                return b"", 0x6A83
            record = bytes([command[2], len(value) & 0xFF]) + value
            if self.split and len(record) > self.split:  # answer in 61xx pieces
                self.pending = record[self.split:]
                return record[:self.split], 0x6100 | len(self.pending) & 0xFF
            return record, 0x9000
        return b"", 0x6D00


SscExample = tuple[dict[bytes, dict[int, bytes]], dict[tuple[bytes, int], bytes],
                   list[tuple[bytes, int]], int]


def _ssc_value() -> st.SearchStrategy[SscExample]:
    base = ssc_records(SEED["ssc"], SEED["id"])
    mutate = st.dictionaries(
        st.sampled_from([(ef, tag) for ef, recs in base.items() for tag in recs]),
        st.binary(max_size=40), max_size=4)
    script = st.lists(st.tuples(st.binary(max_size=40), SW), max_size=6)
    return st.tuples(st.just(base), mutate, script, st.integers(0, 12))


def _run_ssc(value: object) -> object:
    match value:
        case (dict() as base, dict() as mutate, list() as script, int() as split):
            pass
        case _:
            raise _not_drawn("ssc_records", value)
    records = {ef: dict(recs) for ef, recs in base.items()}
    for (ef, tag), raw in mutate.items():
        records[ef][tag] = raw
    card = ScriptedCard(records, script, split)
    return ssc.read_ssc(card.transmit, TODAY)


def _run_chain(value: object) -> object:
    match value:
        case (list() as answers, bool() as fetch):
            pass
        case _:
            raise _not_drawn("apdu_chain", value)
    script = list(answers)
    sent: list[bytes] = []

    def transmit(command: bytes) -> tuple[bytes, int]:
        sent.append(command)
        return script.pop(0) if script else (b"", 0x9000)

    try:
        return apdu.command(transmit, bytes.fromhex("00B2010005"), fetch=fetch)
    finally:
        assert len(sent) <= 2 + apdu.MAX_GET_RESPONSE, len(sent)  # bounded, never endless


class BytePort:
    """A serial port that answers from a byte string (short reads = the reader's timeout)."""

    def __init__(self, stream: bytes) -> None:
        self.stream = stream

    def reset_input_buffer(self) -> None:
        """Nothing buffered: the stream is the answer."""

    def write(self, data: bytes) -> int:
        return len(data)

    def read(self, n: int) -> bytes:
        out, self.stream = self.stream[:n], self.stream[n:]
        return out

    def close(self) -> None:
        """Nothing to release."""


def _serial_value() -> st.SearchStrategy[bytes]:
    text = build_text_block(SEED["id"])
    good = frame(b"\x00\x00\x90" + TEXT_LEN.to_bytes(2, "big") + b"\x04\x00" + text
                 + bytes(1024))
    session = frame(b"\x00\x00\x9F") + frame(b"\x00\x00\x90") + good  # find, select, read
    piece = st.one_of(st.binary(max_size=64),
                      st.builds(frame, st.binary(max_size=40)),
                      st.sampled_from([frame(b"\x00\x00\x9F"), frame(b"\x00\x00\x90"),
                                       good]))
    flipped = st.builds(lambda i, b: session[:i] + bytes([b]) + session[i + 1:],
                        st.integers(0, len(session) - 1), st.integers(0, 255))
    cut = st.integers(0, len(session)).map(lambda i: session[:i])
    return st.one_of(st.lists(piece, max_size=4).map(b"".join), flipped, cut,
                     st.just(session))


def _run_serial(stream: object) -> object:
    if not isinstance(stream, bytes):
        raise _not_drawn("serial_frames", stream)
    reader = SerialIdReader.on_port(BytePort(stream))
    try:
        return reader.read(TODAY)
    finally:
        reader.close()


def _id_text_value() -> st.SearchStrategy[bytes]:
    good = build_text_block(SEED["id"])
    field = st.sampled_from(list(FIELDS))
    text = st.text(max_size=20)

    def put(name: str, value: str) -> bytes:
        a, b = FIELDS[name]
        raw = value.encode("utf-16-le", "surrogatepass")[: b - a]
        raw += " ".encode("utf-16-le") * ((b - a - len(raw)) // 2)
        return good[:a] + raw.ljust(b - a, b"\x00") + good[b:]

    return st.one_of(st.binary(max_size=300), st.binary(min_size=TEXT_LEN, max_size=TEXT_LEN),
                     st.builds(put, field, text))


# -- central -------------------------------------------------------------------------------

class ReplyServer:
    """A loopback HTTP server that answers each connection with the next raw reply."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.reply = b""
        threading.Thread(target=self._serve, name="fuzz-replies", daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    conn.recv(65536)  # the request; its content does not matter here
                    conn.sendall(self.reply)
                    conn.shutdown(socket.SHUT_WR)
                except OSError:
                    pass


_SERVER: list[ReplyServer] = []
_CLIENT: list[CentralClient] = []


def _client() -> tuple[ReplyServer, CentralClient]:
    if not _SERVER:
        _SERVER.append(ReplyServer())
        env = {"KIOSK__CENTRAL__BASE_URL": json.dumps(f"http://127.0.0.1:{_SERVER[0].port}"),
               "KIOSK__CENTRAL__RETRIES": "0", "KIOSK__CENTRAL__READ_TIMEOUT": "2",
               "KIOSK__CENTRAL__CONNECT_TIMEOUT": "2"}
        secrets = Secrets(terminal_key=b"k" * 32, technician_pin_hash="")
        _CLIENT.append(CentralClient(load_settings(environ=env), secrets,
                                     sleep=lambda _s: None))
    return _SERVER[0], _CLIENT[0]


_SAMPLE = {"server_time": "2026-11-30T10:00:00Z", "accepted": True, "card_number": "X1",
           "state": "normal", "history": [], "person_ref": "p", "name": "张*",
           "phone_masked": "138****0000", "cards": []}
JSONISH = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(),
                                 st.text(max_size=12)),
                       lambda kids: st.one_of(st.lists(kids, max_size=4),
                                              st.dictionaries(st.text(max_size=12), kids,
                                                              max_size=4)), max_leaves=12)


def _body() -> st.SearchStrategy[bytes]:
    mutated = st.dictionaries(st.sampled_from(sorted(_SAMPLE)), JSONISH, max_size=4).map(
        lambda d: json.dumps({**_SAMPLE, **d}).encode())
    return st.one_of(st.binary(max_size=200), JSONISH.map(lambda v: json.dumps(v).encode()),
                     mutated, st.just(json.dumps(_SAMPLE).encode()))


def _raw_reply() -> st.SearchStrategy[bytes]:
    def build(status: int, ctype: str, length: int | None, extra: list[str], body: bytes,
              raw: bytes | None) -> bytes:
        if raw is not None:
            return raw
        head = [f"HTTP/1.1 {status} X", f"Content-Type: {ctype}", "Connection: close",
                *extra]
        head.append(f"Content-Length: {len(body) if length is None else length}")
        return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1", "replace") + body

    return st.builds(
        build, st.one_of(st.sampled_from([200, 201, 204, 301, 307, 400, 401, 404, 409, 429,
                                          500, 503]), st.integers(100, 999)),
        st.sampled_from(["application/json", schemas.PROBLEM_CONTENT_TYPE, "text/html", ""]),
        st.one_of(st.none(), st.integers(0, 400)),
        st.lists(st.sampled_from(["Retry-After: 1", "Retry-After: x", "Location: http://x/",
                                  "Transfer-Encoding: chunked"]), max_size=2),
        _body(), st.one_of(st.none(), st.none(), st.binary(max_size=120)))


@functools.cache
def _an_id_card() -> IdCardData:
    """A persona's ID card as a reader reads it (read once: the fuzzing is the reply's)."""
    from kiosk.devices.virtual.cards import id_card_data  # lazy: only for this target

    return id_card_data("normal")


def _run_central(value: object) -> object:
    match value:
        case (bytes() as reply, str() as call):
            pass
        case _:
            raise _not_drawn("central_reply", value)
    server, client = _client()
    server.reply = reply
    if call == "heartbeat":
        return client.heartbeat(0)
    if call == "status":
        return client.card_status("h" * 60)  # the shape of a handle
    return client.lookup_by_id_card(_an_id_card())


RESPONSE_MODELS = [m for m in vars(schemas).values() if isinstance(m, type)
                   and issubclass(m, schemas._Response) and m is not schemas._Response]


def _run_schema(value: object) -> object:
    match value:
        case (type() as model, bytes() as body) if issubclass(model, schemas._Response):
            return model.model_validate_json(body)
        case _:
            raise _not_drawn("central_schemas", value)


# -- configuration ---------------------------------------------------------------------------

def _keys() -> list[tuple[str, str]]:
    hints = Settings.__dataclass_fields__
    out = []
    for name, f in hints.items():
        if name == "sources":
            continue
        factory = f.default_factory
        if not callable(factory):  # every section of Settings has a default factory
            raise TypeError(f"settings section {name} has no default")
        out += [(name, k.name) for k in fields(factory())]
    return out


TOML_VALUE = st.one_of(st.integers(-10**6, 10**12), st.floats(allow_nan=False),
                       st.booleans(), st.text(max_size=30),
                       st.lists(st.text(max_size=10), max_size=3))


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)  # Python's int/float spelling is TOML's (inf included)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value)  # a JSON string is a TOML basic string


ConfigExample = tuple[dict[tuple[str, str], object] | bytes, dict[str, str]]


def _config_value() -> st.SearchStrategy[ConfigExample]:
    keys = st.sampled_from(_keys() + [("kiosk", "nonsense"), ("nosection", "x")])
    doc = st.dictionaries(keys, TOML_VALUE, max_size=6)
    env = st.dictionaries(st.sampled_from(_keys()).map(
        lambda k: f"KIOSK__{k[0].upper()}__{k[1].upper()}"), st.text(max_size=20), max_size=2)
    return st.tuples(st.one_of(doc, st.binary(max_size=200)), env)


def _run_id_text(value: object) -> object:
    if not isinstance(value, bytes):
        raise _not_drawn("id_text", value)
    return parse_text_block(value, today=TODAY)


def _run_config(value: object) -> object:
    match value:
        case (dict() | bytes() as doc, dict() as env):
            pass
        case _:
            raise _not_drawn("config_file", value)
    if isinstance(doc, dict):
        sections: dict[str, list[str]] = {}
        for (section, key), v in doc.items():
            sections.setdefault(section, []).append(f"{key} = {_toml(v)}")
        raw = "".join(f"[{s}]\n" + "\n".join(lines) + "\n" for s, lines in sections.items())
        data = raw.encode("utf-8", "surrogatepass")
    else:
        data = doc
    with tempfile.TemporaryDirectory(prefix="kiosk-fuzz-") as tmp:
        path = Path(tmp) / "kiosk.toml"
        path.write_bytes(data)
        return load_settings(path, environ={k: v.replace("\x00", "") for k, v in env.items()})


TARGETS: dict[str, Target] = {t.name: t for t in (
    Target("ssc_records", _ssc_value(), _run_ssc, (CardError,)),
    Target("apdu_chain", st.tuples(st.lists(st.tuples(st.binary(max_size=8), SW),
                                            max_size=24), st.booleans()),
           _run_chain, (CardError,)),
    Target("serial_frames", _serial_value(), _run_serial, (CardError,)),
    Target("id_text", _id_text_value(), _run_id_text, (CardError,)),
    Target("central_reply", st.tuples(_raw_reply(), st.sampled_from(
        ["heartbeat", "status", "lookup"])), _run_central, (CentralError,)),
    Target("central_schemas", st.tuples(st.sampled_from(RESPONSE_MODELS), _body()),
           _run_schema, (ValidationError,)),
    Target("config_file", _config_value(), _run_config, (ConfigError,)),
)}
