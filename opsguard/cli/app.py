"""The `opsguard` Typer application and what every command shares: `--json`, `--data-dir`,
one-line errors with exit code 2, and JSON printing."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, NoReturn, ParamSpec, TypeVar

import typer
from rich.markup import escape
from typer.core import TyperCommand, TyperGroup

from lineage.errors import LineageError
from opsguard.store.errors import StoreError
from lineage.snapshots import default_data_dir

__all__ = ["app", "main", "JsonOption", "DataDirOption", "fail", "print_json", "resolve_data_dir",
           "handle_errors", "EXIT_OK", "EXIT_FAIL", "EXIT_USAGE"]

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
P = ParamSpec("P")
R = TypeVar("R")

class _PlainHelp:
    """Help written as plain text: Typer renders help through Rich markup, where `[policy]` is a style tag
    that vanishes, and it gives every option a type column, `<bool>` even for a flag that takes no value.
    Mixed into the app's group and every command it registers, so no command can forget it."""

    help: str | None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.help:
            self.help = escape(self.help)

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)  # type: ignore[misc]
        for param in params:
            if not getattr(param, "_opsguard_plain", False):   # the objects live as long as the command
                param._opsguard_plain = True
                if getattr(param, "help", None):
                    param.help = escape(param.help)
                if getattr(param, "is_flag", False):
                    param.metavar = ""                         # no `<bool>`: a flag is given or not
        return params


class _Command(_PlainHelp, TyperCommand):
    pass


class _Group(_PlainHelp, TyperGroup):
    pass


class _Typer(typer.Typer):
    """`app.command()` registers a `_Command` unless told otherwise."""

    def command(self, name: str | None = None, *, cls: type[TyperCommand] | None = None,  # type: ignore[override]
                **kwargs: Any) -> Callable[[Callable[P, R]], Callable[P, R]]:
        return super().command(name, cls=cls or _Command, **kwargs)


app = _Typer(
    name="opsguard",
    cls=_Group,
    help="Guard for DataWorks Operation Center: impact of freezes and undeploys, size of backfills.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        from opsguard import __version__

        print(f"opsguard {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", help="Print opsguard's version and exit.",
                                                callback=_print_version, is_eager=True)] = False) -> None:
    """Guard for DataWorks Operation Center: impact of freezes and undeploys, size of backfills."""


JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead of tables.")]
DataDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Where snapshots and state live (default: $OPSGUARD_HOME, else ./.opsguard).",
                 show_default=False),
]


def resolve_data_dir(data_dir: Path | None) -> Path:
    """The data dir per docs/contract.md precedence: flag, then $OPSGUARD_HOME, then ./.opsguard."""
    return default_data_dir(data_dir)


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print `opsguard: error: <message>` on one line to stderr and exit (2 = usage or input error)."""
    first_line = " ".join(str(message).split())
    print(f"opsguard: error: {first_line}", file=sys.stderr)
    raise typer.Exit(code)


def print_json(obj: Any) -> None:
    """One JSON document on stdout (dates and paths as strings)."""
    sys.stdout.write(json.dumps(obj, default=str, ensure_ascii=False) + "\n")


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn the project's own exceptions into the one-line error + exit 2 every command promises."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except (LineageError, StoreError) as exc:
            fail(str(exc))
        except KeyboardInterrupt:
            fail("interrupted", code=130)

    return wrapper


def main() -> None:
    """Console-script entry point."""
    import opsguard.cli  # noqa: F401  (registers every command on `app`)

    app()
