"""`opsguard init`: write the annotated opsguard.toml (every setting, its default and why), asking nothing."""

from __future__ import annotations

import json
import os
import re
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from opsguard.cli.app import DataDirOption, JsonOption, app, fail, handle_errors, print_json, resolve_data_dir

__all__ = ["init", "example_config"]

EXAMPLE = "opsguard.example.toml"


def example_config(data_dir: Path | None = None) -> str:
    """The shipped example config; with `data_dir`, its `data_dir` line names that directory.

    >>> 'data_dir = "/srv/og"' in example_config(Path("/srv/og"))
    True
    """
    text = resources.files("opsguard").joinpath(EXAMPLE).read_text(encoding="utf-8")
    if data_dir is not None:   # a JSON string is a valid TOML basic string
        text = re.sub(r"(?m)^data_dir = .*$", lambda _: f"data_dir = {json.dumps(str(data_dir))}", text, count=1)
    return text


@app.command()
@handle_errors
def init(
    config: Annotated[Path, typer.Option("--config", help="Where to write it.")] = Path("opsguard.toml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    json_output: JsonOption = False,
    data_dir: DataDirOption = None,
) -> None:
    """Write a commented opsguard.toml with every setting and its default (refuses to overwrite without
    --force). Then set dataworks.extension_code and server.public_url, and run `opsguard doctor`."""
    if data_dir is not None:
        resolve_data_dir(data_dir)   # a file there is one line now, not a config that fails later
    existed = config.exists()
    if existed and not force:
        fail(f"{config} exists already: pass --force to overwrite it")
    if not config.parent.is_dir():
        fail(f"cannot write {config}: directory {config.parent} does not exist")
    text = example_config(data_dir)
    partial = config.with_name(f".{config.name}.partial")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, config)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        fail(f"cannot write {config}: {exc.strerror or exc}")
    if json_output:
        print_json({"config": str(config.resolve()), "overwritten": existed})
    else:
        print(f"wrote {config}: set dataworks.extension_code and server.public_url (and the variables it names), "
              f"then run `opsguard doctor --config {config}`")
