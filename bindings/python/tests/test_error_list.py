"""One list of exceptions: the Rust `KINDS` table (`src/errors.rs`) builds the classes at import time;
the core's `ErrorKind`, the stubs (`_hollow.pyi`) and the package (`__init__.py`) must agree with it.
This test fails when a kind is added, renamed, re-based or re-documented in one place only."""

from __future__ import annotations

import ast
import pathlib
import re
from typing import Dict, List, Tuple

import hollow
import hollow._hollow as native

HERE = pathlib.Path(__file__).resolve().parent
PACKAGE = HERE.parent / "python" / "hollow"
CORE_ERRORS = HERE.parent.parent.parent / "hollow-rs" / "src" / "error.rs"


def _words(text: str) -> str:
    return " ".join(text.split())


def runtime_classes() -> Dict[str, Tuple[List[str], str]]:
    """Exception classes of the native module (built from `KINDS`): name -> (base names, docstring)."""
    out = {}
    for name in dir(native):
        cls = getattr(native, name)
        if isinstance(cls, type) and issubclass(cls, BaseException):
            out[name] = ([b.__name__ for b in cls.__bases__], _words(cls.__doc__ or ""))
    return out


def stub_classes() -> Dict[str, Tuple[List[str], str]]:
    tree = ast.parse((PACKAGE / "_hollow.pyi").read_text())
    out = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            bases = [ast.unparse(b) for b in node.bases]
            if node.name == "HollowError" or "HollowError" in bases:
                out[node.name] = (bases, _words(ast.get_docstring(node) or ""))
    return out


def test_stubs_match_the_runtime_classes() -> None:
    assert stub_classes() == runtime_classes()


def test_every_core_error_kind_has_its_class() -> None:
    source = CORE_ERRORS.read_text()
    body = re.search(r"pub enum ErrorKind \{(.*?)\n\}", source, re.S)
    assert body is not None
    variants = re.findall(r"^\s*([A-Z]\w*),", body.group(1), re.M)
    assert variants, "no ErrorKind variants found"
    kinds = {f"{v}Error" for v in variants}
    assert kinds == set(runtime_classes()) - {"HollowError"}


def test_the_package_exports_every_class() -> None:
    names = set(runtime_classes())
    assert names <= set(hollow.__all__)
    for name in names:
        assert getattr(hollow, name) is getattr(native, name)
    # __all__ and the native module's __all__ (in the stub) list the same exception names.
    stub = ast.parse((PACKAGE / "_hollow.pyi").read_text())
    stub_all = next(
        ast.literal_eval(n.value)
        for n in stub.body
        if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in n.targets)
    )
    assert names <= set(stub_all)
