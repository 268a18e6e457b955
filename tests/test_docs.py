"""The documentation is executed: every console and Python example runs and its output is
compared, every hook, built-in rule, shipped ruleset and public name has its reference section,
generated pages are current, and the site builds with ``mkdocs build --strict``.

The marker syntax is described in docs/contributing.md.
"""

from __future__ import annotations

import contextlib
import difflib
import doctest
import glob
import importlib.metadata
import importlib.util
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

import parrules
from parrules import Registry, _plugins, hookspecs, known_ids
from parrules import cli as parrules_cli

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
LANGUAGES = {"console", "python", "text", "yaml", "toml", "ini", "bash", "json"}
UPDATE = "PARRULES_DOCS_UPDATE"
"""Set to re-record the output of console blocks that have no ``...`` (review the diff!)."""
COPIED = ("examples", "plugins")
"""Directories of the repository each page finds in its (otherwise empty) working directory."""

FENCE = re.compile(r"^(?P<indent> *)(?P<fence>```+)(?P<info>.*)$")
MARKER = re.compile(r"^\s*<!--\s*docs-test:(?P<body>.*?)-->\s*$")


@dataclass
class Block:
    lang: str
    text: str
    line: int
    marker: dict[str, str] = field(default_factory=dict)
    follows: Block | None = None
    """The block just before this one when only blank lines separate them."""


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def parse_marker(body: str, where: str) -> dict[str, str]:
    result = {}
    for token in body.split():
        key, sep, value = token.partition("=")
        if key not in ("file", "exit", "excerpt") or not sep:
            pytest.fail(f"{where}: unknown docs-test marker '{token}' (see docs/contributing.md)")
        result[key] = value
    return result


def parse_blocks(path: Path) -> list[Block]:
    """The fenced blocks of a Markdown page, each with the marker comment just above it."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    marker: dict[str, str] = {}
    previous: Block | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        where = f"{_rel(path)}:{i + 1}"
        found = MARKER.match(line)
        if found:
            marker = parse_marker(found["body"], where)
            previous = None
            i += 1
            continue
        opening = FENCE.match(line)
        if not opening:
            if line.strip():
                marker = {}
                previous = None
            i += 1
            continue
        indent, fence = len(opening["indent"]), opening["fence"]
        lang = opening["info"].strip().split(" ")[0]
        body: list[str] = []
        i += 1
        while i < len(lines) and lines[i].strip() != fence:
            body.append(lines[i][indent:] if lines[i][:indent].strip() == "" else lines[i])
            i += 1
        i += 1
        block = Block(lang, "\n".join(body) + "\n", int(where.rsplit(":", 1)[1]), marker, previous)
        blocks.append(block)
        marker = {}
        previous = block
    return blocks


def _pattern(expected: list[str]) -> re.Pattern[str]:
    parts = []
    for line in expected:
        if line == "...":
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append(re.escape(line).replace(re.escape("..."), r"[^\n]*?") + r"\n")
    return re.compile("".join(parts))


def _lines(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return lines


def output_matches(expected: str, actual: str) -> bool:
    """Compare line by line, ignoring trailing spaces: a line ``...`` matches any number of
    lines, and ``...`` inside a line matches any text."""
    return bool(
        _pattern(_lines(expected)).fullmatch("".join(f"{line}\n" for line in _lines(actual)))
    )


def mismatch(what: str, expected: str, actual: str) -> str:
    diff = difflib.unified_diff(
        _lines(expected), _lines(actual), "expected (docs)", "actual", lineterm=""
    )
    return f"{what}: the output differs from the docs\n" + "\n".join(diff)


@dataclass
class PageRun:
    """One page's examples, run in order in a fresh directory with a copy of examples/."""

    page: Path
    cwd: Path
    site: Path
    monkeypatch: pytest.MonkeyPatch
    namespace: dict[str, Any] = field(default_factory=lambda: {"__name__": "__docs__"})
    installed: set[str] = field(default_factory=set)
    paths: list[str] = field(default_factory=list)
    updates: list[tuple[Block, list[str]]] = field(default_factory=list)

    def write_updates(self) -> None:
        """Re-record the console blocks whose output changed (``PARRULES_DOCS_UPDATE=1``)."""
        lines = self.page.read_text(encoding="utf-8").split("\n")
        for block, recorded in sorted(self.updates, key=lambda u: -u[0].line):
            indent = " " * (len(lines[block.line - 1]) - len(lines[block.line - 1].lstrip()))
            size = len(block.text.splitlines())
            lines[block.line : block.line + size] = [(indent + ln).rstrip() for ln in recorded]
        self.page.write_text("\n".join(lines), encoding="utf-8")

    def where(self, block: Block) -> str:
        return f"{_rel(self.page)}:{block.line}"

    def run(self, block: Block) -> None:
        if "excerpt" in block.marker:
            self.check_excerpt(block)
        if "file" in block.marker:
            target = self.cwd / block.marker["file"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.text, encoding="utf-8")
        elif block.lang == "console":
            self.run_console(block)
        elif block.lang == "python":
            self.run_python(block)

    def check_excerpt(self, block: Block) -> None:
        source = ROOT / block.marker["excerpt"]
        expected = ["...", *_lines(block.text), "..."]
        actual = source.read_text(encoding="utf-8")
        if not _pattern(expected).fullmatch("".join(f"{ln}\n" for ln in _lines(actual))):
            pytest.fail(f"{self.where(block)}: this excerpt is not in {block.marker['excerpt']}")

    def run_console(self, block: Block) -> None:
        commands: list[tuple[str, list[str]]] = []
        for line in block.text.splitlines():
            if line.startswith("$ "):
                commands.append((line[2:], []))
            elif not commands:
                pytest.fail(f"{self.where(block)}: a console block starts with '$ command'")
            else:
                commands[-1][1].append(line)
        expected_exit = int(block.marker.get("exit", "0"))
        recorded: list[str] = []
        for command, expected in commands:
            code, output = self.execute(self.expand(shlex.split(command)))
            what = f"{self.where(block)}: $ {command}"
            if code != expected_exit:
                pytest.fail(f"{what}: exit status {code}, expected {expected_exit}\n{output}")
            recorded += [f"$ {command}", *([] if command.startswith("pip ") else _lines(output))]
            if command.startswith("pip "):
                continue
            if not output_matches("\n".join(expected), output):
                if os.environ.get(UPDATE) and not any("..." in line for line in expected):
                    if not (self.updates and self.updates[-1][0] is block):  # once per block
                        self.updates.append((block, recorded))
                    continue
                pytest.fail(mismatch(what, "\n".join(expected), output))
        if self.updates and self.updates[-1][0] is block:
            self.updates[-1] = (block, recorded)

    def expand(self, argv: list[str]) -> list[str]:
        """Expand wildcards the way a shell does (sorted; a pattern matching nothing is kept)."""
        result = []
        for arg in argv:
            wild = any(c in arg for c in "*?[")
            found = sorted(glob.glob(arg, root_dir=self.cwd)) if wild else []
            result.extend(found or [arg])
        return result

    def execute(self, argv: list[str]) -> tuple[int, str]:
        if argv[0] == "parrules":
            return self.parrules(argv[1:])
        if argv[:2] == ["pip", "install"]:
            return self.pip_install(argv[2:])
        if argv[0] in ("python", "pytest"):
            prefix = [sys.executable] if argv[0] == "python" else [sys.executable, "-m", "pytest"]
            env = {**os.environ, "COLUMNS": "100"}
            env["PYTHONPATH"] = os.pathsep.join([*self.paths, str(self.site)])
            done = subprocess.run(
                [*prefix, *argv[1:]],
                cwd=self.cwd,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=300,
                check=False,
            )
            return done.returncode, done.stdout
        pytest.fail(f"{self.page}: cannot run '{argv[0]}' (see docs/contributing.md)")

    def parrules(self, args: list[str]) -> tuple[int, str]:
        _plugins.default_registry.cache_clear()
        _plugins._distributions.cache_clear()
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
            try:
                code = parrules_cli.main(args)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
        _plugins.default_registry.cache_clear()
        return code, buffer.getvalue()

    def pip_install(self, args: list[str]) -> tuple[int, str]:
        """Install a plugin project the way ``pip install -e`` would, without touching the
        environment: its sources go on sys.path and its metadata (with its entry points) into a
        directory of this page only."""
        for arg in args:
            if arg == "-e" or arg.partition("[")[0] == ".":  # parrules itself: installed
                continue
            project = self.cwd / arg
            meta = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
            name, version = meta["project"]["name"], meta["project"]["version"]
            dist = self.site / f"{name.replace('-', '_')}-{version}.dist-info"
            dist.mkdir(parents=True)
            (dist / "METADATA").write_text(
                f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8"
            )
            groups = meta["project"].get("entry-points", {})
            (dist / "entry_points.txt").write_text(
                "".join(
                    f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items())
                    for group, eps in groups.items()
                ),
                encoding="utf-8",
            )
            source = project / "src" if (project / "src").is_dir() else project
            self.paths.append(str(source))
            self.monkeypatch.syspath_prepend(str(source))
            self.installed.add(name)
        importlib.invalidate_caches()
        _plugins.default_registry.cache_clear()
        return 0, ""

    def run_python(self, block: Block) -> None:
        name = self.where(block)
        if ">>>" in block.text:
            test = doctest.DocTestParser().get_doctest(
                block.text, self.namespace, name, str(self.page), block.line
            )
            report: list[str] = []
            runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
            runner.run(test, out=report.append, clear_globs=False)
            self.namespace.update(test.globs)  # a DocTest works on a copy
            if runner.failures:
                pytest.fail(f"{name}: doctest failed\n" + "".join(report))
            return
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            exec(compile(block.text, name, "exec"), self.namespace)
        self.namespace["_last_output"] = buffer.getvalue()

    def check_script_output(self, block: Block) -> None:
        """A ``text`` block right after a Python script is what the script prints."""
        actual = self.namespace.pop("_last_output")
        if not output_matches(block.text, actual):
            pytest.fail(mismatch(self.where(block), block.text, actual))


def _is_script(block: Block | None) -> bool:
    return (
        block is not None
        and block.lang == "python"
        and "file" not in block.marker
        and ">>>" not in block.text
    )


@contextlib.contextmanager
def only_installed_entry_points(run: PageRun) -> Iterator[None]:
    """Plugins installed in this environment are hidden: a page sees parrules alone, plus what
    it installs itself."""
    real = importlib.metadata.entry_points

    def entry_points(**params: Any) -> Any:
        found: Any = real(**params)
        if params.get("group") != hookspecs.PROJECT:
            return found
        return [ep for ep in found if ep.dist is not None and ep.dist.name in run.installed]

    run.monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)
    run.monkeypatch.delenv(_plugins.DISABLE_AUTOLOAD, raising=False)
    run.monkeypatch.setenv("COLUMNS", "100")
    bin_dir = str(Path(sys.executable).parent)  # where `pip install` puts the `parrules` command
    run.monkeypatch.setenv("PATH", os.pathsep.join([bin_dir, os.environ.get("PATH", "")]))
    run.monkeypatch.syspath_prepend(str(run.site))
    run.monkeypatch.syspath_prepend(str(run.cwd))
    modules = set(sys.modules)
    _plugins.default_registry.cache_clear()
    try:
        yield
    finally:
        for name in set(sys.modules) - modules:
            module = sys.modules[name]
            if str(getattr(module, "__file__", "") or "").startswith(str(run.cwd)):
                del sys.modules[name]
        _plugins.default_registry.cache_clear()
        _plugins._distributions.cache_clear()
        importlib.invalidate_caches()


def run_page(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cwd = tmp_path / "work"
    cwd.mkdir(parents=True)
    for name in COPIED:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, cwd / name, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.chdir(cwd)
    run = PageRun(page, cwd, tmp_path / "site", monkeypatch)
    run.site.mkdir()
    with only_installed_entry_points(run):
        for block in parse_blocks(page):
            if block.lang == "text" and _is_script(block.follows) and "file" not in block.marker:
                run.check_script_output(block)
            else:
                run.run(block)
    if run.updates:
        run.write_updates()
        pytest.fail(
            f"{_rel(page)}: re-recorded {len(run.updates)} console block(s); review the diff"
        )


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_examples(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every console and Python example of the page runs and prints what the page says."""
    run_page(page, tmp_path, monkeypatch)


# --- the harness itself ------------------------------------------------------------------------


def test_output_matching_rules() -> None:
    """``...`` lines skip any number of lines, ``...`` in a line any text; trailing spaces and
    blank edges are ignored; everything else must be equal."""
    assert output_matches("a\n...\nd", "a\nb\nc\nd\n")
    assert output_matches("a\n...\nb", "a\nb")
    assert output_matches("total 89,75 in ...s", "total 89,75 in 0.01s   ")
    assert not output_matches("a\nc", "a\nb\nc")
    assert not output_matches("89,75", "89,76")
    assert not output_matches("a", "a\nb")


def test_blocks_and_markers_are_parsed(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "Intro.\n\n<!-- docs-test: file=x/unit.yaml -->\n```yaml\nunit: X\n```\n\n"
        "```python\nprint(1)\n```\n\n```text\n1\n```\n\nText.\n\n```console\n$ parrules rules\n"
        "```\n",
        encoding="utf-8",
    )
    blocks = parse_blocks(page)
    assert [b.lang for b in blocks] == ["yaml", "python", "text", "console"]
    assert blocks[0].marker == {"file": "x/unit.yaml"}
    assert blocks[0].text == "unit: X\n"
    assert blocks[1].marker == {}
    assert blocks[2].follows is blocks[1]
    assert blocks[3].follows is None


def test_a_wrong_example_fails_and_can_be_re_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A console block printing something else fails; with the update switch it is rewritten
    with the real output (and still fails once), leaving blocks with `...` alone."""
    monkeypatch.delenv(UPDATE, raising=False)
    page = tmp_path / "page.md"
    text = (
        "# Page\n\n  ```console\n  $ parrules rulesets\n  nothing/here\n  ```\n\n"
        "```console\n$ parrules rulesets\n...\n```\n"
    )
    page.write_text(text, encoding="utf-8")
    with pytest.raises(pytest.fail.Exception, match="the output differs"):
        run_page(page, tmp_path / "one", monkeypatch)
    monkeypatch.setenv(UPDATE, "1")
    with pytest.raises(pytest.fail.Exception, match="re-recorded 1 console block"):
        run_page(page, tmp_path / "two", monkeypatch)
    rewritten = page.read_text(encoding="utf-8")
    recorded = rewritten.split("  $ parrules rulesets\n")[1].split("  ```\n")[0].splitlines()
    ids = sorted(known_ids(Registry.create(entry_points=False)))
    assert [line.split()[0] for line in recorded] == ids
    assert "nothing/here" not in rewritten
    assert rewritten.endswith("```console\n$ parrules rulesets\n...\n```\n")
    monkeypatch.delenv(UPDATE)
    run_page(page, tmp_path / "three", monkeypatch)


# --- every page is reachable, every fence is tagged, every command is executed ------------------


def test_every_fence_is_tagged_and_every_command_is_executed() -> None:
    for page in PAGES:
        for block in parse_blocks(page):
            where = f"{_rel(page)}:{block.line}"
            assert block.lang in LANGUAGES, f"{where}: tag the block with one of {LANGUAGES}"
            if block.lang in ("bash", "text", "yaml", "toml", "ini", "json"):
                commands = [
                    ln for ln in block.text.splitlines() if re.match(r"^\s*(\$ )?parrules ", ln)
                ]
                assert not commands, f"{where}: put 'parrules' commands in a console block"


def _nav_pages(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, list):
        for item in node:
            yield from _nav_pages(item)
    elif isinstance(node, dict):
        for value in node.values():
            yield from _nav_pages(value)


def test_every_page_is_in_the_nav() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    in_nav = {p for p in _nav_pages(config["nav"]) if p.endswith(".md")}
    on_disk = {str(p.relative_to(DOCS)) for p in PAGES}
    assert on_disk == in_nav


# --- reference coverage -------------------------------------------------------------------------


def _headings(relative: str) -> set[str]:
    text = (DOCS / relative).read_text(encoding="utf-8")
    return set(re.findall(r"^#+ `([^`]+)`", text, flags=re.MULTILINE))


def test_every_hook_has_a_reference_section_and_a_test() -> None:
    hooks = [name for name in dir(hookspecs) if name.startswith("parrules_")]
    assert hooks
    assert set(hooks) <= _headings("reference/hooks.md")
    tests = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("*.py"))
    untested = [h for h in hooks if not re.search(rf"def test_hook_{h}\w*\(", tests)]
    assert not untested, f"add a test named test_hook_<hook> for: {untested}"


def test_every_builtin_rule_has_a_reference_section() -> None:
    rules = Registry.create(entry_points=False).rules
    assert set(rules) <= _headings("reference/rules.md")


def test_every_shipped_ruleset_has_a_reference_section() -> None:
    ids = known_ids(Registry.create(entry_points=False))
    assert ids
    assert set(ids) <= _headings("reference/rulesets.md")


def test_every_public_name_is_in_the_api_reference() -> None:
    assert set(parrules.__all__) <= _headings("reference/api.md")


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_reference", DOCS / "gen_reference.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_pages_are_current() -> None:
    """The CLI, API and error pages are generated from the code; regenerate them with
    ``python docs/gen_reference.py``."""
    for path, text in _generator().render().items():
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        assert current == text, f"{path.relative_to(ROOT)} is stale: run docs/gen_reference.py"


# --- the site -----------------------------------------------------------------------------------


def test_site_builds_strictly(tmp_path: Path) -> None:
    """A broken link, anchor or page left out of the nav fails the build."""
    if importlib.util.find_spec("mkdocs") is None:
        pytest.skip("mkdocs is not installed (pip install -e '.[docs]')")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "site" / "index.html").is_file()
