"""The policy: declarative TOML thresholds per rule, per workspace, and from the extension's options.

The shipped `evaluator/default_policy.toml` is also the schema: a key it does not have is unknown, a
value of another type is wrong. A user file only states what it changes. Nothing in a policy is
executed. A bad file fails at load with `PolicyError` naming the file, the line (when known) and the key.

Modules: `_model` (Rule, Policy), `_schema` (validate, merge, build), `_options` (extension options),
`_load` (default, file, text, table), `_errors`.
"""

from __future__ import annotations

from evaluator.policy._errors import PolicyError
from evaluator.policy._load import default_policy, load_policy, parse_policy, policy_from_mapping
from evaluator.policy._model import Policy, Rule
from evaluator.policy._options import read_extension_options

__all__ = ["Policy", "Rule", "PolicyError", "load_policy", "default_policy", "parse_policy",
           "read_extension_options", "policy_from_mapping"]

for _name in __all__:  # public names belong to the package (as in tracebacks and doctests)
    globals()[_name].__module__ = __name__
