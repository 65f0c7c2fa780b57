"""A standalone fake of the DataWorks cloud, shipped so the demo and the tests run offline.

- ``sandbox.workspace``: generate a realistic demo workspace fixture (``generate_workspace``,
  ``load_workspace``; ``python -m sandbox.workspace``).
- ``sandbox.emulator``: serve a fixture as the DataWorks 2020-05-18 OpenAPI over loopback HTTP,
  verifying ACS3 signatures, with fault injection (``Emulator``; ``python -m sandbox.emulator``).
- ``sandbox.pusher``: push CloudEvents signed as EventBridge signs them, scheme v1, v2 or both
  (``push``, ``sign_push``; ``python -m sandbox.pusher``).
- ``sandbox.eventbridge_keys``: the sandbox EventBridge's signing keys, published by the emulator at the
  URL each push names, with rotation (``Emulator.eventbridge``).

Nothing here imports ``lineage`` or ``evaluator``.
"""
