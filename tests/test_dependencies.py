"""requirements.lock, which setup installs from, pins every dependency that pyproject.toml declares."""

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)
REGENERATE = "regenerate requirements.lock with the pip-compile command in README.md (Dependencies)"


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]]


def _locked() -> dict[str, str]:
    return {canonicalize_name(name): version for name, version in PIN.findall((ROOT / "requirements.lock").read_text())}


@pytest.mark.parametrize("requirement", _declared(), ids=str)
def test_lock_pins_each_declared_dependency_within_its_range(requirement):
    if requirement.marker is not None and not requirement.marker.evaluate():
        pytest.skip(f"{requirement} does not apply here")
    locked = _locked()
    name = canonicalize_name(requirement.name)
    assert name in locked, f"{requirement.name} is not in requirements.lock: {REGENERATE}"
    assert requirement.specifier.contains(locked[name], prereleases=True), (
        f"requirements.lock pins {requirement.name}=={locked[name]}, outside {requirement}: {REGENERATE}")


@pytest.mark.parametrize("requirement", [r for r in _declared() if r.extras], ids=str)
def test_lock_pins_what_the_declared_extras_pull_in(requirement):
    # psycopg[binary] is worth nothing without psycopg-binary: the extra's own requirements must be locked too.
    locked = _locked()
    for line in metadata.requires(requirement.name) or []:
        needed = Requirement(line)
        if needed.marker is None or needed.marker.evaluate({"extra": ""}):
            continue  # a requirement of the package itself, not of an extra
        if not any(needed.marker.evaluate({"extra": extra}) for extra in requirement.extras):
            continue  # another extra's, or one for another platform
        assert canonicalize_name(needed.name) in locked, f"{needed.name} (from {requirement}): {REGENERATE}"


def test_every_pin_carries_a_hash():
    # `pip install --require-hashes` refuses the whole lock if a single pin lacks one.
    blocks = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / "requirements.lock").read_text())
    unhashed = [b.split()[0] for b in blocks if PIN.match(b) and "--hash=sha256:" not in b]
    assert unhashed == [], f"pins without a hash: {unhashed}: {REGENERATE}"
