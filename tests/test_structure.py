"""The layout shows the pipeline: subpackages by stage, imports only downward (no circle, even through imports
inside functions), views that only render, every sentence in the catalogue."""

import ast
import re
from pathlib import Path

import networkx as nx

from optimizer.text import CATALOGUES
from optimizer.text.catalogue import CATALOGUE
from support import ROOT

PKG = ROOT / "optimizer"

#: What each part of the package may import from (besides itself): the stages below it.
ALLOWED = {
    "text": set(),
    "errors": {"text"},
    "config": {"text", "errors"},
    "inputs": {"text", "errors", "config"},
    "model": {"text", "errors", "config", "inputs"},
    "solve": {"text", "errors", "config", "inputs", "model"},
    "match": {"text", "errors", "config", "inputs", "model", "solve"},
    "robust": {"text", "errors", "config", "inputs", "model", "solve"},
    "render": {"text", "errors", "config", "inputs"},  # views: never scoring, solving, matchmaking or the API
    "api": {"text", "errors", "config", "inputs", "model", "solve", "match", "robust", "render"},
    "cli": {"text", "errors", "config", "inputs", "model", "solve", "match", "robust", "render", "api"},
    "__init__": {"text", "config", "api"},
}


def _module(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def _imports(path: Path) -> set[str]:
    """Every optimizer module ``path`` imports, at the top or inside a function."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = _module(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("optimizer")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod.startswith("optimizer"):
                out.add(mod)
                out |= {f"{mod}.{a.name}" for a in node.names}
    return out


def _graph() -> nx.DiGraph:
    files = sorted(PKG.rglob("*.py"))
    modules = {_module(p) for p in files}
    g = nx.DiGraph()
    for p in files:
        src = _module(p)
        g.add_node(src)
        for target in _imports(p):
            while target not in modules and "." in target:  # `from .x import name`: the module x
                target = target.rsplit(".", 1)[0]
            if target in modules and target != src:
                g.add_edge(src, target)
    return g


def _part(module: str) -> str:
    parts = module.split(".")
    return "__init__" if len(parts) == 1 else parts[1]


def test_no_import_circle_even_through_imports_inside_functions():
    g = _graph()
    # a package's __init__ re-exporting its modules is not a dependency of those modules on it
    h = g.copy()
    h.remove_edges_from([(a, b) for a, b in g.edges if b == a.rsplit(".", 1)[0] or a == "optimizer"])
    cycles = list(nx.simple_cycles(h))
    assert cycles == [], cycles


def test_imports_only_go_down_a_stage():
    wrong = [(a, b) for a, b in _graph().edges if _part(b) != _part(a) and _part(b) not in ALLOWED[_part(a)]
             and b != "optimizer"]
    assert wrong == [], wrong


def test_subpackages_by_stage_and_few_modules_at_the_top():
    subpackages = [p.name for p in PKG.iterdir() if (p / "__init__.py").exists()]
    assert {"inputs", "model", "solve", "match", "render"} <= set(subpackages)
    top = [p.name for p in PKG.glob("*.py")]
    assert len(top) <= 10, top
    for sub in subpackages:  # each says what it owns
        doc = ast.get_docstring(ast.parse((PKG / sub / "__init__.py").read_text(encoding="utf-8")))
        assert doc and len(doc) > 80, sub


def test_no_python_file_writes_an_html_document():
    for p in PKG.rglob("*.py"):
        text = p.read_text(encoding="utf-8")
        assert "<html" not in text.lower() and "<!doctype" not in text.lower(), p


#: Entries whose languages use different values on purpose: a knob's note is given in each language, and the
#: English sentence of a later join leaves out the founding year the Japanese one names.
BILINGUAL_VALUES = {"config.range_note", "match.plan.later"}


def test_every_text_is_given_in_both_languages_with_the_same_fields():
    for key, v in CATALOGUE.items():
        pairs = v.values() if isinstance(v, dict) else [v]
        assert all(isinstance(p, tuple) and len(p) == 2 and all(x != "" or key.startswith("sep") for x in p)
                   for p in pairs), key
    ja, en = CATALOGUES["ja"], CATALOGUES["en"]
    for key, j in ja.items():
        e = en[key]
        assert type(j) is type(e), key
        if isinstance(j, str) and key not in BILINGUAL_VALUES:  # the same values are filled in
            assert set(re.findall(r"{(\w+)", j)) == set(re.findall(r"{(\w+)", e)), key


def test_no_japanese_sentence_in_the_logic():
    """Japanese text lives in the catalogue, the knobs' labels and the data's names, not in code that decides."""
    kana = re.compile(r"[\u3040-\u30ff]{2,}")
    allowed = {"text/catalogue.py", "config.py", "inputs/dataset.py", "inputs/schema.py", "inputs/synthetic.py"}
    for p in PKG.rglob("*.py"):
        rel = p.relative_to(PKG).as_posix()
        if rel in allowed:
            continue
        tree = ast.parse(p.read_text(encoding="utf-8"))
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef)) and n.body
                      and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                assert not kana.search(node.value), (rel, node.lineno, node.value[:60])
