"""Reading the layers (base file, site profile, overlay, environment), each value parsed
to its setting's type, merged, then checked (:func:`load_settings`)."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import get_type_hints

from kiosk.config.rules import CHOICES, validate
from kiosk.config.sections import REPO_ROOT, ConfigError, Settings, SettingValue

DEFAULT_CONFIG = REPO_ROOT / "config" / "kiosk.toml"
ENV_PREFIX = "KIOSK__"


def _read_toml(path: Path) -> dict[str, object]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(str(path), "-", "file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:  # not UTF-8: not TOML
        raise ConfigError(str(path), "-", f"not valid TOML ({exc})") from None
    except OSError as exc:
        raise ConfigError(str(path), "-", f"cannot be read ({exc.strerror})") from None


def _env_layer(environ: dict[str, str]) -> dict[str, dict[str, EnvValue]]:
    layer: dict[str, dict[str, EnvValue]] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        parts = name[len(ENV_PREFIX):].lower().split("__")
        if len(parts) != 2 or not all(parts):
            raise ConfigError(f"environment {name}", name, "expected KIOSK__SECTION__KEY")
        layer.setdefault(parts[0], {})[parts[1]] = EnvValue(raw)
    return layer


@dataclass(frozen=True)
class EnvValue:
    """A raw environment string; parsed as TOML, or kept as text where text is expected."""

    raw: str

    def parse(self, want_text: bool) -> object:
        try:
            value: object = tomllib.loads(f"v = {self.raw}")["v"]
        except tomllib.TOMLDecodeError:
            return self.raw
        return self.raw if want_text and not isinstance(value, str) else value


def _coerce(source: str, dotted: str, typ: object, value: object) -> SettingValue:
    if isinstance(value, EnvValue):
        value = value.parse(want_text=typ is str)
    if typ is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(source, dotted, f"expected true or false, got {value!r}")
    if typ is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ConfigError(source, dotted, f"expected a whole number, got {value!r}")
    if typ is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise ConfigError(source, dotted, f"expected a number, got {value!r}")
    if typ is str:
        if isinstance(value, str):
            return value
        raise ConfigError(source, dotted, f"expected text, got {value!r}")
    if typ == tuple[str, ...]:
        if isinstance(value, str) and source == "environment":
            # KIOSK__X__Y=a,b (not TOML) is a comma-separated list.
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise ConfigError(source, dotted, f"expected a list of text, got {value!r}")
    raise ConfigError(source, dotted, "unsupported type")  # pragma: no cover


def setting_types() -> dict[str, object]:
    """Every setting of :class:`Settings` as ``"section.key"`` → its type."""
    hints = get_type_hints(Settings)
    return {f"{name}.{key}": typ for name in hints if name != "sources"
            for key, typ in get_type_hints(hints[name]).items()}


def parse_setting(source: str, dotted: str, value: object) -> SettingValue:
    """``value`` as the setting ``dotted`` holds it; :class:`ConfigError` for a key that
    is not a setting or a value of the wrong type (the same rules as the files)."""
    typ = setting_types().get(dotted)
    if typ is None:
        raise ConfigError(source, dotted, "unknown key")
    return _coerce(source, dotted, typ, value)


def _merge(
    values: dict[str, dict[str, SettingValue]], origin: dict[str, str],
    layer: Mapping[str, object], source: str,
) -> None:
    hints = get_type_hints(Settings)
    for section, table in layer.items():
        if section not in hints or section == "sources":
            raise ConfigError(source, section, "unknown section")
        if not isinstance(table, dict):
            raise ConfigError(source, section, "expected a table of keys")
        sec_hints = get_type_hints(hints[section])
        for key, value in table.items():
            dotted = f"{section}.{key}"
            if key not in sec_hints:
                raise ConfigError(source, dotted, "unknown key")
            values.setdefault(section, {})[key] = _coerce(source, dotted, sec_hints[key], value)
            origin[dotted] = source


def load_settings(
    path: str | Path | None = None, environ: dict[str, str] | None = None,
    overlay: Mapping[str, object] | None = None, overlay_source: str = "overlay",
) -> Settings:
    """Load, merge and validate settings; raise :class:`ConfigError` on any problem.

    ``overlay`` (``{section: {key: value}}``, a centrally pushed config) is laid over
    the site profile and under the environment, and validated like the files."""
    base = Path(path) if path else DEFAULT_CONFIG
    environ = dict(os.environ if environ is None else environ)
    hints = get_type_hints(Settings)
    # Start from the dataclass defaults so that rules see every key.
    values: dict[str, dict[str, SettingValue]] = {
        name: {f.name: getattr(hints[name](), f.name) for f in fields(hints[name])}
        for name in hints if name != "sources"}
    origin: dict[str, str] = {}
    _merge(values, origin, _read_toml(base), str(base))
    env = _env_layer(environ)
    # The site may come from the environment; read it before choosing the profile.
    env_site = env.get("kiosk", {}).get("site")
    site = env_site.parse(want_text=True) if env_site else values["kiosk"]["site"]
    if site not in CHOICES[("kiosk", "site")]:
        raise ConfigError(origin.get("kiosk.site", "environment"), "kiosk.site",
                          f"must be one of outlet, medical, got {site!r}")
    sources = [str(base)]
    profile = base.parent / "sites" / f"{site}.toml"
    if profile.exists():
        _merge(values, origin, _read_toml(profile), str(profile))
        sources.append(str(profile))
    if overlay:
        _merge(values, origin, overlay, overlay_source)
        sources.append(overlay_source)
    if env:
        _merge(values, origin, env, "environment")
        sources.append("environment")
    sections = {name: hints[name](**values.get(name, {}))
                for name in hints if name != "sources"}
    return validate(Settings(**sections, sources=tuple(sources)), origin)
