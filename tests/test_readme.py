"""The two READMEs: README.md opens in Chinese for the course's learners, README_en.md gives the same facts in English,
and both name the same commands, each of which exists: every `make <target>` is a Makefile target and every
`python -m <module>` a module that can be found (the course's by its file, without importing anything)."""

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README, README_EN = ROOT / "README.md", ROOT / "README_en.md"
FIRST_SCREEN = 30  # lines
CJK = re.compile(r"[\u3400-\u9fff]")
LATIN = re.compile(r"[A-Za-z]")
MAKE = re.compile(r"(?<![\w/.-])make ([a-z][\w-]*)")
PYTHON_M = re.compile(r"(?<![\w-])python3? -m ([A-Za-z_][\w.]*)")


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def code_of(text: str) -> list[str]:
    """What a reader would type: the fenced code blocks and the inline code spans."""
    fenced = re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.S | re.M)
    prose = re.sub(r"^```[^\n]*\n.*?^```", "", text, flags=re.S | re.M)
    return fenced + re.findall(r"`([^`\n]+)`", prose)


def commands(text: str) -> set[tuple[str, str]]:
    """Every ("make", target) and ("python -m", module) the text's code names."""
    found = set()
    for code in code_of(text):
        found |= {("make", t) for t in MAKE.findall(code)}
        found |= {("python -m", m.rstrip(".")) for m in PYTHON_M.findall(code)}
    return found


def makefile_targets() -> set[str]:
    return set(re.findall(r"^([A-Za-z][\w-]*)\s*:(?!=)", read(ROOT / "Makefile"), flags=re.M))


def module_exists(name: str) -> bool:
    """``name`` is a module or package: its top-level package found by importlib (nothing imported), then each further
    part as a file or folder below it."""
    top, *rest = name.split(".")
    spec = importlib.util.find_spec(top)
    if spec is None:
        return False
    if not rest:
        return True
    folders = [Path(p) for p in (spec.submodule_search_locations or [])]
    for i, part in enumerate(rest):
        last = i == len(rest) - 1
        found = [f / part for f in folders if (f / part / "__init__.py").is_file() or (f / part).is_dir()]
        if last and any((f / f"{part}.py").is_file() for f in folders):
            return True
        if not found:
            return False
        folders = found
    return True


def prose_lines(text: str, limit: int) -> list[str]:
    """The first ``limit`` lines without code blocks, code spans, links' addresses and blank lines."""
    lines = re.sub(r"^```[^\n]*\n.*?^```\n?", "", text, flags=re.S | re.M).splitlines()[:limit]
    cleaned = (re.sub(r"`[^`]*`|\]\([^)]*\)|https?://\S+", "", line).strip() for line in lines)
    return [line for line in cleaned if LATIN.search(line) or CJK.search(line)]


def cjk_share(lines: list[str]) -> float:
    """Of the letters in ``lines``, the share that are Chinese characters."""
    cjk = sum(len(CJK.findall(line)) for line in lines)
    latin = sum(len(LATIN.findall(line)) for line in lines)
    return cjk / max(cjk + latin, 1)


def is_chinese(text: str) -> bool:
    lines = prose_lines(text, FIRST_SCREEN)
    with_cjk = sum(bool(CJK.search(line)) for line in lines) / max(len(lines), 1)
    return bool(lines) and bool(CJK.search(lines[0])) and with_cjk >= 0.8 and cjk_share(lines) >= 0.5


# ---------------------------------------------------------------- the finders, probed
def test_the_chinese_finder():
    assert is_chinese("# 课程\n\n五个方案，一个包 `lib/`。\n\n```bash\nmake run    # run everything\n```\n运行全部。\n")
    assert not is_chinese("# Course\n\nFive solutions, one package.\n\n中文：README.md\n")
    assert not is_chinese("# 课程\n\nFive solutions rebuilt as numbered notebooks sharing one package.\nMore text.\n")


def test_the_command_finder_reads_code_only():
    text = "To make sure: `make run` and\n```bash\nPORT=8080 make app  # same as python -m lib.app\n```\n"
    assert commands(text) == {("make", "run"), ("make", "app"), ("python -m", "lib.app")}
    assert commands("`.venv/bin/python -m lib.data deblur` and `python3 -m venv .venv`") == {
        ("python -m", "lib.data"),
        ("python -m", "venv"),
    }


def test_a_command_one_readme_lacks_or_that_does_not_exist_is_found():
    zh, en = "`make run`、`make test`", "`make run`, `make test`, `python -m lib.app`"
    assert commands(en) - commands(zh) == {("python -m", "lib.app")}
    assert "nonexistent" not in makefile_targets() and "run" in makefile_targets()
    assert not module_exists("lib.no_such_module") and not module_exists("no_such_package_at_all")
    assert module_exists("lib.app") and module_exists("lab.bench.tables") and module_exists("venv")


# ---------------------------------------------------------------- the READMEs
def test_readme_opens_in_chinese_and_the_english_one_exists():
    assert is_chinese(read(README)), f"README.md's first {FIRST_SCREEN} lines are not mostly Chinese"
    assert README_EN.is_file(), "README_en.md is missing"
    assert not is_chinese(read(README_EN))
    assert "README_en.md" in read(README) and "README.md" in read(README_EN)


def test_both_readmes_name_the_same_commands():
    zh, en = commands(read(README)), commands(read(README_EN))
    assert zh, "README.md names no command"
    assert zh == en, f"only in README.md: {sorted(zh - en)}; only in README_en.md: {sorted(en - zh)}"


@pytest.mark.parametrize("path", [README, README_EN], ids=lambda p: p.name)
def test_every_command_exists(path):
    targets = makefile_targets()
    named = commands(read(path))
    missing = sorted(f"make {t}" for kind, t in named if kind == "make" and t not in targets)
    missing += sorted(f"python -m {m}" for kind, m in named if kind == "python -m" and not module_exists(m))
    assert not missing, f"{path.name} names commands that do not exist: {missing}"


@pytest.mark.parametrize("path", [README, README_EN], ids=lambda p: p.name)
def test_no_commit_hash_and_no_retired_model_name(path):
    text = read(path)
    hashes = re.findall(r"\bcommits?\s+[0-9a-f]{7,40}\b", text)
    dates = re.findall(r"\b20\d\d-\d\d-\d\d\b", text)
    assert not hashes and not dates, f"{path.name}: {hashes + dates}"
    assert not re.search("演示模型|随课程发布的模型", text), f"{path.name}: the shipped model is 附带模型"
