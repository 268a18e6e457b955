"""The README a newcomer follows: its first block installs what its examples use, its second is
the command CI runs, and every example runs in an environment the first block made."""

from __future__ import annotations

import contextlib
import glob
import io
import re
import shlex
import shutil
from pathlib import Path

import pytest

import parrules
from parrules import _plugins, cli

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"^```(\w+)\n(.*?)^```$", README, flags=re.MULTILINE | re.DOTALL)


def test_the_readme_starts_with_the_install_and_the_dev_blocks() -> None:
    first, second = BLOCKS[0], BLOCKS[1]
    assert README.index("```bash") < README.index("## ")
    assert first[0] == second[0] == "bash"
    venv = "python3 -m venv .venv && . .venv/bin/activate"
    assert first[1].splitlines()[0] == second[1].splitlines()[0] == venv
    install, run = first[1].splitlines()[1].split(" && ")
    assert run == "parrules explain examples/thai-nguyen/binh-thanh-2023.yaml"
    assert install == "pip install '.[excel]' ./plugins/parrules-lai-chau"
    # the ci runs the dev block's command verbatim
    command = second[1].splitlines()[1]
    assert command in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()


def test_the_first_block_installs_every_plugin_the_shipped_rulesets_need() -> None:
    """Every rule the shipped rulesets name comes with parrules or with a plugin distribution
    the first block installs (and that a missing-rule error names)."""
    install = BLOCKS[0][1].splitlines()[1]
    builtin = parrules.Registry.create(entry_points=False)
    for path in parrules.known_ids(builtin).values():
        text = path.read_text(encoding="utf-8")
        for rule in re.findall(r"^\s*rule:\s*([\w.-]+)", text, flags=re.MULTILINE):
            if rule not in builtin.rules:
                dist = _plugins.KNOWN_PLUGINS[rule.partition(".")[0]]
                assert f"./plugins/{dist}" in install, rule
    assert "--format xlsx" in README  # hence the excel extra


def _commands() -> list[str]:
    found = []
    for lang, text in BLOCKS[2:]:
        if lang == "bash":
            found += [
                ln.split("#")[0].strip() for ln in text.splitlines() if ln.startswith("parrules ")
            ]
    return found


@pytest.mark.parametrize("command", _commands())
def test_every_readme_command_runs(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if "lai-chau.provincial-index-impact" not in parrules.Registry.create().rules:
        pytest.fail("the README's first block installs parrules-lai-chau; install it here too")
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    argv = []
    for arg in shlex.split(command)[1:]:
        argv += sorted(glob.glob(arg)) if "*" in arg else [arg]
    _plugins.default_registry.cache_clear()
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    assert (code, err.getvalue()) == (0, ""), f"{command}\n{out.getvalue()[-2000:]}"


def test_the_python_example_prints_the_published_total(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    script = next(text for lang, text in BLOCKS if lang == "python")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(script, "README.md", "exec"), {})
    lines = out.getvalue().splitlines()
    assert lines[0] == "89.75"
    assert len(lines) > 1
