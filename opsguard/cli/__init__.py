"""`opsguard` command line. Each command lives in its own module and registers itself on `app`."""

from importlib import import_module

from opsguard.cli.app import app, main

# One module per command; importing a module registers its command.
COMMAND_MODULES: tuple[str, ...] = ("sync_cmd", "demo_cmd", "impact_cmd", "backfill_cmd", "check_cmd", "serve_cmd",
                                  "audit_cmd", "waive_cmd", "init_cmd", "doctor_cmd")

for _name in COMMAND_MODULES:
    import_module(f"opsguard.cli.{_name}")

__all__ = ["app", "main"]
