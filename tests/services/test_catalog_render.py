"""No raw ``{placeholder}`` ever reaches the screen: every catalog key the code uses is
rendered, in both languages, with the values its call sites pass (found in the source:
``set_label(w, "key", name=…)``, ``tr("key", …)``, ``translate("key", lang, …)``, the
``key:`` of .kv widgets, and the failure screens with the params the journeys give)."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

from kiosk.i18n import LANGUAGES, catalog, join_sentences, placeholders, tidy, translate
from kiosk.services.failures import FAILURE_KINDS, OTHER_WAYS, Failure

ROOT = Path(__file__).resolve().parents[2] / "kiosk"
CALLS = {"set_label": 1, "tr": 0, "translate": 0, "_tr": 0}
# The app's ``tr`` (every label and button) always fills these from the settings.
ALWAYS = {"hotline", "region"}
# Every param a journey puts into a failure (controller, journeys, failure_from_error).
FAILURE_PARAMS = {"hotline", "expected", "state", "code", "seconds", "keypad", "kind"}


def _name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def call_sites() -> dict[str, list[tuple[str, set[str] | None]]]:
    """key → [(where, names passed or None when passed as **values)]."""
    keys = set(catalog("zh_CN"))
    found: dict[str, list[tuple[str, set[str] | None]]] = defaultdict(list)
    for path in ROOT.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or _name(node.func) not in CALLS:
                continue
            pos = CALLS[_name(node.func)]
            if len(node.args) <= pos:
                continue
            arg = node.args[pos]
            if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                    and arg.value in keys):
                continue
            names = None if any(k.arg is None for k in node.keywords) \
                else {k.arg for k in node.keywords if k.arg}
            if names is not None and _name(node.func) != "translate":
                names |= ALWAYS
            found[arg.value].append((f"{path.relative_to(ROOT)}:{node.lineno}", names))
    for path in ROOT.rglob("*.kv"):
        lines = path.read_text(encoding="utf-8").splitlines()
        for n, line in enumerate(lines):
            m = re.match(r'(\s*)(?:key|title_key):\s*"([^"]+)"', line)
            if not (m and m.group(2) in keys):
                continue
            names = set(ALWAYS)
            for later in lines[n + 1:]:  # the same widget's ``values: {...}``
                if not later.startswith(m.group(1)) or later.strip().endswith(":"):
                    break
                if later.strip().startswith("values:"):
                    names |= set(re.findall(r'"(\w+)"\s*:', later))
            found[m.group(2)].append((f"{path.relative_to(ROOT)}:{n + 1}", names))
    return found


def test_the_scan_finds_the_call_sites() -> None:
    sites = call_sites()
    assert len(sites) > 100
    assert any(names and "count" in names for _, names in sites["journeys.keypad.count"])


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_key_rendered_with_the_values_its_call_sites_pass(lang: str) -> None:
    raw = []
    for key, sites in call_sites().items():
        needed = placeholders(catalog(lang).get(key, ""))
        for where, names in sites:
            if names is None:
                continue  # values passed through **kwargs: covered by the view tests
            text = translate(key, lang, **{n: 7 for n in names})
            if needed - names or "{" in text:
                raw.append(f"{where}: {key} needs {sorted(needed - names)} → {text!r}")
    assert not raw, "\n".join(raw)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_failure_screen_renders_with_the_params_the_journeys_give(lang: str) -> None:
    raw = []
    for kind in FAILURE_KINDS:
        for keypad in (True, False):
            f = Failure(kind, {"keypad": keypad})
            keys = [f.title_key, f.body_key, f.advice_key]
            if kind in OTHER_WAYS:
                keys.append(f"journeys.failure.{kind}.advice_no_keypad")
            for key in keys:
                message = catalog(lang).get(key)
                if message is None:
                    continue  # completeness is the failure-table test's job
                extra = placeholders(message) - FAILURE_PARAMS
                if extra:
                    raw.append(f"{key}: {sorted(extra)}")
    assert not raw, "\n".join(raw)


def test_chinese_sentences_are_joined_without_ascii_spaces() -> None:
    zh = [(k, m) for k, m in catalog("zh_CN").items() if re.search(r"[。，；：！？、）] ", m)]
    assert zh == []
    assert translate("journeys.busy.slow", "zh_CN") == \
        "比平时慢一些，请再等一会儿。不想等可以按“取消”。"
    assert join_sentences(["请稍等。", "", " 不想等可以按取消。"], "zh_CN") == \
        "请稍等。不想等可以按取消。"
    assert join_sentences(["Please wait.", "Or press Cancel."], "en") == \
        "Please wait. Or press Cancel."
    assert tidy("第一句。 第二句， 第三句", "zh_CN") == "第一句。第二句，第三句"
    assert tidy("One. Two", "en") == "One. Two"
