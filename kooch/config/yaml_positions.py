"""YAML read into plain values while remembering where each key path is (line and column).

PyYAML's ``safe_load`` forgets positions, and a silently merged duplicate key hides a mistake, so
the nodes are built here by hand: every key path (``services[2].url``) gets the position of its
node, and duplicate keys and keys that are not plain words or numbers (a list, a date, nothing)
are recorded for the checker to report instead of being merged or dropped.
"""

from __future__ import annotations

from typing import Any

import yaml

from kooch.config.model import ConfigError, ConfigInvalid


def read_yaml(text: str, file: str) -> tuple[Any, Located]:
    """The plain value of ``text`` (None for an empty file) and the positions of its key paths.

    Invalid YAML raises :class:`ConfigInvalid` with the one error, at its line and column."""
    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            located = Located(file)
            raw = located.build(loader, node, "") if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "invalid YAML"
        if exc.context:
            problem = f"{exc.context}, {problem}"
        raise ConfigInvalid(
            [
                ConfigError(
                    file,
                    "",
                    f"YAML syntax error: {problem}",
                    mark.line + 1 if mark else None,
                    mark.column + 1 if mark else None,
                )
            ]
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigInvalid([ConfigError(file, "", f"YAML error: {exc}")]) from None
    return raw, located


class Located:
    """Plain Python values built from YAML nodes, with the position of every key path."""

    def __init__(self, file: str = "config.yaml") -> None:
        self.file = file
        self.marks: dict[str, tuple[int, int]] = {}
        self.duplicate_keys: list[tuple[str, tuple[int, int]]] = []
        self.complex_keys: list[tuple[str, tuple[int, int]]] = []

    def build(self, loader: yaml.SafeLoader, node: yaml.Node, path: str) -> Any:
        self.marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            loader.flatten_mapping(node)
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = loader.construct_object(key_node, deep=True)
                child = join_path(path, str(key))
                if not isinstance(key, str | int | float | bool) or key is None:
                    pos = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                    self.complex_keys.append((join_path(path, str(key)), pos))
                    continue
                if key in out:
                    pos = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                    self.duplicate_keys.append((child, pos))
                out[key] = self.build(loader, value_node, child)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(loader, item, f"{path}[{i}]") for i, item in enumerate(node.value)]
        try:
            return loader.construct_object(node, deep=True)
        except (ValueError, OverflowError) as exc:
            # PyYAML reads 2025-13-01 as a date and fails outside its own error types.
            mark = node.start_mark
            raise ConfigInvalid(
                [
                    ConfigError(
                        self.file,
                        path,
                        f"'{node.value}' cannot be read ({exc}); put it in quotes if it is text",
                        mark.line + 1,
                        mark.column + 1,
                    )
                ]
            ) from None


def join_path(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def parent_path(path: str) -> str:
    """``services[2].url`` → ``services[2]`` → ``services`` → ``""``."""
    cut = max(path.rfind("."), path.rfind("["))
    return path[:cut] if cut > 0 else ""
