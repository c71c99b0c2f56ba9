"""The diagnostics go through the device and central layers: the services package
imports no pyscard, pyserial, requests or Kivy (not even through another module), the
technician's test read uses the card hub's own PC/SC contexts, and every check runs
through one ``run_check`` that closes what it opened."""

from __future__ import annotations

import subprocess
import sys

import grimp
import pytest

from kiosk.cli.diagnose import diagnostics_context
from kiosk.devices.card_hub import CardHub
from kiosk.devices.pcsc import context as pcsc_context
from kiosk.services.diagnostics import CheckStatus, DiagnosticsContext, run_check, run_checks
from kiosk.services.diagnostics.cardtest import card_test_check
from kiosk.services.diagnostics.checks import CHECKS, check_readers
from kiosk.services.diagnostics.context import ProbeMissing
from kiosk.services.diagnostics.ports import PartMakers
from tests.diagnostics.helpers import settings_for
from tests.fixtures.pcsc import SSC_READER

FORBIDDEN = ("smartcard", "serial", "requests", "kivy")


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("kiosk", include_external_packages=True)


@pytest.mark.parametrize("external", FORBIDDEN)
def test_services_diagnostics_imports_no_device_or_network_library(graph, external):
    # Every import statement counts, also those inside functions and indirect ones.
    modules = sorted(m for m in graph.modules if m.startswith("kiosk.services.diagnostics"))
    assert len(modules) > 10
    chains = {m: graph.find_shortest_chain(importer=m, imported=external) for m in modules}
    assert {m: c for m, c in chains.items() if c} == {}


def test_services_diagnostics_loads_none_of_them_at_run_time():
    code = ("import sys, pkgutil, importlib, kiosk.services.diagnostics as d\n"
            "for m in pkgutil.walk_packages(d.__path__, d.__name__ + '.'):\n"
            "    importlib.import_module(m.name)\n"
            f"print(sorted(x for x in {FORBIDDEN!r} if x in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    assert out.strip() == "[]"


def test_no_cycle_between_the_id_readers_and_the_card_hub(graph):
    assert graph.find_shortest_chain(importer="kiosk.devices.card_hub",
                                     imported="kiosk.devices.idcard")  # the hub uses them
    assert graph.find_shortest_chain(importer="kiosk.devices.idcard",
                                     imported="kiosk.devices.card_hub") is None


def test_devices_and_central_import_neither_services_nor_ui(graph):
    for low in ("kiosk.devices", "kiosk.central"):
        for high in ("kiosk.services", "kiosk.ui"):
            assert not graph.chain_exists(importer=low, imported=high, as_packages=True), (
                low, high)


class _Part:
    def __init__(self) -> None:
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


class _Probes:
    """A device-probe port, and a card reader maker that records its readers' release."""

    def __init__(self) -> None:
        self.made: list[_Part] = []

    def readers(self, hub=None):
        return []

    def make_card_reader(self):
        part = _Part()
        part.read_card = lambda reader: (_ for _ in ()).throw(RuntimeError("boom"))
        self.made.append(part)
        return part


def test_run_check_closes_what_the_context_opened_even_when_the_check_raises(tmp_path):
    probes = _Probes()
    ctx = DiagnosticsContext(settings_for(tmp_path), devices=probes,
                             makers=PartMakers(card_reader=probes.make_card_reader))
    with pytest.raises(RuntimeError):
        run_check(ctx, lambda c: c.get_card_reader().read_card(SSC_READER))
    assert [p.closed for p in probes.made] == [1]
    assert run_check(ctx, check_readers).summary_key == "diagnostics.readers.none"
    ctx.close()  # idempotent: nothing closed twice
    assert [p.closed for p in probes.made] == [1]


def test_a_context_without_probes_fails_in_words_not_with_an_exception(tmp_path):
    # A context wired without probes is a wiring bug: each part that needs one fails
    # (check_crashed), the others still run, the run itself does not raise.
    report = run_checks(DiagnosticsContext(settings_for(tmp_path)), list(CHECKS))
    by = report.by_part()
    for part in ("readers", "id_reader", "printer"):
        assert by[part].summary_key == "diagnostics.check_crashed", part
        assert by[part].details["error"] == ProbeMissing.__name__
    assert by["disk"].summary_key != "diagnostics.check_crashed"
    assert report.status is CheckStatus.FAIL


@pytest.mark.pcsc
def test_test_read_goes_through_the_running_hub_with_no_new_pcsc_context(
        pcsc_settings, virtual_slots, wait_card_state, monkeypatch):
    hub = CardHub(pcsc_settings, lambda _event: None)
    hub.start()
    try:
        virtual_slots.insert("normal", "ssc")
        wait_card_state(SSC_READER, True)
        made: list[object] = []
        real_init = pcsc_context.PcscContext.__init__

        def counting_init(self):  # every PC/SC context made from now on
            made.append(self)
            real_init(self)

        monkeypatch.setattr(pcsc_context.PcscContext, "__init__", counting_init)
        ctx = diagnostics_context(pcsc_settings, card_hub=hub)
        read = run_check(ctx, card_test_check(SSC_READER))
        assert (read.card_type, read.error) == ("ssc", None)
        assert not hasattr(read, "masked_number")   # no part of any number
        assert made == []  # the hub's slot context did the read
    finally:
        hub.stop()


@pytest.mark.pcsc
def test_headless_test_read_releases_its_idle_hub(pcsc_settings, virtual_slots,
                                                  wait_card_state):
    virtual_slots.insert("normal", "ssc")
    wait_card_state(SSC_READER, True)
    ctx = diagnostics_context(pcsc_settings)
    read = run_check(ctx, card_test_check(SSC_READER))
    assert read.card_type == "ssc"
    hub = ctx._reader
    assert isinstance(hub, CardHub)
    assert all(slot.ctx._ctx is None for slot in hub._slots.values())  # released
