"""Policy files at the door: bytes to text (UTF-8 only), text to YAML (no anchors or aliases).
Every refusal is a PolicyInvalid with its file, line and a French message."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

Path_ = tuple[str | int, ...]
ANCHORS_REFUSED = "les ancres et alias YAML (&, *) ne sont pas acceptés"


@dataclass(frozen=True)
class Issue:
    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}, ligne {self.line}" if self.line else self.file
        return f"{where} ({self.field or 'racine'}) : {self.message}"


class PolicyInvalid(ValueError):
    """A policy file that cannot be used; `issues` says where and why, in French."""

    def __init__(self, issues: list[Issue]) -> None:
        super().__init__("\n".join(str(i) for i in issues))
        self.issues = issues


def decode(file: str, data: bytes | str) -> str:
    """The text of a policy file, which must be UTF-8 — the one way policy bytes become text.
    A str (an API body) is checked too: undecodable bytes travel in it as lone surrogates."""
    if isinstance(data, str):
        text = data
        try:
            text.encode("utf-8")
            return text
        except UnicodeEncodeError:
            try:
                data = text.encode("utf-8", "surrogateescape")  # \udce9 is the byte 0xE9
            except UnicodeEncodeError:
                data = text.encode("utf-8", "surrogatepass")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        message = (
            f"le fichier n'est pas en UTF-8 (octet 0x{data[exc.start]:02X} ligne {line}) : "
            "enregistrez-le en UTF-8"
        )
        raise PolicyInvalid([Issue(file, line, "", message)]) from exc


def read(path: Path, file: str | None = None) -> str:
    """A policy file from disk, decoded by `decode` (named `file`, else by its own name)."""
    return decode(file or path.name, path.read_bytes())


class _AnchorRefused(yaml.MarkedYAMLError):
    pass


class _Loader(yaml.SafeLoader):
    """SafeLoader refusing any anchor or alias before it is composed: no shared or recursive
    nodes, no exponential expansion (« billion laughs »)."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _AnchorRefused(problem=ANCHORS_REFUSED, problem_mark=event.start_mark)
        return super().compose_node(parent, index)


def load(file: str, text: str) -> tuple[yaml.Node | None, Any]:
    """The root node (for line numbers) and the data, from one parse; PolicyInvalid if the text
    is not plain YAML."""
    loader = None
    try:
        loader = _Loader(text)  # checks the characters already
        root = loader.get_single_node()
        return root, (loader.construct_document(root) if root is not None else None)
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        char = ord(exc.character) if isinstance(exc.character, str) else exc.character
        message = f"caractère interdit (#x{char:04x}) en YAML"
        raise PolicyInvalid([Issue(file, line, "", message)]) from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or str(exc)
        if not isinstance(exc, _AnchorRefused):
            problem = f"YAML illisible : {problem}"
        issue = Issue(file, mark.line + 1 if mark else None, "", problem)
        raise PolicyInvalid([issue]) from exc
    except yaml.YAMLError as exc:
        raise PolicyInvalid([Issue(file, None, "", f"YAML illisible : {exc}")]) from exc
    except RecursionError as exc:
        raise PolicyInvalid([Issue(file, None, "", "YAML trop imbriqué")]) from exc
    finally:
        if loader is not None:
            loader.dispose()


def line_of(root: yaml.Node | None, path: Path_) -> int | None:
    """The line of the deepest YAML node that `path` reaches."""
    node, line = root, (root.start_mark.line + 1 if root is not None else None)
    for step in path:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == step), None)
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value)
        ):
            node = node.value[step]
        else:
            node = None
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:  # a repeated object is written out again
        return True


def dump(doc: Any) -> str:
    """A policy document as text that `load` accepts: UTF-8, no anchors, in the given order."""
    return yaml.dump(doc, Dumper=_Dumper, allow_unicode=True, sort_keys=False)
