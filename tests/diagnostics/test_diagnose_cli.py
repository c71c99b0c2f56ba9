"""``kiosk diagnose``: real subprocesses, the JSON schema, every exit code, the bundle."""

from __future__ import annotations

import json
import os
import subprocess
import tarfile

import pytest

from kiosk.services.diagnostics import PARTS
from tests.diagnostics.helpers import env_for
from tests.fixtures.cli import run_kiosk

TOP_KEYS = {"schema", "kiosk_version", "terminal_id", "started_at", "duration_ms", "status",
            "checks"}
CHECK_KEYS = {"part", "status", "summary_key", "summary", "duration_ms", "details"}


def diagnose(tmp_path, *args, **overrides) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **env_for(tmp_path, **overrides)}
    return run_kiosk(["diagnose", *args], env)


def assert_schema(doc: dict) -> None:
    assert set(doc) == TOP_KEYS
    assert doc["schema"] == 1
    assert doc["status"] in ("ok", "warn", "fail")
    assert isinstance(doc["duration_ms"], float)
    for check in doc["checks"]:
        assert set(check) == CHECK_KEYS
        assert check["part"] in PARTS
        assert check["status"] in ("ok", "warn", "fail")
        assert check["summary_key"].startswith("diagnostics.")
        assert "[" not in check["summary"]  # every key translated
        assert isinstance(check["details"], dict)
    order = [c["part"] for c in doc["checks"]]
    assert order == [p for p in PARTS if p in order]


def test_json_ok_exit_0(tmp_path):
    proc = diagnose(tmp_path, "--json", "--part", "disk", "--part", "config",
                    diagnostics__disk_warn_mb=1, diagnostics__disk_fail_mb=0)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert_schema(doc)
    assert [c["part"] for c in doc["checks"]] == ["disk", "config"]
    assert doc["status"] == "ok"


def test_text_output_has_a_line_per_part(tmp_path):
    proc = diagnose(tmp_path, "--part", "disk", "--part", "printer", "--lang", "zh_CN",
                    diagnostics__disk_warn_mb=1, diagnostics__disk_fail_mb=0)
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("OK") and "打印机" in lines[0]
    assert lines[1].startswith("OK") and "磁盘" in lines[1]
    assert lines[-1].startswith("overall: ok")


def test_text_output_is_in_the_configured_language_like_read_card(tmp_path):
    proc = diagnose(tmp_path, "--part", "disk", kiosk__language="zh_CN",
                    diagnostics__disk_warn_mb=1, diagnostics__disk_fail_mb=0)
    assert proc.returncode == 0 and "磁盘" in proc.stdout and "Disk" not in proc.stdout
    proc = diagnose(tmp_path, "--part", "disk", kiosk__language="en",
                    diagnostics__disk_warn_mb=1, diagnostics__disk_fail_mb=0)
    assert proc.returncode == 0 and "Disk" in proc.stdout and "磁盘" not in proc.stdout
    listed = diagnose(tmp_path, "--list", "--json", kiosk__language="zh_CN")
    assert "磁盘" in listed.stdout


def test_a_part_down_exits_1(tmp_path):
    proc = diagnose(tmp_path, "--json", "--part", "printer", printer__kind="file",
                    printer__target=str(tmp_path / "gone" / "lp0"))
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    assert doc["status"] == "fail"
    assert doc["checks"][0]["summary_key"] == "diagnostics.printer.offline"


def test_warnings_exit_0_or_3_with_strict(tmp_path):
    kw = {"diagnostics__disk_warn_mb": 10_000_000, "diagnostics__disk_fail_mb": 0}
    assert diagnose(tmp_path, "--part", "disk", **kw).returncode == 0
    assert diagnose(tmp_path, "--part", "disk", "--strict", **kw).returncode == 3


def test_configuration_error_exits_2_with_one_line(tmp_path):
    proc = diagnose(tmp_path, "--json", printer__kind="laser")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1 and "printer.kind" in proc.stderr


def test_bundle_written_and_unwritable_destination_exits_4(tmp_path):
    out = tmp_path / "usb"
    out.mkdir()
    proc = diagnose(tmp_path, "--part", "disk", "--bundle", str(out))
    assert proc.returncode == 0, proc.stderr
    archives = list(out.glob("kiosk-support-*.tar.gz"))
    assert len(archives) == 1 and f"bundle: {archives[0]}" in proc.stdout
    with tarfile.open(archives[0]) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames()}
    assert {"report.json", "config.json", "versions.json", "MANIFEST.txt"} <= names
    proc = diagnose(tmp_path, "--part", "disk", "--bundle", str(tmp_path / "no-usb"))
    assert proc.returncode == 4 and "destination" in proc.stderr


@pytest.mark.pcsc
def test_full_run_against_real_parts(tmp_path, central_settings, pcscd_alive, sandbox):
    proc = diagnose(tmp_path, "--json",
                    central__base_url=central_settings.central.base_url,
                    security__secrets_file=central_settings.security.secrets_file,
                    kiosk__data_dir=central_settings.kiosk.data_dir,
                    speech__player="sox -q -t wav - -n")
    doc = json.loads(proc.stdout)
    assert_schema(doc)
    assert [c["part"] for c in doc["checks"]] == list(PARTS)
    by = {c["part"]: c for c in doc["checks"]}
    assert by["readers"]["status"] == "ok" and by["central"]["status"] == "ok"
    assert by["central"]["details"]["signature"] == "accepted"
    assert proc.returncode == (1 if doc["status"] == "fail" else 0)


def test_list_names_every_part_and_its_probe(tmp_path):
    proc = diagnose(tmp_path, "--list", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)["parts"]
    assert [r["part"] for r in rows] == list(PARTS)
    assert all(r["probe"] and r["name"] for r in rows)
    text = diagnose(tmp_path, "--list")
    assert text.returncode == 0 and len(text.stdout.splitlines()) == len(PARTS)


@pytest.mark.parametrize("part", PARTS)
def test_each_part_alone_through_the_probes(tmp_path, part, central_settings, pcscd_alive,
                                            sandbox):
    # After the move of the probes into devices/ and central/: every --part still runs
    # headless against real parts, with its own result and no crash.
    proc = diagnose(tmp_path, "--json", "--part", part,
                    central__base_url=central_settings.central.base_url,
                    security__secrets_file=central_settings.security.secrets_file,
                    kiosk__data_dir=central_settings.kiosk.data_dir,
                    speech__player="sox -q -t wav - -n")
    doc = json.loads(proc.stdout)
    assert_schema(doc)
    (check,) = doc["checks"]
    assert check["part"] == part
    assert check["summary_key"] not in ("diagnostics.check_crashed",
                                        "diagnostics.check_timeout"), check
    assert proc.returncode == (1 if check["status"] == "fail" else 0)
