"""The README's permission matrix and indicator definitions are the code's (api/permissions.py,
models/indicators.py), not hand copies."""

from pathlib import Path

from api.permissions import matrix_markdown
from models.indicators import definitions_markdown

README = Path(__file__).resolve().parent.parent / "README.md"


def readme_table(header: str) -> str:
    lines = README.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("|")), len(lines))
    return "\n".join(lines[start:end])


def test_the_readme_matrix_is_generated_from_the_code():
    assert readme_table("| permission |") == matrix_markdown(), (
        "README.md's permission matrix differs from api/permissions.py: replace it with "
        "the output of api.permissions.matrix_markdown()"
    )


def test_the_readme_definitions_are_the_codes():
    assert readme_table("| indicateur |") == definitions_markdown(), (
        "README.md's indicator definitions differ from models/indicators.py: replace them with "
        "the output of models.indicators.definitions_markdown()"
    )
