"""Every entry point, run by a Python without Jauap's dependencies, says how to install instead of a traceback."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

from jauap.installed import missing_requirements

ROOT = Path(__file__).resolve().parents[1]


def test_the_test_environment_has_every_requirement() -> None:
    assert missing_requirements() == []


def test_a_distribution_that_is_not_installed_is_reported_by_name() -> None:
    assert missing_requirements("jauap-no-such-distribution") == ["jauap-no-such-distribution"]


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with nothing installed, not even pip: what `python3` is on a fresh machine before `make install`."""
    home = tmp_path_factory.mktemp("bare")
    venv.create(home, with_pip=False)
    return home / "bin" / "python"


@pytest.mark.parametrize("entry", [["index", "ask", "Қанша?"], ["api"], ["bot"], ["ops", "report"]])
def test_an_entry_point_without_dependencies_names_the_install_command(bare_python: Path, entry: list[str]) -> None:
    done = subprocess.run(
        [str(bare_python), "-m", *entry], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2
    assert "make install" in done.stderr
    assert "numpy" in done.stderr
    assert "Traceback" not in done.stderr
    assert sys.executable not in done.stderr  # it names the Python that was run, not the test's own
