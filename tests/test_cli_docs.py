"""The README documents the tool as it is: every command, every option, real examples.

Commands and options are read from the typer app itself, so a new command or option that
the README does not mention fails here, and so does a README example that no longer runs.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import typer
from typer.main import get_command

from ipt_excel.cli import app

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PNG = b"\x89PNG\r\n\x1a\n"


def _commands() -> dict[str, typer.core.TyperCommand]:
    group = get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    return dict(group.commands)  # type: ignore[arg-type]


COMMANDS = _commands()


def long_options(name: str) -> list[str]:
    return [
        opt
        for p in COMMANDS[name].params
        if p.param_type_name == "option"
        for opt in (*p.opts, *p.secondary_opts)
        if opt.startswith("--")
    ]


def all_options(name: str) -> set[str]:
    opts = {o for p in COMMANDS[name].params for o in (*p.opts, *p.secondary_opts)}
    return {o for o in opts if o.startswith("-")} | {"--help"}


def readme() -> str:
    return README.read_text(encoding="utf-8")


def sections(text: str) -> list[tuple[str, str]]:
    """(heading, body) for every Markdown heading; a body runs to the next heading of the same
    or a higher level. Headings inside fenced code are not headings."""
    lines = text.splitlines()
    heads: list[tuple[int, int, str]] = []
    fenced = False
    for i, line in enumerate(lines):
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (m := re.match(r"^(#{1,6})\s+(.*)$", line)):
            heads.append((i, len(m.group(1)), m.group(2).strip()))
    out = []
    for n, (i, level, title) in enumerate(heads):
        end = next((j for j, lv, _ in heads[n + 1 :] if lv <= level), len(lines))
        out.append((title, "\n".join(lines[i + 1 : end])))
    return out


def command_section(name: str) -> str:
    found = [body for title, body in sections(readme()) if re.search(rf"\bipt {name}\b", title)]
    assert found, f"README.md has no section headed `ipt {name}`"
    return found[0]


def code_lines(text: str) -> list[str]:
    """Lines of fenced code blocks."""
    out: list[str] = []
    fenced = False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif fenced:
            out.append(line)
    return out


def mentions(text: str, option: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", text) is not None


# -- the first lines ------------------------------------------------------------------------------
def test_readme_starts_with_make_demo_and_make_test() -> None:
    first = readme().splitlines()[:10]
    code = code_lines("\n".join(first))
    assert any(line.split()[:2] == ["make", "demo"] for line in code if line.split())
    assert any(line.split()[:2] == ["make", "test"] for line in code if line.split())


def test_makefile_targets_need_no_other_step() -> None:
    """`make demo` and `make test` set up the virtualenv themselves on a fresh clone."""
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    rules = dict(re.findall(r"^([\w.$()/-]+):([^\n=]*)$", text, re.MULTILINE))
    recipe = {
        target: re.search(rf"^{target}:.*\n((?:\t.*\n?)+)", text, re.MULTILINE)
        for target in ("demo", "test")
    }
    for target in ("demo", "test"):
        assert target in rules, f"Makefile has no '{target}' target"
        assert "$(STAMP)" in rules[target], f"'make {target}' does not install first"
        assert recipe[target] is not None
    assert "ipt demo" in recipe["demo"].group(1)  # type: ignore[union-attr]
    assert "pytest" in recipe["test"].group(1)  # type: ignore[union-attr]


# -- every command, every option ------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_a_readme_section_naming_each_of_its_options(name: str) -> None:
    body = command_section(name)
    missing = [opt for opt in long_options(name) if not mentions(body, opt)]
    assert missing == [], f"`ipt {name}` in README.md does not mention {missing}"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_section_has_an_example(name: str) -> None:
    examples = [
        line for line in code_lines(command_section(name)) if line.split()[:2] == ["ipt", name]
    ]
    assert examples, f"the `ipt {name}` section of README.md has no example in a code block"


def test_every_command_in_the_readme_exists_with_the_options_it_shows() -> None:
    """A stale example (a renamed command or option) fails here."""
    wrong = []
    seen = 0
    for line in code_lines(readme()):
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            words = line.split()
        if words[:1] != ["ipt"] or len(words) < 2:
            continue
        seen += 1
        name = words[1]
        if name.startswith("-"):
            if name not in ("--help", "--version"):
                wrong.append(f"{line}: no such option {name}")
            continue
        if name not in COMMANDS:
            wrong.append(f"{line}: no command {name}")
            continue
        wrong += [
            f"{line}: `ipt {name}` has no option {w.split('=')[0]}"
            for w in words[2:]
            if w.startswith("-") and w.split("=")[0] not in all_options(name)
        ]
    assert seen >= len(COMMANDS)
    assert wrong == []


# -- pictures and paths ---------------------------------------------------------------------------
def test_pictures_exist_and_are_pngs_under_docs() -> None:
    images = re.findall(r"!\[([^\]]*)\]\(([^)\s]+)\)", readme())
    assert len(images) >= 2, "README.md should show a return and the merged master"
    for alt, target in images:
        assert alt.strip(), f"{target}: a picture needs alt text"
        path = ROOT / target
        assert path.parent == ROOT / "docs", target
        assert path.is_file(), f"{target} is missing"
        assert path.read_bytes()[:8] == PNG, f"{target} is not a PNG"
    alts = " ".join(alt.lower() for alt, _ in images)
    assert "return" in alts and "master" in alts


def test_paths_the_readme_names_exist() -> None:
    named = set(re.findall(r"`([^`\s]+)`", readme()))
    named |= {t for _, t in re.findall(r"\[([^\]]*)\]\(([^)\s#]+)\)", readme()) if "://" not in t}
    missing = []
    for token in sorted(named):
        path = token.split()[-1]
        if path.startswith(("templates/", "docs/", ".ci/", "benchmarks/", "tests/")) or path in (
            "CHANGELOG.md",
            "Makefile",
            "pyproject.toml",
        ):
            if "<" not in path and "*" not in path and not (ROOT / path).exists():
                missing.append(path)
        elif re.fullmatch(r"[a-z_]+\.py", path):
            if not list((ROOT / "ipt_excel").rglob(path)):
                missing.append(path)
    assert missing == []


def test_readme_workspace_layout_matches_the_workspace() -> None:
    from ipt_excel.workspace import Workspace

    body = next(b for t, b in sections(readme()) if t.lower() == "the workspace")
    ws = Workspace(Path("workbooks"))
    paths = [ws.master, ws.key_path, ws.ledger_path, ws.received, ws.history]
    paths += [ws.returns_dir("r").parent, ws.circulation_path("r").parent]
    for p in paths:
        rel = p.relative_to(ws.root).as_posix()
        assert f"`{rel}" in body, f"the workspace section does not show {rel}"


def test_the_helpers_find_what_is_missing() -> None:
    text = (
        "# T\n\n## Commands\n\n### `ipt a`\nUse `--out PATH`.\n"
        "```sh\n# not a heading\nipt a --out x\n```\n### `ipt b`\nnone\n## Next\n"
    )
    got = dict(sections(text))
    assert got["`ipt a`"] == "Use `--out PATH`.\n```sh\n# not a heading\nipt a --out x\n```"
    assert "### `ipt b`" in got["Commands"] and "Next" not in got["Commands"]
    assert mentions(got["`ipt a`"], "--out") and not mentions(got["`ipt a`"], "--o")
    assert not mentions("--outdir", "--out")
    assert code_lines(got["`ipt a`"]) == ["# not a heading", "ipt a --out x"]


def test_ci_installs_the_fonts_the_readme_says_the_pictures_are_made_with() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    pictures = (ROOT / "docs" / "render_pictures.py").read_text(encoding="utf-8")
    named = set(re.findall(r"`(fonts-[a-z0-9-]+)`", readme()))
    assert "fonts-liberation2" in named
    installed = set(re.findall(r"\bfonts-[a-z0-9-]+", ci))
    assert named <= installed, named - installed
    assert "fonts-liberation2" in pictures and "Liberation Sans" in pictures
