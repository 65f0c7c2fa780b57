"""Argument parsing for the sandbox command lines: usage errors are one line, exit code 2."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn


class OneLineArgumentParser(argparse.ArgumentParser):
    """``argparse`` that reports a usage error as a single line on stderr and exits 2."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def fail(prog: str, message: str) -> NoReturn:
    """Exit 2 with a one-line reason (bad input found after parsing)."""
    print(f"{prog}: error: {message}", file=sys.stderr)
    raise SystemExit(2)
