"""SQL-on-FHIR v2 ViewDefinitions compiled to DuckDB SQL (the subset clepath uses).

Supported: `resource`, `constant`, `where`, `select` with `column` (name, path, type,
collection), nested `select`, `forEach`, `forEachOrNull` and `unionAll`. FHIRPath: member
navigation, `where(...)`, `first()`, `exists()`, `ofType(T)` on choice elements, `join(sep)`,
`getResourceKey()`, `getReferenceKey([Type])`, `=`, `!=`, `and`, `or`, string, number and
boolean literals and `%constants`. Anything else is refused with `UnsupportedView` naming the
feature, never guessed. Element repetition comes from `clepath.cohort.schema`, the same table
that types the NDJSON columns.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

from clepath.cohort.schema import RESOURCES, Node
from clepath.errors import ClepathError

__all__ = ["UnsupportedView", "compile_view"]

_TYPES = {"string": "VARCHAR", "code": "VARCHAR", "id": "VARCHAR", "uri": "VARCHAR",
          "date": "VARCHAR", "dateTime": "VARCHAR", "instant": "VARCHAR",
          "decimal": "DOUBLE", "integer": "BIGINT", "positiveInt": "BIGINT",
          "boolean": "BOOLEAN"}
_VIEW_KEYS = {"resourceType", "name", "resource", "status", "constant", "where", "select",
              "title", "description", "url", "fhirVersion"}
_SELECT_KEYS = {"column", "select", "forEach", "forEachOrNull", "unionAll"}
_TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^'\\]|\\.)*')|(?P<num>\d+(?:\.\d+)?)"
                    r"|(?P<op>!=|=|\.|\(|\)|,)|(?P<const>%[A-Za-z_]\w*)"
                    r"|(?P<id>[A-Za-z_]\w*))")


class UnsupportedView(ClepathError):
    """A ViewDefinition uses a feature the compiler does not support (named in the message)."""


class _DuckDB:
    """DuckDB SQL spellings."""

    name = "duckdb"
    types = {"VARCHAR": "VARCHAR"}

    def q(self, name: str) -> str:
        return f'"{name}"'

    def lit(self, value: str) -> str:
        return "'" + value.replace("'", "''") + "'"

    def column(self, base: str, name: str) -> str:
        return f'{base}."{name}"'

    def field(self, base: str, name: str) -> str:
        return f"struct_extract({base}, '{name}')"

    def transform(self, arr: str, v: str, body: str) -> str:
        return f"list_transform({arr}, lambda {v}: {body})"

    def filter(self, arr: str, v: str, cond: str) -> str:
        return f"list_filter({arr}, lambda {v}: {cond})"

    def first(self, arr: str) -> str:
        return f"{arr}[1]"

    def size(self, arr: str) -> str:
        return f"coalesce(len({arr}), 0)"

    def array(self, item: str) -> str:
        return f"[{item}]"

    def starts(self, text: str, prefix: str) -> str:
        return f"starts_with({text}, {prefix})"

    def join(self, arr: str, sep: str) -> str:
        return f"array_to_string({arr}, {sep})"

    def type(self, sql_type: str, many: bool = False) -> str:
        return sql_type + ("[]" if many else "")

    def for_each(self, arr: str, alias: str, outer: bool) -> str:
        unnest = f"(SELECT unnest({arr}) AS e) {alias}"
        return f"LEFT JOIN LATERAL {unnest} ON TRUE" if outer else f"CROSS JOIN LATERAL {unnest}"


class _Spark(_DuckDB):
    """Spark SQL spellings (Spark 3.4+, ANSI mode safe)."""

    name = "spark"

    def q(self, name: str) -> str:
        return f"`{name}`"

    def lit(self, value: str) -> str:
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    def column(self, base: str, name: str) -> str:
        return f"{base}.`{name}`"

    def field(self, base: str, name: str) -> str:
        return f"{base}.`{name}`"

    def transform(self, arr: str, v: str, body: str) -> str:
        return f"transform({arr}, {v} -> {body})"

    def filter(self, arr: str, v: str, cond: str) -> str:
        return f"filter({arr}, {v} -> {cond})"

    def first(self, arr: str) -> str:
        return f"try_element_at({arr}, 1)"

    def size(self, arr: str) -> str:
        return f"coalesce(array_size({arr}), 0)"

    def array(self, item: str) -> str:
        return f"array({item})"

    def starts(self, text: str, prefix: str) -> str:
        return f"startswith({text}, {prefix})"

    def join(self, arr: str, sep: str) -> str:
        return f"array_join({arr}, {sep})"

    def type(self, sql_type: str, many: bool = False) -> str:
        base = {"VARCHAR": "STRING"}.get(sql_type, sql_type)
        return f"ARRAY<{base}>" if many else base

    def for_each(self, arr: str, alias: str, outer: bool) -> str:
        return f"LATERAL VIEW {'OUTER ' if outer else ''}explode({arr}) {alias} AS e"


DIALECTS = {"duckdb": _DuckDB(), "spark": _Spark()}


@dataclass(frozen=True)
class _Val:
    sql: str
    node: Node | None  # None: a computed scalar (boolean, string)
    many: bool = False
    choice: str | None = None  # pending choice element name (needs ofType)


def _lit(value: Any, dialect: _DuckDB | None = None) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    return (dialect or DIALECTS["duckdb"]).lit(str(value))


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise UnsupportedView(f"FHIRPath {text!r}: cannot read from {text[pos:]!r}")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


class _Compiler:
    def __init__(self, constants: dict[str, Any], dialect: _DuckDB) -> None:
        self.constants = constants
        self.d = dialect
        self.counter = itertools.count(1)

    def var(self) -> str:
        return f"v{next(self.counter)}"

    # -- parsing and compiling in one pass (recursive descent) -------------------------------
    def expr(self, text: str, focus: _Val, root: str) -> _Val:
        self.toks, self.i, self.root = _tokens(text), 0, root
        out = self._or(focus)
        if self.i != len(self.toks):
            raise UnsupportedView(f"FHIRPath {text!r}: unexpected {self.toks[self.i][1]!r}")
        return out

    def _peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def _take(self, value: str) -> bool:
        tok = self._peek()
        if tok and tok[1] == value and tok[0] in ("op", "id"):
            self.i += 1
            return True
        return False

    def _or(self, focus: _Val) -> _Val:
        left = self._and(focus)
        while self._take("or"):
            right = self._and(focus)
            left = _Val(f"({self._bool(left)} OR {self._bool(right)})", None)
        return left

    def _and(self, focus: _Val) -> _Val:
        left = self._eq(focus)
        while self._take("and"):
            right = self._eq(focus)
            left = _Val(f"({self._bool(left)} AND {self._bool(right)})", None)
        return left

    def _eq(self, focus: _Val) -> _Val:
        left = self._path(focus)
        for op in ("=", "!="):
            if self._take(op):
                right = self._path(focus)
                for side in (left, right):
                    if side.many:
                        raise UnsupportedView("'=' on a collection: add first()")
                return _Val(f"({left.sql} {'=' if op == '=' else '<>'} {right.sql})", None)
        return left

    def _bool(self, v: _Val) -> str:
        return v.sql if v.node is None else f"({v.sql} IS NOT NULL)"

    def _path(self, focus: _Val) -> _Val:
        tok = self._peek()
        if tok is None:
            raise UnsupportedView("FHIRPath ends too early")
        kind, text = tok
        if kind == "str":
            self.i += 1
            cur = _Val(_lit(text[1:-1].replace("\\'", "'"), self.d), None)
        elif kind == "num":
            self.i += 1
            cur = _Val(text, None)
        elif kind == "const":
            self.i += 1
            name = text[1:]
            if name not in self.constants:
                raise UnsupportedView(f"constant %{name} is not defined in the view")
            cur = _Val(_lit(self.constants[name], self.d), None)
        elif text == "(":
            self.i += 1
            cur = self._or(focus)
            if not self._take(")"):
                raise UnsupportedView("missing ')'")
        elif kind == "id" and text in ("true", "false"):
            self.i += 1
            cur = _Val(text.upper(), None)
        elif kind == "id":
            cur = self._invoke(focus)
        else:
            raise UnsupportedView(f"unexpected {text!r}")
        while self._take("."):
            cur = self._invoke(cur)
        if cur.choice is not None:
            raise UnsupportedView(f"choice element {cur.choice}[x] needs ofType(...)")
        return cur

    def _args(self) -> list[tuple[str, str]]:
        """The raw tokens of each argument of a call (parsed later against the right focus)."""
        args: list[list[tuple[str, str]]] = [[]]
        depth = 1
        while True:
            tok = self._peek()
            if tok is None:
                raise UnsupportedView("missing ')'")
            self.i += 1
            if tok == ("op", "("):
                depth += 1
            elif tok == ("op", ")"):
                depth -= 1
                if depth == 0:
                    break
            elif tok == ("op", ",") and depth == 1:
                args.append([])
                continue
            args[-1].append(tok)
        return [a for a in args if a]  # type: ignore[misc]

    def _sub(self, toks: list[tuple[str, str]], focus: _Val) -> _Val:
        saved = (self.toks, self.i)
        self.toks, self.i = toks, 0
        try:
            out = self._or(focus)
            if self.i != len(toks):
                raise UnsupportedView("unexpected text in a function argument")
            return out
        finally:
            self.toks, self.i = saved

    def _invoke(self, focus: _Val) -> _Val:
        _, name = self.toks[self.i]
        self.i += 1
        if self._take("("):
            return self._function(name, self._args(), focus)
        return self._member(focus, name)

    def _member(self, focus: _Val, name: str) -> _Val:
        if focus.choice is not None:
            raise UnsupportedView(f"choice element {focus.choice}[x] needs ofType(...) before "
                                  f".{name}")
        if focus.node is None or focus.node.kind != "struct":
            raise UnsupportedView(f"navigation to {name!r} from a value that has no elements")
        child = focus.node.fields.get(name)
        if child is None:
            if any(f.startswith(name) and f[len(name):len(name) + 1].isupper()
                   for f in focus.node.fields):
                return _Val(focus.sql, focus.node, focus.many, choice=name)
            raise UnsupportedView(f"element {name!r} is not in clepath's column types")
        return self._field(focus, name, child)

    def _field(self, focus: _Val, name: str, child: Node) -> _Val:
        d = self.d
        if focus.sql == self.root:
            access = lambda base: d.column(base, name)  # noqa: E731 - the table's column
        else:
            access = lambda base: d.field(base, name)  # noqa: E731
        if not focus.many:
            if child.kind == "list":
                return _Val(access(focus.sql), child.item, True)
            return _Val(access(focus.sql), child)
        v = self.var()
        mapped = d.transform(focus.sql, v, access(v))
        if child.kind == "list":
            return _Val(f"flatten({mapped})", child.item, True)
        return _Val(mapped, child, True)

    def _nonnull(self, sql: str) -> str:
        v = self.var()
        return self.d.filter(sql, v, f"{v} IS NOT NULL")

    def _function(self, name: str, args: list[list[tuple[str, str]]], focus: _Val) -> _Val:
        if name == "ofType":
            if focus.choice is None or len(args) != 1 or args[0][0][0] != "id":
                raise UnsupportedView("ofType(T) is supported on choice elements only")
            type_name = args[0][0][1]
            element = focus.choice + type_name[0].upper() + type_name[1:]
            child = focus.node.fields.get(element) if focus.node else None
            if child is None:
                raise UnsupportedView(f"element {element!r} is not in clepath's column types")
            return self._field(_Val(focus.sql, focus.node, focus.many), element, child)
        if focus.choice is not None:
            raise UnsupportedView(f"choice element {focus.choice}[x] needs ofType(...)")
        if name == "getResourceKey" and not args:
            return _Val(self.d.column(self.root, "id"), Node("scalar", "VARCHAR"))
        if name == "getReferenceKey":
            if focus.many or focus.node is None or "reference" not in focus.node.fields:
                raise UnsupportedView("getReferenceKey() applies to one Reference")
            ref = self._field(focus, "reference", focus.node.fields["reference"]).sql
            if args:
                prefix = args[0][0][1] + "/"
                sql = (f"CASE WHEN {self.d.starts(ref, _lit(prefix, self.d))} "
                       f"THEN substr({ref}, {len(prefix) + 1}) END")
            else:
                sql = f"regexp_extract({ref}, '([^/]+)$', 1)"
            return _Val(sql, Node("scalar", "VARCHAR"))
        if name == "first" and not args:
            if not focus.many:
                return focus
            return _Val(self.d.first(self._nonnull(focus.sql)), focus.node)
        if name == "exists" and not args:
            if not focus.many:
                return _Val(f"({focus.sql} IS NOT NULL)", None)
            return _Val(f"({self.d.size(self._nonnull(focus.sql))} > 0)", None)
        if name == "where" and len(args) == 1:
            v = self.var()
            cond = self._sub(args[0], _Val(v, focus.node))
            if focus.many:
                return _Val(self.d.filter(focus.sql, v, f"coalesce({self._bool(cond)}, FALSE)"),
                            focus.node, True)
            inner = self._sub(args[0], _Val(focus.sql, focus.node))
            return _Val(f"CASE WHEN {self._bool(inner)} THEN {focus.sql} END", focus.node)
        if name == "join" and len(args) <= 1:
            sep = self._sub(args[0], focus).sql if args else "''"
            if not focus.many:
                return focus
            return _Val(f"nullif({self.d.join(self._nonnull(focus.sql), sep)}, '')",
                        Node("scalar", "VARCHAR"))
        raise UnsupportedView(f"FHIRPath function {name}() is not supported")


@dataclass
class _Plan:
    joins: list[str]
    columns: list[tuple[str, str]]  # (name, sql)


def _collect_columns(sel: dict[str, Any]) -> list[str]:
    names = [c["name"] for c in sel.get("column") or ()]
    for sub in sel.get("select") or ():
        names += _collect_columns(sub)
    if sel.get("unionAll"):
        names += _collect_columns(sel["unionAll"][0])
    return names


def _select(c: _Compiler, sel: dict[str, Any], focus: _Val, alias_src: itertools.count,
            root: str) -> _Plan:
    unknown = set(sel) - _SELECT_KEYS
    if unknown:
        raise UnsupportedView(f"select feature(s) not supported: {sorted(unknown)}")
    joins: list[str] = []
    if "forEach" in sel or "forEachOrNull" in sel:
        key = "forEach" if "forEach" in sel else "forEachOrNull"
        target = c.expr(sel[key], focus, root)
        if target.node is None:
            raise UnsupportedView(f"{key} over a computed value")
        listed = target.sql if target.many else c.d.array(target.sql)
        alias = f"f{next(alias_src)}"
        joins.append(c.d.for_each(c._nonnull(listed), alias, outer=key == "forEachOrNull"))
        focus = _Val(f"{alias}.e", target.node)
    columns: list[tuple[str, str]] = []
    for col in sel.get("column") or ():
        extra = set(col) - {"name", "path", "type", "collection", "description", "tag"}
        if extra or col.get("tag"):
            raise UnsupportedView(f"column feature(s) not supported: {sorted(extra) or 'tag'}")
        value = c.expr(col["path"], focus, root)
        sql_type = _TYPES.get(col.get("type", "string"))
        if sql_type is None:
            raise UnsupportedView(f"column type {col.get('type')!r} is not supported")
        if value.many and not col.get("collection"):
            raise UnsupportedView(f"column {col['name']!r} may hold several values: use first() "
                                  "or collection: true")
        if col.get("collection"):
            listed = value.sql if value.many else c.d.array(value.sql)
            columns.append((col["name"],
                            f"CAST({c._nonnull(listed)} AS {c.d.type(sql_type, many=True)})"))
        else:
            sql = c._bool(value) if value.node is None and value.sql.startswith("(") and (
                sql_type == "BOOLEAN") else value.sql
            columns.append((col["name"], f"CAST({sql} AS {c.d.type(sql_type)})"))
    for sub in sel.get("select") or ():
        plan = _select(c, sub, focus, alias_src, root)
        joins += plan.joins
        columns += plan.columns
    if sel.get("unionAll") and c.d.name == "spark":
        names = _collect_columns(sel["unionAll"][0])
        arrays = [_spark_branch(c, branch, names, focus, root) for branch in sel["unionAll"]]
        alias = f"u{next(alias_src)}"
        joins.append(f"LATERAL VIEW explode(concat({', '.join(arrays)})) {alias} AS u")
        columns += [(n, f"{alias}.u.`{n}`") for n in names]
    elif sel.get("unionAll"):
        names = _collect_columns(sel["unionAll"][0])
        branches = []
        for branch in sel["unionAll"]:
            if _collect_columns(branch) != names:
                raise UnsupportedView("unionAll branches must have the same columns")
            plan = _select(c, branch, focus, alias_src, root)
            cols = ", ".join(f'{sql} AS "{name}"' for name, sql in plan.columns)
            branches.append(f"SELECT {cols} FROM (SELECT 1) AS one {' '.join(plan.joins)}")
        alias = f"u{next(alias_src)}"
        joins.append(f"CROSS JOIN LATERAL ({' UNION ALL '.join(branches)}) {alias}")
        columns += [(n, f'{alias}."{n}"') for n in names]
    return _Plan(joins, columns)


def _spark_branch(c: _Compiler, branch: dict[str, Any], names: list[str], focus: _Val,
                  root: str) -> str:
    """One unionAll branch as a Spark array of structs (one struct per row it yields)."""
    if set(branch) - {"column", "forEach", "forEachOrNull"}:
        raise UnsupportedView("unionAll branches with nested select or unionAll are compiled "
                              "for DuckDB only")
    if [col["name"] for col in branch.get("column") or ()] != names:
        raise UnsupportedView("unionAll branches must have the same columns")
    key = "forEach" if "forEach" in branch else "forEachOrNull" if "forEachOrNull" in branch \
        else None
    v = c.var()
    inner = focus
    if key is not None:
        target = c.expr(branch[key], focus, root)
        if target.node is None:
            raise UnsupportedView(f"{key} over a computed value")
        inner = _Val(v, target.node)
    fields = []
    for col in branch["column"]:
        value = c.expr(col["path"], inner, root)
        sql_type = _TYPES.get(col.get("type", "string"))
        if sql_type is None or col.get("collection") or value.many:
            raise UnsupportedView(f"unionAll column {col['name']!r}: only single values of a "
                                  "supported type")
        fields.append(f"'{col['name']}', CAST({value.sql} AS {c.d.type(sql_type)})")
    row = f"named_struct({', '.join(fields)})"
    if key is None:
        return f"array({row})"
    listed = target.sql if target.many else c.d.array(target.sql)
    rows = f"transform({c._nonnull(listed)}, {v} -> {row})"
    if key == "forEach":
        return rows
    empty = ", ".join(f"'{col['name']}', CAST(NULL AS "
                      f"{c.d.type(_TYPES[col.get('type', 'string')])})"
                      for col in branch["column"])
    return f"CASE WHEN size({rows}) > 0 THEN {rows} ELSE array(named_struct({empty})) END"


def compile_view(view: dict[str, Any], table: str | None = None, dialect: str = "duckdb") -> str:
    """DuckDB (or Spark) SQL for one ViewDefinition over a table of the view's resource type.

    The table (default: the resource type name) has one column per top-level element, typed
    as in `clepath.cohort.schema`.
    """
    unknown = set(view) - _VIEW_KEYS
    if unknown:
        raise UnsupportedView(f"view feature(s) not supported: {sorted(unknown)}")
    resource = view.get("resource")
    if resource not in RESOURCES:
        raise UnsupportedView(f"resource type {resource!r} has no column types in clepath")
    constants: dict[str, Any] = {}
    for const in view.get("constant") or ():
        values = [v for k, v in const.items() if k.startswith("value")]
        if len(values) != 1:
            raise UnsupportedView(f"constant {const.get('name')!r} needs exactly one value[x]")
        constants[const["name"]] = values[0]
    c = _Compiler(constants, DIALECTS[dialect])
    root = "r"
    focus = _Val(root, RESOURCES[resource])
    alias_src = itertools.count(1)
    plan = _select(c, {"select": view.get("select") or []}, focus, alias_src, root)
    names = [n for n, _ in plan.columns]
    if len(set(names)) != len(names):
        raise UnsupportedView("duplicate column names")
    wheres = [c._bool(c.expr(w["path"], focus, root)) for w in view.get("where") or ()]
    cols = ",\n  ".join(f"{sql} AS {c.d.q(name)}" for name, sql in plan.columns)
    sql = f"SELECT\n  {cols}\nFROM {c.d.q(table or resource)} AS {root}"
    if plan.joins:
        sql += "\n" + "\n".join(plan.joins)
    if wheres:
        sql += "\nWHERE " + " AND ".join(f"coalesce({w}, FALSE)" for w in wheres)
    return sql
