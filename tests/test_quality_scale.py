"""quality_scale.yaml holds up: every rule listed, every "done" passing hassfest's checks.

Home Assistant's hassfest checks core integrations (script/hassfest/quality_scale*).

The checks are written again here (hassfest is not installed with Home Assistant):
the same inspections of the integration's source, for the rules that have them.
The other rules are documentation and behaviour, which the README and the tests hold.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
import json
from pathlib import Path
import re
import tomllib
from typing import Any

from homeassistant.const import Platform
from homeassistant.util.yaml import load_yaml_dict
import pytest

ROOT = Path(__file__).parent.parent
PACKAGE = ROOT / "custom_components" / "shared_calendars"

TIERS: dict[str, tuple[str, ...]] = {
    "bronze": (
        "action-setup",
        "appropriate-polling",
        "brands",
        "common-modules",
        "config-flow",
        "config-flow-test-coverage",
        "dependency-transparency",
        "docs-actions",
        "docs-conditions",
        "docs-high-level-description",
        "docs-installation-instructions",
        "docs-removal-instructions",
        "docs-triggers",
        "entity-event-setup",
        "entity-unique-id",
        "has-entity-name",
        "runtime-data",
        "test-before-configure",
        "test-before-setup",
        "unique-config-entry",
    ),
    "silver": (
        "action-exceptions",
        "config-entry-unloading",
        "docs-configuration-parameters",
        "docs-installation-parameters",
        "entity-unavailable",
        "integration-owner",
        "log-when-unavailable",
        "parallel-updates",
        "reauthentication-flow",
        "test-coverage",
    ),
    "gold": (
        "devices",
        "diagnostics",
        "discovery",
        "discovery-update-info",
        "docs-data-update",
        "docs-examples",
        "docs-known-limitations",
        "docs-supported-devices",
        "docs-supported-functions",
        "docs-troubleshooting",
        "docs-use-cases",
        "dynamic-devices",
        "entity-category",
        "entity-device-class",
        "entity-disabled-by-default",
        "entity-translations",
        "exception-translations",
        "icon-translations",
        "reconfiguration-flow",
        "repair-issues",
        "stale-devices",
    ),
    "platinum": ("async-dependency", "inject-websession", "strict-typing"),
}
"""Home Assistant's rules by tier (hassfest's ALL_RULES): 54 of them."""

TYPED_ENTRY = re.compile(r"^[A-Za-z]+ConfigEntry$")
SETUP_EXCEPTIONS = {"ConfigEntryNotReady", "ConfigEntryAuthFailed", "ConfigEntryError"}


def _rules() -> dict[str, dict[str, Any]]:
    """Return the rules as listed, each as {"status": ..., "comment": ...}."""
    listed = load_yaml_dict(PACKAGE / "quality_scale.yaml")["rules"]
    return {
        name: value if isinstance(value, dict) else {"status": value}
        for name, value in listed.items()
    }


def _module(name: str) -> ast.Module:
    return ast.parse((PACKAGE / f"{name}.py").read_text())


def _functions(module: ast.Module) -> dict[str, ast.AsyncFunctionDef]:
    """Return the module's top-level async functions by name."""
    return {
        node.name: node
        for node in module.body
        if isinstance(node, ast.AsyncFunctionDef)
    }


def _calls(tree: ast.AST) -> Iterator[str]:
    """Yield the names of the methods called in `tree` (`x.name(...)`)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            yield node.func.attr


def _defines(module: ast.Module, function: str) -> bool:
    return any(
        isinstance(node, ast.AsyncFunctionDef) and node.name == function
        for node in ast.walk(module)
    )


def _platforms() -> list[str]:
    return [
        platform.value for platform in Platform if (PACKAGE / f"{platform}.py").exists()
    ]


# ------------------------------------------------------------------ the checks


def _config_flow() -> list[str]:
    manifest = json.loads((PACKAGE / "manifest.json").read_text())
    errors = [] if manifest.get("config_flow") else ["config_flow not set in manifest"]
    if not (PACKAGE / "config_flow.py").exists():
        errors.append("no config_flow.py")
    return errors


def _unique_config_entry() -> list[str]:
    called = set(_calls(_module("config_flow")))
    if (
        "_async_abort_entries_match" in called
        or {
            "async_set_unique_id",
            "_abort_if_unique_id_configured",
        }
        <= called
    ):
        return []
    return ["config_flow.py does not keep the same service from being added twice"]


def _annotation_errors(
    function: ast.AsyncFunctionDef | ast.FunctionDef, position: int
) -> list[str]:
    arguments = function.args.args
    if len(arguments) < position:
        return [f"{function.name} takes no entry"]
    annotation = arguments[position - 1].annotation
    if isinstance(annotation, ast.Name) and TYPED_ENTRY.match(annotation.id):
        return []
    return [f"{function.name} does not take the typed entry"]


def _runtime_data() -> list[str]:
    init = _functions(_module("__init__"))
    setup = init["async_setup_entry"]
    entry = setup.args.args[1].arg
    errors = []
    if not any(
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == entry
        and node.attr == "runtime_data"
        and isinstance(node.ctx, ast.Store)
        for node in ast.walk(setup)
    ):
        errors.append("async_setup_entry does not set entry.runtime_data")
    if _rules()["strict-typing"]["status"] != "done":
        return errors
    # With strict typing, every function Home Assistant passes the entry takes it typed.
    takes_entry = {
        "__init__": (
            "async_migrate_entry",
            "async_remove_config_entry_device",
            "async_remove_entry",
            "async_setup_entry",
            "async_unload_entry",
        ),
        "diagnostics": (
            "async_get_config_entry_diagnostics",
            "async_get_device_diagnostics",
        ),
        **dict.fromkeys(_platforms(), ("async_setup_entry",)),
    }
    for module_name, names in takes_entry.items():
        functions = _functions(_module(module_name))
        for name in names:
            if name in functions:
                errors += _annotation_errors(functions[name], 2)
    for node in _module("config_flow").body:
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if (
                    isinstance(item, ast.FunctionDef)
                    and item.name == "async_get_options_flow"
                ):
                    errors += _annotation_errors(item, 1)
    return errors


def _strict_typing() -> list[str]:
    """Core lists the integration in .strict-typing; here mypy runs strict on it."""
    mypy = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    errors = [] if mypy.get("strict") else ["mypy does not run strict"]
    if "custom_components" not in mypy.get("files", ()):
        errors.append("mypy does not check custom_components")
    return errors


def _test_before_setup() -> list[str]:
    setup = _functions(_module("__init__"))["async_setup_entry"]
    if "async_config_entry_first_refresh" in _calls(setup):
        return []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Raise) and node.exc is not None:
                raised = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                if isinstance(raised, ast.Name) and raised.id in SETUP_EXCEPTIONS:
                    return []
    return ["setup neither refreshes first nor raises a setup exception"]


def _reconfiguration_flow() -> list[str]:
    if _defines(_module("config_flow"), "async_step_reconfigure"):
        return []
    return ["config_flow.py has no async_step_reconfigure"]


def _reauthentication_flow() -> list[str]:
    if _defines(_module("config_flow"), "async_step_reauth"):
        return []
    return ["config_flow.py has no async_step_reauth"]


def _action_setup() -> list[str]:
    errors = []
    for module_name in ("__init__", *_platforms()):
        setup = _functions(_module(module_name)).get("async_setup_entry")
        if setup is None:
            continue
        for node in ast.walk(setup):
            if not (
                isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            ):
                continue
            target = node.func.value
            if node.func.attr == "async_register_entity_service" or (
                node.func.attr in ("async_register", "register")
                and isinstance(target, ast.Attribute)
                and target.attr == "services"
            ):
                errors.append(f"{module_name}.async_setup_entry registers actions")
    return errors


def _config_entry_unloading() -> list[str]:
    if "async_unload_entry" in _functions(_module("__init__")):
        return []
    return ["__init__.py has no async_unload_entry"]


def _diagnostics() -> list[str]:
    if not (PACKAGE / "diagnostics.py").exists():
        return ["no diagnostics.py"]
    found = set(_functions(_module("diagnostics")))
    if found & {"async_get_config_entry_diagnostics", "async_get_device_diagnostics"}:
        return []
    return ["diagnostics.py has no diagnostics function"]


def _parallel_updates() -> list[str]:
    return [
        f"{platform}.py does not set PARALLEL_UPDATES"
        for platform in _platforms()
        if not any(
            isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == "PARALLEL_UPDATES"
            for node in _module(platform).body
        )
    ]


def _has_entity_name() -> list[str]:
    """Every entity class, or a class it derives from here, sets has_entity_name."""
    bases: dict[str, list[str]] = {}
    sets_it: set[str] = set()
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ClassDef):
                continue
            bases[node.name] = [
                base.id
                if isinstance(base, ast.Name)
                else ast.unparse(base).split("[")[0]
                for base in node.bases
            ]
            for item in node.body:
                if (
                    isinstance(item, ast.Assign)
                    and isinstance(item.targets[0], ast.Name)
                    and item.targets[0].id == "_attr_has_entity_name"
                    and isinstance(item.value, ast.Constant)
                    and item.value.value is True
                ):
                    sets_it.add(node.name)

    def has_it(name: str) -> bool:
        return name in sets_it or any(has_it(base) for base in bases.get(name, ()))

    return [
        f"{name} does not set _attr_has_entity_name"
        for name, parents in bases.items()
        if (name.endswith("Entity") or any(p.endswith("Entity") for p in parents))
        and not has_it(name)
    ]


def _brands() -> list[str]:
    return [
        f"no brand/{image}"
        for image in ("icon.png", "logo.png")
        if not (PACKAGE / "brand" / image).exists()
    ]


CHECKS: dict[str, Callable[[], list[str]]] = {
    "action-setup": _action_setup,
    "brands": _brands,
    "config-entry-unloading": _config_entry_unloading,
    "config-flow": _config_flow,
    "diagnostics": _diagnostics,
    "has-entity-name": _has_entity_name,
    "parallel-updates": _parallel_updates,
    "reauthentication-flow": _reauthentication_flow,
    "reconfiguration-flow": _reconfiguration_flow,
    "runtime-data": _runtime_data,
    "strict-typing": _strict_typing,
    "test-before-setup": _test_before_setup,
    "unique-config-entry": _unique_config_entry,
}


# ------------------------------------------------------------------- the tests


def test_every_rule_is_listed_with_a_status() -> None:
    """All 54 rules, no other; an exemption or a rule left to do says why."""
    rules = _rules()
    assert sorted(rules) == sorted(rule for tier in TIERS.values() for rule in tier)
    assert len(rules) == 54
    for name, rule in rules.items():
        assert rule["status"] in ("done", "exempt", "todo"), name
        if rule["status"] != "done":
            assert rule.get("comment"), f"{name} is {rule['status']} without a reason"


@pytest.mark.parametrize("rule", sorted(CHECKS))
def test_a_done_rule_passes_home_assistants_check(rule: str) -> None:
    """Hassfest's inspection of the source, for each rule that has one and is done."""
    if _rules()[rule]["status"] != "done":
        pytest.skip(f"{rule} is not claimed as done")
    assert CHECKS[rule]() == []


def test_the_checks_catch_what_they_are_for() -> None:
    """The inspections fail on source that breaks their rule."""
    untyped = ast.parse(
        "async def async_setup_entry(hass, entry: ConfigEntry) -> bool:\n"
        "    entry.runtime_data = 1\n"
    )
    assert _annotation_errors(_functions(untyped)["async_setup_entry"], 2) == [
        "async_setup_entry does not take the typed entry"
    ]
    typed = ast.parse("async def f(hass, entry: FamilyConfigEntry) -> None: ...\n")
    assert _annotation_errors(_functions(typed)["f"], 2) == []
    assert not _defines(
        ast.parse("def async_step_reauth(self): ...\n"), "async_step_reauth"
    )
    assert list(_calls(ast.parse("self._abort_if_unique_id_configured()"))) == [
        "_abort_if_unique_id_configured"
    ]
