"""`opsguard doctor`: check a setup, one actionable line per finding (`opsguard.doctor`); exit 1 when any is wrong."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from opsguard.cli.app import EXIT_FAIL, EXIT_OK, DataDirOption, JsonOption, app, handle_errors, print_json

__all__ = ["doctor"]


@app.command()
@handle_errors
def doctor(
    config: Annotated[Path | None, typer.Option("--config", help="opsguard.toml (default: $OPSGUARD_CONFIG, else "
                                                "./opsguard.toml).", show_default=False)] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for this server's URL.", min=0.1, max=120)] = 5.0,
    json_output: JsonOption = False,
    data_dir: DataDirOption = None,
) -> None:
    """Check that this setup can guard DataWorks: config, credentials, endpoint, clock, the extension and its
    options, data dir, state store, snapshot, the webhook URL, and authentication. Exit 0 when all is green,
    1 when something is wrong (each line says what to do)."""
    from opsguard.doctor import diagnose

    findings = diagnose(config, data_dir=data_dir, http_timeout_seconds=timeout)
    if json_output:
        print_json([f.as_json() for f in findings])
    else:
        for finding in findings:
            print(finding.line())
    raise typer.Exit(EXIT_FAIL if any(f.ok is False for f in findings) else EXIT_OK)
