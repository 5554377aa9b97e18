"""YAML read into plain values while remembering where each key path is (line and column).

PyYAML's ``safe_load`` forgets positions, and a silently merged duplicate key hides a mistake, so
the nodes are built here by hand: every key path (``services[2].url``) gets the position of its
node, and duplicate keys and keys that are not plain words or numbers (a list, a date, nothing)
are recorded for the checker to report instead of being merged or dropped.

The file is input from whoever can write it, so reading it has limits that no real config comes
near: nesting at most :data:`MAX_DEPTH` levels, and aliases standing for at most
:data:`ALIAS_BUDGET` values in all (each ``*name`` costs the size of the value it repeats, so a
"billion laughs" file of a few hundred bytes is refused before it is built, and an alias inside
its own value is refused outright). PyYAML's composer recurses once per level of nesting, so the
depth is checked on the way in, before Python's own recursion limit could be reached.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from kooch.config.model import ConfigError, ConfigInvalid

#: Most levels of lists and mappings inside each other (a config needs about five).
MAX_DEPTH = 50
#: Most values that aliases may stand for in all: room for many ``<<: *defaults``, none for a bomb.
ALIAS_BUDGET = 10_000
DEPTH_MESSAGE = f"lists and mappings are nested more than {MAX_DEPTH} levels deep"


def read_yaml(text: str, file: str) -> tuple[Any, Located]:
    """The plain value of ``text`` (None for an empty file) and the positions of its key paths.

    Invalid YAML raises :class:`ConfigInvalid` with the one error, at its line and column; so does
    YAML beyond the limits (:data:`MAX_DEPTH`, :data:`ALIAS_BUDGET`)."""
    located = Located(file)
    try:
        loader = LimitedLoader(text, file)
        try:
            node = loader.get_single_node()
            located.max_nodes = loader.expanded
            raw = located.build(loader, node, "") if node is not None else None
        finally:
            loader.dispose()
    except RecursionError:
        # Unreachable with the limits above; kept so that no input can end in a traceback.
        raise ConfigInvalid(
            [ConfigError(file, "", f"nested too deeply (at most {MAX_DEPTH} levels)")]
        ) from None
    except yaml.MarkedYAMLError as exc:
        mistake = syntax_mistake(exc)
        raise ConfigInvalid(
            [
                ConfigError(
                    file,
                    "",
                    f"YAML syntax error: {SYNTAX_WORDS[mistake.kind]}",
                    mistake.line,
                    mistake.column,
                    "yaml_syntax",
                    (("kind", mistake.kind),),
                )
            ]
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigInvalid([ConfigError(file, "", f"YAML error: {exc}")]) from None
    return raw, located


#: The kinds of YAML syntax mistakes Kooch names in its own words (English here, for the command
#: line and the log; :mod:`kooch.config.wording` says them in the reader's language).
SYNTAX_WORDS: dict[str, str] = {
    "missing_colon": "a key without ':' after it",
    "unclosed_quote": "a quote that is opened and never closed",
    "unclosed_bracket": "an opening bracket [ or { that is never closed",
    "indentation": "this line is not indented like the lines above it",
    "colon_in_value": "a ': ' inside a value (put the value in quotes) or a key indented too far",
    "tab": "a tab character: YAML is indented with spaces only",
    "reserved_start": "a value that starts with @ or ` (put the value in quotes)",
    "undefined_alias": "an alias (*name) without its anchor (&name)",
    "other": "this is not valid YAML",
}

#: PyYAML's scanner reports these where it gave up, often the next line: the mistake is where
#: it started (the key, the quote, the bracket), which is its ``context_mark``.
_STARTED_AT = {
    "while scanning a simple key": "missing_colon",
    "while scanning a quoted scalar": "unclosed_quote",
    "while parsing a flow sequence": "unclosed_bracket",
    "while parsing a flow mapping": "unclosed_bracket",
}


@dataclass(frozen=True)
class SyntaxMistake:
    """A YAML syntax error as Kooch names it: its kind and the line (1-based) it is really on."""

    kind: str
    line: int | None
    column: int | None


def syntax_mistake(exc: yaml.MarkedYAMLError) -> SyntaxMistake:
    """Where the mistake behind PyYAML's error is, and what kind it is.

    PyYAML marks where it gave up. For a key without its colon, an unclosed quote or bracket that
    is the line after the mistake (or the end of the file), so the mark where the scanner
    *started* (``context_mark``) is the line to show. A problem mark at the very start of a line
    that only says the file ended too soon is moved back to the last line with content."""
    problem = exc.problem or ""
    context = exc.context or ""
    kind = _STARTED_AT.get(context)
    mark = exc.context_mark if kind is not None and exc.context_mark is not None else exc.problem_mark
    if kind is None:
        kind = _kind(problem)
    if mark is None:
        mark = exc.context_mark
    if mark is None:
        return SyntaxMistake(kind, None, None)
    line, column = mark.line, mark.column
    buffer = mark.buffer
    if kind == "other" and "end of stream" in problem and buffer is not None:
        line, column = _last_content(buffer, mark.index)
    return SyntaxMistake(kind, line + 1, column + 1)


def _kind(problem: str) -> str:
    if "mapping values are not allowed" in problem:
        return "colon_in_value"
    if problem.startswith("expected <block end>") or "did not find expected" in problem:
        return "indentation"
    if "'\\t'" in problem:
        return "tab"
    if "that cannot start any token" in problem and ("'@'" in problem or "'`'" in problem):
        return "reserved_start"
    if "undefined alias" in problem:
        return "undefined_alias"
    return "other"


def _last_content(buffer: str, index: int) -> tuple[int, int]:
    """The 0-based line and column of the last character before ``index`` that is not blank."""
    text = buffer[:index].rstrip("\0 \t\r\n")
    line = text.count("\n")
    return line, max(0, len(text) - text.rfind("\n") - 2)


class LimitedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, composing within :data:`MAX_DEPTH` and :data:`ALIAS_BUDGET`.

    While composing it counts ``expanded``: the values the document stands for, each alias
    counted as the values it repeats (what :meth:`Located.build` will visit)."""

    def __init__(self, text: str, file: str) -> None:
        super().__init__(text)
        self.file = file
        self.expanded = 0
        self.alias_cost = 0
        self.depth = 0
        #: The deepest level reached (aliases included) since the node being composed began.
        self.deepest = 0
        #: Per composed node (by id; the nodes stay alive in ``anchors``): (values, levels).
        self.sizes: dict[int, tuple[int, int]] = {}

    def refuse(self, message: str, mark: yaml.Mark | None) -> ConfigInvalid:
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
        return ConfigInvalid([ConfigError(self.file, "", message, line, column)])

    def fetch_flow_collection_start(self, TokenClass: type[yaml.Token]) -> None:
        # Refused as the scanner meets it too: on one line of ``[[[[…``, PyYAML's scanner keeps a
        # possible key per open bracket and rechecks them all at every token (quadratic).
        if self.flow_level >= MAX_DEPTH:
            raise self.refuse(DEPTH_MESSAGE, self.get_mark())
        super().fetch_flow_collection_start(TokenClass)

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            target = self.anchors.get(event.anchor)
            if target is not None:  # an unknown one is PyYAML's own error, raised by the composer
                size = self.sizes.get(id(target))
                if size is None:
                    raise self.refuse(
                        f"the alias *{event.anchor} is inside the value it repeats (&{event.anchor}), "
                        "so it would never end",
                        event.start_mark,
                    )
                values, levels = size
                self.alias_cost += values
                if self.alias_cost > ALIAS_BUDGET:
                    raise self.refuse(
                        f"the aliases (*{event.anchor} here) repeat more than {ALIAS_BUDGET:,} values "
                        "in all; write the values out, or repeat less",
                        event.start_mark,
                    )
                if self.depth + levels > MAX_DEPTH:
                    raise self.refuse(
                        f"the alias *{event.anchor} nests lists and mappings more than {MAX_DEPTH} "
                        "levels deep",
                        event.start_mark,
                    )
                self.expanded += values
                self.deepest = max(self.deepest, self.depth + levels)
            return super().compose_node(parent, index)
        # Only lists and mappings are levels: a text inside the deepest list allowed is fine.
        level = self.check_event(yaml.SequenceStartEvent, yaml.MappingStartEvent)
        if level:
            if self.depth >= MAX_DEPTH:
                raise self.refuse(DEPTH_MESSAGE, self.peek_event().start_mark)  # type: ignore[no-untyped-call]
            self.depth += 1
        outer, self.deepest = self.deepest, self.depth
        before = self.expanded
        self.expanded += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            if level:
                self.depth -= 1
        self.sizes[id(node)] = (self.expanded - before, self.deepest - self.depth)
        self.deepest = max(outer, self.deepest)
        return node


class Located:
    """Plain Python values built from YAML nodes, with the position of every key path."""

    def __init__(self, file: str = "config.yaml") -> None:
        self.file = file
        self.marks: dict[str, tuple[int, int]] = {}
        self.duplicate_keys: list[tuple[str, tuple[int, int]]] = []
        self.complex_keys: list[tuple[str, tuple[int, int]]] = []
        #: Nodes built so far, and the most that may be built (the composer's count; None: no limit).
        self.nodes = 0
        self.max_nodes: int | None = None

    def build(self, loader: yaml.SafeLoader, node: yaml.Node, path: str, depth: int = 0) -> Any:
        # Guards of their own, so that no graph of nodes (whatever composed it) can recurse without
        # end: the composer's limits make them unreachable for what read_yaml builds.
        self.nodes += 1
        if depth > MAX_DEPTH or (self.max_nodes is not None and self.nodes > self.max_nodes):
            mark = node.start_mark
            raise ConfigInvalid(
                [
                    ConfigError(
                        self.file,
                        path,
                        f"stands for more values or levels than a config may have ({MAX_DEPTH} levels)",
                        mark.line + 1,
                        mark.column + 1,
                    )
                ]
            )
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
                out[key] = self.build(loader, value_node, child, depth + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(loader, item, f"{path}[{i}]", depth + 1) for i, item in enumerate(node.value)]
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
