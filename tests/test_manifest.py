"""The manifest's requirements: complete, and installable beside Home Assistant core.

Home Assistant installs a custom integration's requirements into its own environment,
one by one, with `uv pip install --upgrade` under core's package_constraints.txt. A
requirement that excludes a version core or one of its integrations pins makes the
two reinstall each other's version at every start, and one of them runs on a version
it was not built for. These tests read the Home Assistant that is installed.
"""

import ast
from collections.abc import Iterator
from importlib import metadata
import json
from pathlib import Path
import sys

import homeassistant
from homeassistant.const import __version__ as HA_VERSION
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

INTEGRATION = Path(__file__).parent.parent / "custom_components" / "shared_calendars"
HOMEASSISTANT = Path(homeassistant.__file__).parent
MANIFEST = json.loads((INTEGRATION / "manifest.json").read_text())
REQUIREMENTS = [Requirement(text) for text in MANIFEST["requirements"]]

# Home Assistant 2026.10's CalDAV integration pins caldav 3.3.0a1, which has no
# asynchronous client; 2026.11 pins 3.5.0a0, as we do.
KNOWN_CONFLICTS = (
    {("caldav", "caldav")} if Version(HA_VERSION) < Version("2026.11") else set()
)


def _imported_packages() -> set[str]:
    """Return the top-level names of every third-party module the integration imports."""
    names: set[str] = set()
    for path in INTEGRATION.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"homeassistant", "__future__"}


def _core_requirements() -> Iterator[tuple[str, Requirement]]:
    """Yield (who, requirement) for core itself, its constraints and its integrations."""
    for text in metadata.requires("homeassistant") or ():
        yield "homeassistant", Requirement(text)
    constraints = (HOMEASSISTANT / "package_constraints.txt").read_text()
    for line in constraints.splitlines():
        if line.strip() and not line.startswith("#"):
            yield "package_constraints.txt", Requirement(line)
    for manifest in (HOMEASSISTANT / "components").glob("*/manifest.json"):
        for text in json.loads(manifest.read_text()).get("requirements", ()):
            yield manifest.parent.name, Requirement(text)


def _pinned_versions() -> dict[str, list[tuple[str, str]]]:
    """Return, by package, the exact versions core or one of its integrations pins."""
    pins: dict[str, list[tuple[str, str]]] = {}
    for who, requirement in _core_requirements():
        for spec in requirement.specifier:
            if spec.operator == "==" and "*" not in spec.version:
                name = canonicalize_name(requirement.name)
                pins.setdefault(name, []).append((who, spec.version))
    return pins


def _installed_closure() -> Iterator[tuple[str, Requirement]]:
    """Yield (who, requirement) for our requirements and everything they pull in."""
    seen: set[str] = set()
    todo = [("manifest.json", requirement) for requirement in REQUIREMENTS]
    while todo:
        who, requirement = todo.pop()
        if requirement.marker is not None and not requirement.marker.evaluate(
            {"extra": ""}
        ):
            continue
        yield who, requirement
        name = canonicalize_name(requirement.name)
        if name in seen:
            continue
        seen.add(name)
        todo.extend((name, Requirement(t)) for t in metadata.requires(name) or ())


def test_every_imported_package_is_declared_or_shipped_by_core() -> None:
    """A package the integration imports is in its requirements or in core's own."""
    declared = {canonicalize_name(requirement.name) for requirement in REQUIREMENTS}
    core = {
        canonicalize_name(Requirement(text).name)
        for text in metadata.requires("homeassistant") or ()
    }
    distributions = metadata.packages_distributions()
    missing = {
        module: distributions[module]
        for module in _imported_packages()
        if not {canonicalize_name(dist) for dist in distributions[module]}
        & (declared | core)
    }
    assert missing == {}
    # Packages core ships are not declared again: core's pin decides their version.
    assert declared & core == set()


def test_requirements_allow_every_version_core_pins() -> None:
    """Our requirements, and theirs, accept what core and its integrations pin."""
    pins = _pinned_versions()
    conflicts = {
        (who, requirement.name, pinned_by, version)
        for who, requirement in _installed_closure()
        for pinned_by, version in pins.get(canonicalize_name(requirement.name), ())
        if not requirement.specifier.contains(version, prereleases=True)
        and (pinned_by, canonicalize_name(requirement.name)) not in KNOWN_CONFLICTS
    }
    assert conflicts == set()


def test_the_known_conflict_is_still_there() -> None:
    """Each conflict allowed above exists in this Home Assistant (else drop it)."""
    pins = _pinned_versions()
    ours = {str(canonicalize_name(r.name)): r.specifier for r in REQUIREMENTS}
    for integration, name in KNOWN_CONFLICTS:
        versions = [version for who, version in pins[name] if who == integration]
        assert versions
        assert not any(ours[name].contains(v, prereleases=True) for v in versions)


def test_installed_versions_satisfy_the_requirements() -> None:
    """The environment the tests run in is one the manifest allows."""
    for requirement in REQUIREMENTS:
        installed = metadata.version(requirement.name)
        assert requirement.specifier.contains(installed, prereleases=True), (
            requirement,
            installed,
        )
