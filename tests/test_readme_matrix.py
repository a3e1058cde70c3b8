"""The README's permission matrix is the code's (api/permissions.py), not a hand copy."""

from pathlib import Path

from api.permissions import matrix_markdown

README = Path(__file__).resolve().parent.parent / "README.md"


def readme_matrix() -> str:
    lines = README.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| permission |"))
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("|")), len(lines))
    return "\n".join(lines[start:end])


def test_the_readme_matrix_is_generated_from_the_code():
    assert readme_matrix() == matrix_markdown(), (
        "README.md's permission matrix differs from api/permissions.py: replace it with "
        "the output of api.permissions.matrix_markdown()"
    )
