"""The repository passes its own checks: ruff lint and format, mypy --strict, the
import-linter contracts that keep the process packages independent (STYLE §2, §10), and a
README whose configuration table names every setting with its default.

Each tool runs from the virtual environment that runs the tests, with the configuration in
pyproject.toml, so a failure here reads like the tool's own output.
"""

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic_settings import BaseSettings

from ingest_api.settings import IngestSettings
from projector.settings import ProjectorSettings
from read_api.settings import ReadSettings

REPO_ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent

CHECKS = {
    "ruff-lint": ["ruff", "check", "."],
    "ruff-format": ["ruff", "format", "--check", "."],
    "mypy": ["mypy"],
    "import-contracts": ["lint-imports"],
}


# mypy --strict over every package and the tests takes about a minute on a cold cache.
@pytest.mark.timeout(600)
@pytest.mark.parametrize("command", CHECKS.values(), ids=CHECKS.keys())
def test_repository_passes_static_check(command: list[str]) -> None:
    executable = VENV_BIN / command[0]
    assert executable.exists(), f"{command[0]} is not installed in {VENV_BIN}"
    result = subprocess.run(
        [str(executable), *command[1:]],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}"


SETTINGS: tuple[type[BaseSettings], ...] = (IngestSettings, ProjectorSettings, ReadSettings)


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda cls: cls.__name__)
def test_readme_lists_every_setting_with_its_default(settings: type[BaseSettings]) -> None:
    readme = (REPO_ROOT / "README.md").read_text().splitlines()
    prefix = str(settings.model_config.get("env_prefix", ""))
    for name, field in settings.model_fields.items():
        variable = f"`{prefix}{name.upper()}`"
        rows = [line for line in readme if line.startswith("|") and variable in line]
        assert rows, f"README.md has no configuration row for {variable}"
        if field.default is not None:
            assert f"`{field.default}`" in rows[0], f"README.md: {variable} default {field.default}"
