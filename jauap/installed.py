"""Each entry point checks that Jauap is installed in the running Python before it imports its dependencies.

A new user who types `python -m index …` with the system Python instead of the project's `.venv` gets the command
that fixes it, not a `ModuleNotFoundError` traceback from the first third-party import.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata

DISTRIBUTION = "jauap"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def missing_requirements(distribution: str = DISTRIBUTION) -> list[str]:
    """The distribution itself when it is not installed, else its required (non-extra) packages that are not."""
    try:
        requires = metadata.requires(distribution) or []
    except metadata.PackageNotFoundError:
        return [distribution]
    missing = []
    for requirement in requires:
        if "extra ==" in requirement:
            continue
        name = _NAME.match(requirement)
        if name is None:
            continue
        try:
            metadata.distribution(name.group(0))
        except metadata.PackageNotFoundError:
            missing.append(name.group(0))
    return missing


def require_installed(distribution: str = DISTRIBUTION) -> None:
    """Exit with status 2 and one line saying how to install, when something required is missing."""
    missing = missing_requirements(distribution)
    if missing:
        named = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        print(
            f"error: {named} not installed for {sys.executable}. "
            "Run `make install` and use .venv/bin/python (or `pip install -e .` into this Python).",
            file=sys.stderr,
        )
        raise SystemExit(2)
