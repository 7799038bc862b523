"""outages sits below complaints: complaints may import it, never the other way round."""

import ast
from pathlib import Path

import outages


def test_outages_does_not_import_complaints() -> None:
    package = Path(outages.__file__).parent
    for source in package.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not any(n.split(".")[0] == "complaints" for n in names), source.name
