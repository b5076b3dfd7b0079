"""Every function and method of the `.pyi` stubs has a docstring: editors show them on hover."""

from __future__ import annotations

import ast
import pathlib

import hollow


def test_every_stub_function_has_a_docstring() -> None:
    stub = pathlib.Path(hollow.__file__).parent / "_hollow.pyi"
    tree = ast.parse(stub.read_text())
    missing = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            assert ast.get_docstring(node), f"class {node.name} has no docstring"
            functions = [n for n in node.body if isinstance(n, ast.FunctionDef)]
            missing += [f"{node.name}.{f.name}" for f in functions if not ast.get_docstring(f)]
    missing += [f.name for f in tree.body if isinstance(f, ast.FunctionDef) and not ast.get_docstring(f)]
    assert not missing, f"stub functions without a docstring: {missing}"
