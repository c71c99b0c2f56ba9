"""List-valued configuration keys: diagnostics.technician_card_atrs (hex ATRs)."""

import json

import pytest

from kiosk.config import ConfigError, load_settings
from tests.test_config import write_config

ATR = "3B8880014B494F534B544543"


def test_default_is_empty_and_off():
    s = load_settings(environ={})
    assert s.diagnostics.technician_card_atrs == ()
    assert s.as_dict()["diagnostics"]["technician_card_atrs"] == ()
    json.dumps(s.as_dict())  # the bundle and `kiosk config show` serialise it


def test_file_list_is_normalised(tmp_path):
    base = write_config(tmp_path, "[diagnostics]\ntechnician_card_atrs = "
                                  "['3b 88 80 01 4b 49 4f 53 4b 54 45 43', '3B:8F:80:01']\n")
    s = load_settings(base, environ={})
    assert s.diagnostics.technician_card_atrs == (ATR, "3B8F8001")


def test_environment_as_toml_array_or_comma_list():
    s = load_settings(environ={"KIOSK__DIAGNOSTICS__TECHNICIAN_CARD_ATRS": f'["{ATR}"]'})
    assert s.diagnostics.technician_card_atrs == (ATR,)
    s = load_settings(environ={"KIOSK__DIAGNOSTICS__TECHNICIAN_CARD_ATRS": f"{ATR}, 3b8f"})
    assert s.diagnostics.technician_card_atrs == (ATR, "3B8F")
    s = load_settings(environ={"KIOSK__DIAGNOSTICS__TECHNICIAN_CARD_ATRS": "[]"})
    assert s.diagnostics.technician_card_atrs == ()


def test_site_profile_replaces_the_list(tmp_path):
    base = write_config(tmp_path, "[kiosk]\nsite = 'outlet'\n[diagnostics]\n"
                                  f"technician_card_atrs = ['{ATR}']\n",
                        {"outlet": "[diagnostics]\ntechnician_card_atrs = []\n"})
    assert load_settings(base, environ={}).diagnostics.technician_card_atrs == ()


@pytest.mark.parametrize("value,fragment", [
    ("'3B88'", "list of text"),  # a string where a list is expected (in a file)
    ("[3, 4]", "list of text"),
    ("['3B8G']", "hex bytes"),
    ("['3B8']", "hex bytes"),  # odd number of digits
    ("['3B']", "2 to 33 bytes"),
    ("['" + "3B" * 34 + "']", "2 to 33 bytes"),
])
def test_bad_lists_name_file_and_key(tmp_path, value, fragment):
    base = write_config(tmp_path, f"[diagnostics]\ntechnician_card_atrs = {value}\n")
    with pytest.raises(ConfigError) as err:
        load_settings(base, environ={})
    message = str(err.value)
    assert "\n" not in message
    assert str(base) in message and "diagnostics.technician_card_atrs" in message
    assert fragment in message


def test_bad_environment_list_is_named():
    with pytest.raises(ConfigError) as err:
        load_settings(environ={"KIOSK__DIAGNOSTICS__TECHNICIAN_CARD_ATRS": "zz"})
    assert "environment" in str(err.value) and "hex bytes" in str(err.value)
