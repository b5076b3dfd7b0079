"""The repository README's Python quick start, run as written by a newcomer would.

The code block is executed statement by statement; a line whose comment is a Python literal
(`rs.type("Movie").get(1).title   # 'Alien'`) is an expression whose value must equal that literal, so
the README cannot show a result the package does not give.
"""

from __future__ import annotations

import ast
import io
import tokenize

from conftest import REPO


def python_block(heading: str) -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index(heading) :]
    start = section.index("```python\n") + len("```python\n")
    return section[start : section.index("```", start)]


def literal_comments(source: str) -> dict[int, object]:
    """Line number -> the literal its trailing comment states."""
    found: dict[int, object] = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            try:
                found[token.start[0]] = ast.literal_eval(token.string[1:].strip())
            except (ValueError, SyntaxError):
                continue
    return found


def test_readme_python_quick_start_runs_as_written() -> None:
    source = python_block("\n## Python\n")
    expected = literal_comments(source)
    namespace: dict[str, object] = {}
    checked = 0
    for node in ast.parse(source).body:
        line = node.end_lineno or node.lineno
        if isinstance(node, ast.Expr) and line in expected:
            value = eval(compile(ast.Expression(node.value), "README.md", "eval"), namespace)
            assert value == expected[line], f"README.md line {line}: {ast.unparse(node)} is {value!r}"
            checked += 1
        else:
            exec(compile(ast.Module(body=[node], type_ignores=[]), "README.md", "exec"), namespace)
    # The title and the dict shown in the README, at least.
    assert checked >= 2, expected
