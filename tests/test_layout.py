"""The IO boundary, enforced: only the modules named in `IO_MODULES` touch disk, network or other
processes; every other module of the package is a pure function of its inputs (README, "Layout").

A module outside the list that imports a network, process or file-system module, opens a file, or calls
a `Path`/`os` method that reads or writes the disk fails this test, naming the line. Checking whether a
path exists (`exists`, `is_file`, `is_dir`, `stat`) counts as reading the disk too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("alphatree_ingest", "flows")

IO_MODULES = {
    # the edges DESIGN names
    "alphatree_ingest/catalog.py": "the store: everything under catalog/, atomic writes, locks",
    "alphatree_ingest/discover/arxiv_source.py": "the arXiv API, the politeness limiter, the PDF cache",
    "alphatree_ingest/drafting/implementations.py": "the GitHub client",
    "alphatree_ingest/mt/marian.py": "the MT backend: loads the model, converts it into cache/ct2/",
    "alphatree_ingest/mt/memory.py": "translations/memory.jsonl",
    "alphatree_ingest/mt/glossary.py": "translations/glossary.yaml",
    # the PDF and the package's own data
    "alphatree_ingest/pdf/extract.py": "opens a PDF with PyMuPDF, clears old figure PNGs",
    "alphatree_ingest/pdf/figures.py": "writes figure PNGs",
    "alphatree_ingest/pdf/kinds.py": "reads kinds_table.json, shipped with the package",
    "alphatree_ingest/drafting/diagram.py": "reads diagram_table.json, shipped with the package",
    "alphatree_ingest/drafting/parents.py": "reads parents_table.json, shipped with the package",
    "alphatree_ingest/drafting/subtopic.py": "reads subtopic_table.json, shipped with the package",
    "alphatree_ingest/config.py": "Settings: the environment, and whether a tree has its own prompts/",
    # helpers of one command each
    "alphatree_ingest/site/assets.py": "fetches and caches mermaid.min.js for publish",
    "alphatree_ingest/run/processes.py": "finds and stops stray Prefect servers (/proc)",
    "alphatree_ingest/review/app.py": "the review web app: serves HTTP and figures, its state file",
    "alphatree_ingest/run/demo.py": "builds a demo tree",
    "alphatree_ingest/run/demo_kit.py": "the demo's loopback arXiv (HTTP on 127.0.0.1) and its tiny MT model",
    # still reading catalog files themselves (to move into catalog.py)
    "alphatree_ingest/discover/night.py": "held-back records in catalog/held/, topics.yaml's budget",
    "alphatree_ingest/discover/relevance.py": "reads catalog/ranker.json",
    "alphatree_ingest/site/publish.py": "which figures and reading pages exist, to copy them",
    "alphatree_ingest/review/gate.py": "a broken draft's age and existence",
    # wiring
    "alphatree_ingest/run/stages.py": "the stages over the edges, for the flow's tasks",
    "alphatree_ingest/cli.py": "the command line: reads the files and folders a user names",
    "flows/review.py": "the review flow",
}
"""Module -> the disk, network or process it touches. Everything else in the package is pure."""

BANNED_IMPORTS = (
    "requests",
    "urllib.request",
    "http.client",
    "http.server",
    "socket",
    "socketserver",
    "shutil",
    "subprocess",
    "tempfile",
    "uvicorn",
)
DISK_METHODS = {
    "open",
    "read_text",
    "read_bytes",
    "write_text",
    "write_bytes",
    "mkdir",
    "unlink",
    "rmdir",
    "touch",
    "iterdir",
    "glob",
    "rglob",
    "exists",
    "is_file",
    "is_dir",
    "stat",
}
OS_CALLS = {
    "replace",
    "rename",
    "remove",
    "unlink",
    "makedirs",
    "mkdir",
    "open",
    "fsync",
    "listdir",
    "scandir",
    "walk",
    "kill",
    "killpg",
}


STORE_NAMES = {"os", "catalog", "store"}
"""Receivers whose methods are the store's API (`catalog.read_text(path)` goes through catalog.py)."""


def _is_store(owner: ast.expr) -> bool:
    while isinstance(owner, ast.Attribute):  # self.catalog, state.catalog
        if owner.attr in STORE_NAMES:
            return True
        owner = owner.value
    return isinstance(owner, ast.Name) and owner.id in STORE_NAMES


def _banned(name: str) -> bool:
    return any(name == b or name.startswith(b + ".") for b in BANNED_IMPORTS)


def io_uses(path: Path) -> list[str]:
    """`line: what` for every place the module touches disk, network or processes."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [f"{node.lineno}: import {a.name}" for a in node.names if _banned(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            if any(_banned(n) for n in names):
                found.append(f"{node.lineno}: from {node.module} import ...")
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id == "open":
                found.append(f"{node.lineno}: open()")
            elif isinstance(func, ast.Attribute):
                owner = func.value
                if isinstance(owner, ast.Name) and owner.id == "os" and func.attr in OS_CALLS:
                    found.append(f"{node.lineno}: os.{func.attr}()")
                elif func.attr in DISK_METHODS and not _is_store(owner):
                    found.append(f"{node.lineno}: .{func.attr}()")
    return found


def modules() -> list[str]:
    return sorted(str(p.relative_to(ROOT)) for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def doing_io() -> dict[str, list[str]]:
    """Every module of the package that touches disk, network or processes, with where."""
    return {m: uses for m in modules() if (uses := io_uses(ROOT / m))}


@pytest.mark.parametrize("module", [m for m in modules() if m not in IO_MODULES])
def test_pure_modules_touch_no_disk_network_or_process(module: str) -> None:
    uses = io_uses(ROOT / module)
    assert not uses, (
        f"{module} is outside the IO boundary but touches disk, network or processes at "
        f"{'; '.join(uses)}: pass the data in from a module of IO_MODULES, or add it there with its reason"
    )


def test_the_io_list_is_honest() -> None:
    """Every module the list allows to do IO does some, so the list never grows stale."""
    idle = [m for m in IO_MODULES if not io_uses(ROOT / m)]
    assert not idle, f"in IO_MODULES but doing no IO (remove them): {idle}"


def test_the_scanner_sees_each_kind_of_io(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text(
        "import requests\nfrom shutil import copy\nimport os\n"
        "def f(p):\n    open(p)\n    p.write_text('x')\n    os.replace(p, p)\n    'a'.replace('a', 'b')\n"
    )
    uses = io_uses(source)
    assert [u.split(": ")[1] for u in uses] == [
        "import requests",
        "from shutil import ...",
        "open()",
        ".write_text()",
        "os.replace()",
    ], uses


def test_urllib_parse_and_pure_string_methods_are_not_io(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text("from urllib.parse import quote\ndef f(s):\n    return s.replace('a', 'b')\n")
    assert io_uses(source) == []


STAGES = ("pdf", "mt", "discover", "drafting", "site", "review", "run")
"""The package's folders in the order a stage may use another: each uses only the folders before it
(and the top-level `config`, `models`, `catalog`, `markdown`). README, "Layout"."""
_LAYERED = [[name] for name in (*STAGES, "cli")]
"""What an import may reach only from above: a folder, or the command's module (no module imports cli)."""
FRONT_DOORS = {"alphatree_ingest/cli.py", "alphatree_ingest/review/app.py"}
"""The commands' own modules (`alphatree`, `alphatree review serve`): they wire every folder."""


def imported_folders(path: Path, where: str | None = None) -> list[tuple[int, str]]:
    """(line, folder) of every import of a package folder by the module at path, which sits at `where`
    in the package (`pdf/extract.py`; by default its own place)."""
    here = Path(where or path.relative_to(ROOT / "alphatree_ingest")).with_suffix("").parts
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):  # import alphatree_ingest.run.stages [as stages]
            names = [alias.name.split(".") for alias in node.names]
            found += [(node.lineno, n[1]) for n in names if n[0] == "alphatree_ingest" and n[1:2] in _LAYERED]
            continue
        if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == (
            "import_module"
        ):
            spelled = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            names = [name.split(".") for name in spelled]
            found += [(node.lineno, n[1]) for n in names if n[0] == "alphatree_ingest" and n[1:2] in _LAYERED]
            continue
        if not isinstance(node, ast.ImportFrom):
            continue
        module = (node.module or "").split(".") if node.module else []
        if node.level:  # relative to the importing module's package
            package = list(here[:-1])
            target = package[: len(package) - (node.level - 1)] + module
        elif module[:1] == ["alphatree_ingest"]:
            target = module[1:]
        else:
            continue
        heads = [target] if target else [[alias.name] for alias in node.names]
        found += [(node.lineno, head[0]) for head in heads if head[:1] in _LAYERED]
    return found


@pytest.mark.parametrize(
    "module", [m for m in modules() if m.startswith("alphatree_ingest/") and m not in FRONT_DOORS]
)
def test_a_folder_uses_only_the_folders_before_it(module: str) -> None:
    parts = Path(module).parts
    folder = parts[1] if len(parts) > 2 else None
    allowed = set(STAGES[: STAGES.index(folder) + 1]) if folder else set()  # cli: never
    wrong = [
        f"line {line}: {target}" for line, target in imported_folders(ROOT / module) if target not in allowed
    ]
    assert not wrong, (
        f"{module} ({folder or 'top level'}) imports a folder it may not use ({'; '.join(wrong)}): "
        f"the order is {' < '.join(STAGES)}, and the top level uses none"
    )


def test_the_layering_check_sees_relative_and_absolute_imports(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from ..run import stages\nfrom ..models import Paper\nfrom alphatree_ingest.site.feed import atom\n"
        "from .. import review\nfrom . import figures\n"
    )
    assert imported_folders(probe, "pdf/probe.py") == [(1, "run"), (3, "site"), (4, "review"), (5, "pdf")]
    probe.write_text("from .run import stages\nfrom .models import Paper\nfrom . import mt\n")
    assert imported_folders(probe, "cli.py") == [(1, "run"), (3, "mt")]
    probe.write_text(
        "import alphatree_ingest.run.stages as stages\nimport alphatree_ingest.models\n"
        "from alphatree_ingest import cli\nfrom .. import cli\n"
        "importlib.import_module('alphatree_ingest.review.gate')\n"
    )
    assert imported_folders(probe, "pdf/probe.py") == [(1, "run"), (3, "cli"), (4, "cli"), (5, "review")]


def test_every_long_walk_the_suite_starts_first_is_a_test_of_the_suite() -> None:
    """A renamed long test would silently lose its place at the start of a share (tests/conftest.py)."""
    from tests.conftest import LONG_WALKS

    defined = "".join(path.read_text() for path in (ROOT / "tests").glob("test_*.py"))
    missing = [name for name in LONG_WALKS if f"def {name}(" not in defined]
    assert not missing, f"LONG_WALKS names tests that do not exist: {missing}"


def test_a_plain_install_ships_every_folder_and_data_file() -> None:
    """`pip install .` installs the packages pyproject.toml lists by hand: a new folder or table not
    listed would be missing from a user's install although every test here passes from the checkout."""
    import tomllib

    setup = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    package = ROOT / "alphatree_ingest"
    folders = {
        ".".join(("alphatree_ingest", *init.parent.relative_to(package).parts))
        for init in package.rglob("__init__.py")
    }
    assert folders <= set(setup["packages"]), (
        f"not in [tool.setuptools] packages: {folders - set(setup['packages'])}"
    )
    for data in package.rglob("*.json"):
        owner = ".".join(("alphatree_ingest", *data.parent.relative_to(package).parts))
        assert data.name in setup["package-data"].get(owner, []), f"{data} is not in package-data of {owner}"
