"""opsguard's service and command line: the webhook server, its store, the judge/report pipeline, pages.

The judgement itself is the `evaluator` library and the metadata is `lineage`; this package wires them
to the outside world (HTTP, the state store, DataWorks' result API, the scheduler).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("opsguard")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
