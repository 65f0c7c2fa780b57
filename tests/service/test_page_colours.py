"""One colour meaning per state on every page: the stylesheet gives each state (OK, WARN, FAIL, pending,
error) one variable with its own colour, every rule that colours a state uses that state's variable and no
other, no node role of the picture borrows a state's colour, and no template or the picture hard-codes a
colour for a state or a role."""

from __future__ import annotations

import re
from importlib import resources

from opsguard.pages.subdag_svg import KINDS

STATES = {"OK": "ok", "WARN": "warn", "FAIL": "fail", "pending": "pending", "error": "error"}
TEMPLATES = resources.files("opsguard.pages").joinpath("templates")


def _css() -> str:
    base = TEMPLATES.joinpath("base.html").read_text("utf-8")
    return base.split("<style>", 1)[1].split("</style>", 1)[0]


def _variables(prefix: str) -> dict[str, str]:
    return {name: value.lower() for name, value in re.findall(rf"--{prefix}-([a-z-]+):\s*(#[0-9a-fA-F]{{3,6}})", _css())}


def _rules() -> list[tuple[str, str]]:
    """(selector, declarations) of every rule (media queries flattened)."""
    css = re.sub(r"/\*.*?\*/", "", _css(), flags=re.S)
    return [(sel.strip(), body) for sel, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css)]


def test_each_state_has_one_variable_and_no_two_states_or_roles_share_a_colour():
    states, roles = _variables("state"), _variables("role")
    assert set(states) == set(STATES.values())
    assert len(set(states.values())) == len(states)                      # a colour means one state
    assert not set(states.values()) & set(roles.values())                # ...and never a node role
    assert set(roles) >= set(KINDS) - {"more"}                           # every role the picture draws has one


def test_every_rule_that_colours_a_state_uses_that_states_variable_only():
    coloured = {state: set() for state in STATES}
    for selector, body in _rules():
        for state, var in STATES.items():
            if re.search(rf"\.{re.escape(state)}(?![\w-])", selector):
                used = set(re.findall(r"var\(--state-([a-z]+)\)", body))
                assert used <= {var}, (selector, body)                      # no other state's colour
                assert not re.search(r"#[0-9a-fA-F]{3,6}\b", body.replace("color:#fff", "")), (selector, body)
                coloured[state] |= used
    assert coloured == {state: {var} for state, var in STATES.items()}     # each state is coloured, by its own


def test_no_template_or_the_picture_hard_codes_a_state_or_role_colour():
    roles = {k: v for k, v in _variables("role").items() if k != "node"}   # a plain node: the edges' neutral grey
    palette = set(_variables("state").values()) | set(roles.values())
    for template in TEMPLATES.iterdir():
        text = template.read_text("utf-8")
        if template.name == "base.html":
            text = text.split("</style>", 1)[1]
        assert not {c.lower() for c in re.findall(r"#[0-9a-fA-F]{6}\b", text)} & palette, template.name
    from opsguard.pages import subdag_svg

    source = resources.files("opsguard.pages").joinpath("subdag_svg.py").read_text("utf-8")
    assert not {c.lower() for c in re.findall(r"#[0-9a-fA-F]{6}\b", source)} & palette
    assert "fill=\"{fill}\"" not in source and hasattr(subdag_svg, "KINDS")
