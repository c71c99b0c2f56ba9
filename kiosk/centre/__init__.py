"""The province centre, ``kiosk-centre``: the terminals' front-end service (前置服务) on
PostgreSQL, with the sandbox's ``/v1`` layer (docs/centre.md). Installed with the
``.[centre]`` extra; nothing of the kiosk imports this package (an import-linter
contract in pyproject.toml)."""
