"""Compile a validated mapping into the DuckDB SELECT that maps one source into ``_ca_items``.

Mappings are user input, so nothing from them is pasted into SQL as-is: identifiers are
double-quoted, literals are single-quoted with quotes doubled, JSON paths are built from
validated tokens. Two backends resolve field paths: :class:`JsonBackend` (JSONL records held
as a JSON column) and :class:`TableBackend` (Parquet/CSV columns with their DuckDB types; a
nested path goes through ``to_json`` of its root column).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from audit.errors import InputError
from audit.ingest.mapping import (
    MAPPABLE_COLUMNS,
    Condition,
    Mapping,
    ValueSpec,
    as_spec,
    scalar_text,
    spec_paths,
)
from audit.schema import VISIBILITY_VALUES, all_item_columns

_TOKEN = re.compile(r"^([^.\[\]\"]+)((?:\[(?:\d+|\*)\])*)$")
_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
            "UINTEGER", "UBIGINT", "FLOAT", "DOUBLE", "DECIMAL")  # fmt: skip
_ERROR_CODES = {
    "TIMESTAMP": "bad_timestamp",
    "DATE": "bad_date",
    "BOOLEAN": "bad_boolean",
    "INTEGER": "bad_integer",
}
RECORD_PATH = "$record"


def lit(value: object) -> str:
    """A SQL literal for a scalar from a mapping (strings quoted, quotes doubled)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def one_of(expr: str, values: Sequence[str]) -> str:
    """``expr`` equals one of the SQL literals ``values``: an OR chain, not ``IN (…)``.

    DuckDB plans an IN list of more than a few constants as a hash (mark) join, and a join in
    the SELECT makes ``INSERT … SELECT`` give up its parallel batch insert (the bare CTAS
    path): the ingest of a Parquet file cost ~1.3× a CTAS of it with IN, less with this.
    Same three-valued logic as IN (NULL when ``expr`` is NULL)."""
    return "(" + " OR ".join(f"{expr} = {v}" for v in values) + ")"


def ident(name: str) -> str:
    """A double-quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _is_numeric(duck_type: str) -> bool:
    return duck_type.split("(")[0] in _NUMERIC


@dataclass(frozen=True)
class Expr:
    """A compiled value: its SQL, DuckDB type, and the raw source references it reads."""

    sql: str
    type: str
    refs: tuple[str, ...] = ()
    resolved: bool = True  # False when it can only ever be NULL (no such source field)

    @property
    def text(self) -> str:
        """The value as VARCHAR (what conditions and maps compare)."""
        return self.sql if self.type == "VARCHAR" else f"CAST({self.sql} AS VARCHAR)"

    @property
    def value_text(self) -> str:
        """The value as VARCHAR where it becomes a stored text: a whole number kept as a float
        reads as one ("1000", not "1000.0": ids written by pandas with gaps, LAION-400M's
        SAMPLE_ID); NaN is no value. Conditions keep :attr:`text` (their literals' form)."""
        return f"_ca_number_text({self.sql})" if self.type in ("DOUBLE", "FLOAT") else self.text


NULL = Expr("NULL", "VARCHAR", (), False)


def parse_path(path: str, source: str) -> list[tuple[str, str]]:
    """Split ``a.b[0].c[*]`` into ``[(key, index_suffix), ...]``; InputError if malformed."""
    tokens = []
    for part in path.split("."):
        m = _TOKEN.match(part)
        if not m:
            raise InputError(f"{source}: bad field path {path!r} (use a.b, a[0].b, a[*].b)")
        tokens.append((m.group(1), m.group(2)))
    return tokens


def json_path(tokens: Sequence[tuple[str, str]]) -> str:
    """``[('a', '[0]'), ('b', '')]`` → ``$."a"[0]."b"`` (keys quoted, so ``$type`` works)."""
    return "$" + "".join(f'."{key}"{index}' for key, index in tokens)


@dataclass
class JsonBackend:
    """Paths into a JSONL record (column ``_ca_j``) and its line (``_ca_page``)."""

    source: str
    lookups: dict[str, str] = field(default_factory=dict)  # name -> SQL of the joined object
    paths: list[str] = field(default_factory=list)  # non-wildcard paths, extracted in one go
    consumed: list[list[str]] = field(default_factory=list)  # plain key paths mapped

    def field(self, path: str) -> Expr:
        """Resolve a path to VARCHAR (or VARCHAR[] for wildcards)."""
        if path == RECORD_PATH:
            return Expr("CAST(json(_ca_j) AS VARCHAR)", "VARCHAR", ("_ca_j",))
        base = "_ca_j"
        if path.startswith("@"):
            name, _, path = path[1:].partition(".")
            if name == "source":
                base = "_ca_ctx"
            elif name == "parent":
                base = "_ca_page"
            elif name not in self.lookups:
                raise InputError(f"{self.source}: unknown lookup @{name} in path")
            else:
                base = ident(f"_ca_lk_{name}")
            if not path:
                return Expr(f"CAST({base} AS VARCHAR)", "VARCHAR", (base,))
        tokens = parse_path(path, self.source)
        jp = json_path(tokens)
        if "[*]" in jp:
            sql = f"json_extract_string({base}, {lit(jp)})"
            return Expr(sql, "VARCHAR[]", (sql,))
        if base != "_ca_j":
            sql = f"json_extract_string({base}, {lit(jp)})"
            return Expr(sql, "VARCHAR", (sql,))
        if all(not index for _, index in tokens):
            self.consumed.append([key for key, _ in tokens])
        if jp not in self.paths:
            self.paths.append(jp)
        sql = f"_ca_v[{self.paths.index(jp) + 1}]"
        return Expr(sql, "VARCHAR", (sql,))


@dataclass
class TableBackend:
    """Paths into the columns of a Parquet/CSV source, given its schema."""

    source: str
    schema: dict[str, str]  # column name -> DuckDB type
    consumed: set[str] = field(default_factory=set)
    context: str | None = None  # JSON text of the export's context (``@source.`` paths)

    def column(self, name: str) -> str | None:
        """The source column matching ``name`` (exact, else case-insensitive), or None."""
        if name in self.schema:
            return name
        lowered = {c.lower(): c for c in self.schema}
        return lowered.get(name.lower())

    def field(self, path: str) -> Expr:
        """Resolve a path to a typed column, or VARCHAR through JSON for nested paths."""
        if path.startswith("@source."):
            jp = json_path(parse_path(path.removeprefix("@source."), self.source))
            sql = f"json_extract_string(CAST({lit(self.context or '{}')} AS JSON), {lit(jp)})"
            return Expr(sql, "VARCHAR", (sql,))
        if path.startswith("@"):
            raise InputError(
                f"{self.source}: lookups (@...) other than @source only work on JSON sources"
            )
        if path == RECORD_PATH:
            cols = ", ".join(f"{ident(c)} := {ident(c)}" for c in self.schema)
            sql = f"CAST(to_json(struct_pack({cols})) AS VARCHAR)"
            return Expr(sql, "VARCHAR", (sql,))
        tokens = parse_path(path, self.source)
        col = self.column(tokens[0][0])
        if col is None:
            return NULL
        if len(tokens) == 1 and not tokens[0][1]:
            self.consumed.add(col)
            return Expr(ident(col), self.schema[col], (ident(col),))
        jp = "$" + tokens[0][1] + json_path(tokens[1:])[1:]
        kind = "VARCHAR[]" if "[*]" in jp else "VARCHAR"
        sql = f"json_extract_string(to_json({ident(col)}), {lit(jp)})"
        return Expr(sql, kind, (sql,))


Backend = JsonBackend | TableBackend


class Compiler:
    """Turns value specs and conditions into SQL expressions over one backend."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def value(self, spec: ValueSpec | str | int | float | bool | None) -> Expr:
        """Compile a value (path string, scalar constant or ValueSpec) to an :class:`Expr`."""
        if spec is None:
            return NULL
        if isinstance(spec, str):
            return self.backend.field(spec)
        if not isinstance(spec, ValueSpec):
            return self._const(spec)
        return self._modifiers(spec, self._source(spec))

    def branch_value(self, value: ValueSpec | str | int | float | bool | None) -> Expr:
        """A ``then``/``else`` value: a bare string is a constant here, not a path."""
        return self._const(value) if isinstance(value, str) else self.value(value)

    def _const(self, value: object) -> Expr:
        if value is None:
            return NULL
        kind = {bool: "BOOLEAN", int: "BIGINT", float: "DOUBLE"}.get(type(value), "VARCHAR")
        return Expr(lit(value), kind)

    def _source(self, spec: ValueSpec) -> Expr:
        if spec.path is not None:
            return self.backend.field(spec.path)
        if spec.const is not None:
            return self._const(spec.const)
        if spec.coalesce is not None:
            return self._coalesce([self.value(as_spec(s)) for s in spec.coalesce])
        if spec.concat is not None:
            parts = [self.value(as_spec(s)) for s in spec.concat]
            inner = ", ".join(f"nullif({p.text}, '')" for p in parts)
            return Expr(
                f"nullif(concat_ws({lit(spec.sep)}, {inner}), '')",
                "VARCHAR",
                _refs(parts),
                any(p.resolved for p in parts),
            )
        if spec.hash is not None:
            inner = self.value(as_spec(spec.hash))
            return Expr(f"sha256({inner.text})", "VARCHAR", inner.refs, inner.resolved)
        if spec.case is not None:
            return self._case(spec)
        conds = spec.any if spec.any is not None else spec.all
        joiner = " OR " if spec.any is not None else " AND "
        compiled = [self.condition(c) for c in conds or []]
        refs = tuple(r for _, refs in compiled for r in refs)
        test = joiner.join(sql for sql, _ in compiled)
        known = " OR ".join(f"{r} IS NOT NULL" for r in refs) or "false"
        sql = f"(CASE WHEN {test} THEN true WHEN {known} THEN false END)"
        return Expr(sql, "BOOLEAN", refs, bool(refs))

    def _coalesce(self, parts: list[Expr]) -> Expr:
        live = [p for p in parts if p.resolved] or parts[:1]
        if len({p.type for p in live}) == 1 and live[0].type != "VARCHAR":
            members, kind = [p.sql for p in live], live[0].type
        else:
            # first non-empty value: an empty string is "absent" for a coalesce
            members, kind = [f"nullif({p.value_text}, '')" for p in live], "VARCHAR"
        sql = members[0] if len(members) == 1 else f"coalesce({', '.join(members)})"
        return Expr(sql, kind, _refs(live), any(p.resolved for p in live))

    def _case(self, spec: ValueSpec) -> Expr:
        branches = [(self.condition(b.when), self.branch_value(b.then)) for b in spec.case or []]
        other = self.branch_value(spec.else_)
        values = [v for _, v in branches] + [other]
        kinds = {v.type for v in values if v is not NULL}
        kind = kinds.pop() if len(kinds) == 1 else "VARCHAR"
        as_kind = (lambda v: v.sql) if kind != "VARCHAR" else (lambda v: v.text)
        whens = " ".join(f"WHEN {cond} THEN {as_kind(v)}" for (cond, _), v in branches)
        refs = tuple(r for (_, crefs), v in branches for r in crefs + v.refs) + other.refs
        sql = f"(CASE {whens} ELSE {as_kind(other)} END)"
        return Expr(sql, kind, refs, any(v.resolved for v in values) or bool(refs))

    def _modifiers(self, spec: ValueSpec, expr: Expr) -> Expr:
        if spec.null_if:
            values = [lit(scalar_text(v)) for v in spec.null_if]
            expr = Expr(
                f"(CASE WHEN {one_of(expr.text, values)} THEN NULL ELSE {expr.sql} END)",
                expr.type,
                expr.refs,
                expr.resolved,
            )
        if spec.map is not None:
            whens = " ".join(
                f"WHEN {lit(k)} THEN {lit(None if v is None else scalar_text(v))}"
                for k, v in spec.map.items()
            )
            other = lit(scalar_text(spec.default)) if spec.default is not None else expr.text
            sql = f"(CASE {expr.text} {whens} ELSE {other} END)"
            expr = Expr(sql, "VARCHAR", expr.refs, expr.resolved)
        if spec.fix_mojibake:
            expr = Expr(f"_ca_fix_mojibake({expr.text})", "VARCHAR", expr.refs, expr.resolved)
        if spec.strip_html:
            expr = Expr(f"_ca_strip_html({expr.text})", "VARCHAR", expr.refs, expr.resolved)
        if spec.lower:
            expr = Expr(f"lower({expr.text})", "VARCHAR", expr.refs, expr.resolved)
        if spec.basename:  # last segment of a path or URL, without its query
            sql = f"nullif(regexp_extract({expr.text}, '([^/?#]+)([?#].*)?$', 1), '')"
            expr = Expr(sql, "VARCHAR", expr.refs, expr.resolved)
        if spec.extract is not None:  # RE2 at run time: a pattern it rejects fails the mapping
            sql = f"nullif(regexp_extract({expr.text}, {lit(spec.extract)}, 1), '')"
            expr = Expr(sql, "VARCHAR", expr.refs, expr.resolved)
        if spec.prefix is not None:
            sql = f"({lit(spec.prefix)} || {expr.text})"
            expr = Expr(sql, "VARCHAR", expr.refs, expr.resolved)
        return expr

    def condition(self, cond: Condition) -> tuple[str, tuple[str, ...]]:
        """Compile a condition to a never-NULL boolean SQL expression and its references."""
        if cond.any is not None or cond.all is not None:
            parts = [self.condition(c) for c in (cond.any or cond.all or [])]
            joiner = " OR " if cond.any is not None else " AND "
            return (
                "(" + joiner.join(p for p, _ in parts) + ")",
                tuple(r for _, refs in parts for r in refs),
            )
        if cond.not_ is not None:
            sql, refs = self.condition(cond.not_)
            return f"(NOT {sql})", refs
        x = self.backend.field(cond.path) if cond.path is not None else self.value(cond.value)
        op, arg = cond.operator, getattr(cond, cond.operator)
        is_list = x.type.endswith("[]")
        if op == "is_null":
            sql = f"({x.sql} IS NULL)" if arg else f"({x.sql} IS NOT NULL)"
        elif op == "not_null":
            sql = f"({x.sql} IS NOT NULL)" if arg else f"({x.sql} IS NULL)"
        elif op in ("eq", "contains") and is_list:
            sql = f"coalesce(list_contains({x.sql}, {lit(scalar_text(arg))}), false)"
        elif op == "eq":
            sql = f"coalesce({x.text} = {lit(scalar_text(arg))}, false)"
        elif op == "ne":
            sql = f"coalesce({x.text} <> {lit(scalar_text(arg))}, false)"
        elif op in ("in_", "not_in"):
            values = ", ".join(lit(scalar_text(v)) for v in arg)
            neg = "NOT " if op == "not_in" else ""
            sql = f"coalesce({x.text} {neg}IN ({values}), false)"
        elif op == "contains":
            sql = f"coalesce(contains({x.text}, {lit(scalar_text(arg))}), false)"
        elif is_list:  # matches: any element of the list
            sql = (
                f"coalesce(len(list_filter({x.sql}, lambda _ca_e: "
                f"regexp_matches(_ca_e, {lit(arg)}))) > 0, false)"
            )
        else:  # matches
            sql = f"coalesce(regexp_matches({x.text}, {lit(arg)}), false)"
        return sql, x.refs


def _refs(parts: Sequence[Expr]) -> tuple[str, ...]:
    return tuple(r for p in parts for r in p.refs)


def convert(expr: Expr, target: str, spec: ValueSpec | None) -> str:
    """SQL converting a raw value to a canonical column type (NULL when unreadable)."""
    src, x = expr.type, expr.sql
    if src == "VARCHAR[]":
        return f"array_to_string({x}, ',')" if target == "VARCHAR" else "NULL"
    if target == "VARCHAR" or src == target:
        return expr.value_text if target == "VARCHAR" else x
    if target == "TIMESTAMP":
        scale = 1000 if spec is not None and spec.timestamp == "epoch_ms" else 1
        if src == "TIMESTAMP WITH TIME ZONE":
            return f"timezone('UTC', {x})"
        if src.startswith("TIMESTAMP") or src == "DATE":
            return f"CAST({x} AS TIMESTAMP)"
        if _is_numeric(src):
            if spec is None or (spec.timestamp == "auto" and not spec.format):
                return f"_ca_epoch_auto(CAST({x} AS DOUBLE))"
            return f"_ca_epoch(CAST({x} AS DOUBLE), {scale})"
        if spec is not None and spec.format:
            return f"try_strptime({expr.text}, {lit(spec.format)})"
        mode = spec.timestamp if spec is not None else "auto"
        if mode in ("epoch_s", "epoch_ms"):
            # Pushshift writes epoch seconds as int, float or string; ISO text still reads.
            return (
                f"coalesce(_ca_epoch(try_cast(trim({expr.text}) AS DOUBLE), {scale}), "
                f"_ca_ts_text({expr.text}))"
            )
        return f"_ca_ts_text({expr.text})" if mode == "iso" else f"_ca_ts_auto({expr.text})"
    if target == "DATE":
        if src.startswith("TIMESTAMP"):
            return f"CAST({x} AS DATE)"
        if spec is not None and spec.format:
            return f"CAST(try_strptime({expr.text}, {lit(spec.format)}) AS DATE)"
        return f"_ca_date({expr.text})"
    if target == "BOOLEAN":
        return f"({x} <> 0)" if _is_numeric(src) else f"_ca_bool({expr.text})"
    if target == "INTEGER":
        if _is_numeric(src) and src.split("(")[0] not in ("FLOAT", "DOUBLE", "DECIMAL"):
            return f"try_cast({x} AS INTEGER)"
        if _is_numeric(src):  # a fraction of a year is cut, not rounded (_ca_int)
            return f"try_cast(floor({x}) AS INTEGER)"
        return f"_ca_int({expr.text})"
    return f"try_cast({x} AS {target})"


@dataclass(frozen=True)
class CompiledSource:
    """The SELECT producing the new items rows of one source, plus what it consumed."""

    sql: str
    item_id_resolved: bool
    extra_columns: dict[str, str]  # tabular sources: extra column -> DuckDB type
    #: fields the mapping fills from source paths that this source does not have (tables:
    #: known from the schema); JSON sources are checked on each batch's rows instead
    unresolved: tuple[str, ...] = ()
    #: JSON sources: the SELECT for a batch holding invalid lines (``sql`` trusts that every
    #: line starting with "{" is valid JSON)
    sql_if_invalid: str | None = None


def checked_fields(mapping: Mapping) -> list[str]:
    """Mapped fields that must resolve to a value in at least one record of a source:
    every field read from source paths, except those the mapping calls ``optional``."""
    out = []
    for col in MAPPABLE_COLUMNS:
        spec = as_spec(mapping.fields.get(col))
        if spec is None or col in mapping.optional or not spec_paths(spec):
            continue
        out.append(col)
    return out


def _stage_select(
    mapping: Mapping, compiler: Compiler, relation: str, extra_sql: str
) -> tuple[str, bool, tuple[str, ...]]:
    """The three-level SELECT common to both backends (raw → converted → derived).

    Returns the SQL, whether item_id can resolve, and the fields that cannot (no source).
    """
    raw, conv, errs, guards = [], [], [], []
    item_id_resolved = False
    unresolved = []
    for col, target in MAPPABLE_COLUMNS.items():
        spec = mapping.spec(col)
        expr = compiler.value(spec) if spec is not None else NULL
        if col == "item_id":
            item_id_resolved = expr.resolved
        if spec is not None and not expr.resolved:
            unresolved.append(col)
        raw_name, name = ident(f"_ca_r_{col}"), ident(col)
        raw.append(f"{expr.sql} AS {raw_name}")
        conv.append(f"{convert(Expr(raw_name, expr.type), target, spec)} AS {name}")
        code = _ERROR_CODES.get(target)
        # A value already of the target type passes through unchanged and cannot fail to
        # read, so its check is left out (typed Parquet: no per-row work for it).
        if code and expr.resolved and expr.type != target:
            # The rare condition first: the row-wise AND narrows before trim() runs.
            empty = f" AND trim({raw_name}) <> ''" if expr.type == "VARCHAR" else ""
            guards.append(f"({name} IS NULL AND {raw_name} IS NOT NULL{empty})")
            errs.append(
                f"CASE WHEN {guards[-1]} THEN "
                f"{{'code': {lit(code)}, 'message': {lit(col + ': cannot read ' + chr(39))} || "
                f"left(CAST({raw_name} AS VARCHAR), 80) || {lit(chr(39) + ' as ' + target)}}} END"
            )
    vis_values = [lit(v) for v in VISIBILITY_VALUES]
    guards.append(
        f"(NOT {one_of('visibility', vis_values)}"
        f" AND NOT {one_of('lower(trim(visibility))', vis_values)})"
    )
    errs.append(
        f"CASE WHEN {guards[-1]} "
        "THEN {'code': 'bad_visibility', 'message': 'visibility: ' || left(visibility, 80) "
        "|| ' is not one of " + ", ".join(VISIBILITY_VALUES) + "; set to unknown'} END"
    )
    skips = [
        f"WHEN {compiler.condition(s.when)[0]} THEN "
        f"{{'code': {lit(s.code)}, 'message': {lit(s.reason)}}}"
        for s in mapping.skip
    ]
    skip_sql = f"CASE {' '.join(skips)} END" if skips else "NULL"
    if mapping.extra:
        values = [(k, compiler.value(as_spec(v)).text) for k, v in mapping.extra.items()]
        if mapping.keep_unmapped:
            pairs = ", ".join(f"{lit(k)}, {v}" for k, v in values)
            # A NULL value in the patch removes the key: a derived field is absent, never null.
            extra_sql = (
                f"nullif(CAST(json_merge_patch(coalesce({extra_sql}, '{{}}'), "
                f"json_object({pairs})) AS VARCHAR), '{{}}')"
            )
        else:
            # Only these fields: the object is written as text, a NULL value leaving its
            # member out (concat_ws skips it) — no JSON parse per record (a merge patch
            # parses its two documents and writes the result, ~1.4 CPU-s per 10^6 records).
            members = ", ".join(
                f"{lit(json.dumps(k) + ':')} || CAST(to_json({v}) AS VARCHAR)" for k, v in values
            )
            extra_sql = f"nullif('{{' || concat_ws(',', {members}) || '}}', '{{}}')"
    derived = {
        # Canonical values (the usual case after a preset's mapping) skip lower(trim()).
        # NULL where the export has none: the items view reads it as 'unknown', with the
        # basis 'not in the export' (one column fewer to store, audit/item_rows.py).
        "visibility": (
            f"CASE WHEN {one_of('visibility', vis_values)} THEN visibility "
            f"WHEN {one_of('lower(trim(visibility))', vis_values)} "
            "THEN lower(trim(visibility)) WHEN visibility IS NOT NULL THEN 'unknown' END"
        ),
        "media_uri": "_ca_media_uri(media_path, _ca_base)",
        # Hashed by the detect stage (cache.hash_texts): sha256 here would double the cost of
        # the load, and a source column of that name must not pose as a content hash.
        "text_sha256": "NULL::VARCHAR",
        "source_file": "_ca_file",
        "source_row": "_ca_row",
        "extra": "_ca_extra",
        "source_domain": "coalesce(lower(source_domain), _ca_host_clean(_ca_host0))",
        # NULL: the export gave the visibility as is (no per-row string for the usual case)
        "visibility_basis": (
            "CASE WHEN visibility_basis IS NOT NULL THEN visibility_basis "
            "WHEN visibility IS NULL THEN 'not in the export' END"
        ),
    }
    final = [f"{derived.get(c, ident(c))} AS {ident(c)}" for c in all_item_columns()]
    err_list = ", ".join(errs)
    sql = (
        f"SELECT {', '.join(final)}, _ca_sub, _ca_skip, "
        # The error list is built only for the (few) rows with a problem (NULL otherwise).
        f"CASE WHEN {' OR '.join(guards)} THEN "
        f"list_filter([{err_list}], lambda e: e IS NOT NULL) END AS _ca_errs\n"
        f"FROM (SELECT *, {', '.join(conv)}, "
        f"_ca_host_part({ident('_ca_r_url')}) AS _ca_host0\n"
        f"      FROM (SELECT _ca_file, _ca_base, _ca_row, _ca_sub, {extra_sql} AS _ca_extra, "
        f"{skip_sql} AS _ca_skip, {', '.join(raw)}\n            FROM {relation}))"
    )
    return sql, item_id_resolved, tuple(unresolved)


def compile_json(
    mapping: Mapping, file: str, base: str, context: str | None = None
) -> CompiledSource:
    """The stage SELECT over the records in ``_ca_lines`` of one JSON source (or batch).

    ``context`` is the JSON text that ``@source.`` paths read (the export's account data).
    """
    backend = JsonBackend(mapping.source)
    compiler = Compiler(backend)
    for name in mapping.lookups:
        backend.lookups[name] = ""  # declare first so lookups may not reference each other
    lookup_cols = []
    for name, lk in mapping.lookups.items():
        list_path = json_path(parse_path(lk.list, mapping.source))
        key_path = json_path(parse_path(lk.key, mapping.source))
        match = compiler.value(as_spec(lk.match))
        lookup_cols.append(
            f"list_filter(from_json(json_extract(_ca_page, {lit(list_path)}), '[\"JSON\"]'), "
            f"lambda _ca_o: json_extract_string(_ca_o, {lit(key_path)}) = {match.text})[1] "
            f"AS {ident('_ca_lk_' + name)}"
        )
    # The mapping's own fields are compiled after the lookups' match values.
    if mapping.explode:
        ep = lit(json_path(parse_path(mapping.explode, mapping.source)))
        records = (
            f"SELECT line_no AS _ca_row, unnest(_ca_recs) AS _ca_j, "
            f"generate_subscripts(_ca_recs, 1) AS _ca_sub, _ca_page FROM ("
            f"SELECT line_no, _ca_page, CASE json_type(_ca_page, {ep}) "
            f"WHEN 'ARRAY' THEN from_json(json_extract(_ca_page, {ep}), '[\"JSON\"]') "
            f"WHEN 'OBJECT' THEN [json_extract(_ca_page, {ep})] "
            f"ELSE [_ca_page] END AS _ca_recs FROM _l)"
        )
    else:
        records = "SELECT line_no AS _ca_row, _ca_page AS _ca_j, 0 AS _ca_sub, _ca_page FROM _l"
    # Compile the canonical fields (this fills backend.paths and backend.consumed).
    select, resolved, _ = _stage_select(mapping, compiler, "_ca_src", "_ca_extra_raw")
    dropped = [[key for key, _ in parse_path(p, mapping.source)] for p in mapping.drop]
    # Rewriting each record without its mapped keys is ~40% of the mapping's cost per row.
    extra = _extra_json(backend.consumed + dropped) if mapping.keep_unmapped else "NULL::VARCHAR"
    values = (
        f"json_extract_string(_ca_j, [{', '.join(lit(p) for p in backend.paths)}])"
        if backend.paths
        else "[]::VARCHAR[]"
    )
    lookups = "".join(", " + c for c in lookup_cols)
    rest = (
        f"_rec AS ({records}),\n"
        f"_ca_src0 AS (SELECT {lit(file)} AS _ca_file, {lit(base)} AS _ca_base, _ca_row, "
        f"_ca_sub, _ca_j, _ca_page, {values} AS _ca_v, {extra} AS _ca_extra_raw, "
        f"CAST({lit(context or '{}')} AS JSON) AS _ca_ctx FROM _rec),\n"
        f"_ca_src AS (SELECT *{lookups} FROM _ca_src0)\n" + select
    )
    # A line may keep its newline (JSON whitespace): trimming every line costs more than the
    # whole mapping; `$record` normalises with json() where it is used. The lines are read as
    # JSON text without a cast (a cast parses every line once more). `json_rejects` has
    # parsed every line starting with "{" already: where it found none invalid, only the
    # other lines (blank, or a value after white space) need a check here.
    page = "CAST(line AS JSON)" if mapping.explode else "line"

    def lines(where: str) -> str:
        return f"WITH _l AS (SELECT line_no, {page} AS _ca_page FROM _ca_lines WHERE {where}),\n"

    checked = "json_valid(line) AND (starts_with(line, '{') OR json_type(line) = 'OBJECT')"
    trusted = "starts_with(line, '{') OR (json_valid(line) AND json_type(line) = 'OBJECT')"
    return CompiledSource(lines(trusted) + rest, resolved, {}, sql_if_invalid=lines(checked) + rest)


def _extra_json(consumed: list[list[str]]) -> str:
    """SQL for the record minus its mapped key paths (JSON merge patches with nulls).

    A nested key is removed only where its parent object exists: a merge patch would
    otherwise create the missing parents as empty objects.
    """
    by_parent: dict[tuple[str, ...], set[str]] = {}
    for keys in consumed:
        by_parent.setdefault(tuple(keys[:-1]), set()).add(keys[-1])
    sql = "_ca_j"
    for parent, leaves in sorted(by_parent.items(), key=lambda kv: len(kv[0])):
        patch: dict = dict.fromkeys(sorted(leaves))
        for key in reversed(parent):
            patch = {key: patch}
        merged = f"json_merge_patch({sql}, {lit(json.dumps(patch, ensure_ascii=False))})"
        if parent:
            where = lit(json_path([(k, "") for k in parent]))
            merged = f"CASE WHEN json_type(_ca_j, {where}) = 'OBJECT' THEN {merged} ELSE {sql} END"
        sql = merged
    return f"nullif(CAST({sql} AS VARCHAR), '{{}}')"


def compile_table(
    mapping: Mapping,
    relation: str,
    schema: dict[str, str],
    base_sql: str,
    context: str | None = None,
) -> CompiledSource:
    """The stage SELECT over a tabular relation exposing ``_ca_file``, ``_ca_row`` and the
    source columns described by ``schema``."""
    if mapping.explode or mapping.lookups or mapping.root:
        raise InputError(
            f"{mapping.source}: root/explode/lookups only work on JSON sources, not Parquet or CSV"
        )
    backend = TableBackend(mapping.source, schema, context=context)
    compiler = Compiler(backend)
    # Compile once to learn which columns are consumed, then build `extra` from the rest.
    _stage_select(mapping, compiler, "x", "NULL")
    dropped = {backend.column(p) for p in mapping.drop}
    kept = mapping.keep_unmapped
    rest = {
        c: t for c, t in schema.items() if kept and c not in backend.consumed and c not in dropped
    }
    if rest:
        pairs = ", ".join(f"{ident(c)} := {ident(c)}" for c in rest)
        extra = f"to_json(struct_pack({pairs}))"
    else:
        extra = "NULL"
    src = f"(SELECT *, {base_sql} AS _ca_base, 0 AS _ca_sub FROM {relation})"
    compiler = Compiler(TableBackend(mapping.source, schema, context=context))
    select, resolved, unresolved = _stage_select(mapping, compiler, src, extra)
    checked = set(checked_fields(mapping))
    extra_columns = {**rest, **dict.fromkeys(mapping.extra, "VARCHAR")}
    return CompiledSource(
        select, resolved, extra_columns, tuple(c for c in unresolved if c in checked)
    )
