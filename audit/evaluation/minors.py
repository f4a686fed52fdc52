"""`audit eval minors`: how well the shipped minors rules find minors' accounts from their text.

Input: posts (JSONL, one ``{author_id, post_id, text, date}`` a line; ``date`` ISO or like
``31,May,2004``) and authors (CSV with ``author_id, age``). The posts become a throw-away
audit database (ingested with the ``generic`` mapping: item_id = post_id, created_at = date;
no age reaches it), the ``minor_cues`` detector runs over it and the rule pack is evaluated
as ``audit scan`` would. An author is **flagged** when a rule of the ``minors`` category with
action ``exclude`` flags at least one of their posts; an author is a **minor** when their
age is under 18. Also reported: every minors rule's share of minors' and adults' posts and
authors, recall / precision by author evidence-score threshold (the score the
``evidence_score`` rules compare), a threshold chosen by cross-validation, and the
detector's speed.
"""

from __future__ import annotations

import csv
import json
import math
import random
import re
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Group
from rich.table import Table

from audit.errors import InputError
from audit.paths import shipped_rules_dir

CATEGORY = "minors"
DETECTOR = "minor_cues"
#: Score thresholds of the PR table (the shipped rules' own thresholds are added).
THRESHOLDS = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAY_MONTH_YEAR = re.compile(r"^\s*(\d{1,2})[,\s/.-]+([^\W\d_]+)[,\s/.-]+(\d{4})\s*$")


@dataclass(frozen=True)
class Post:
    """One labelled post."""

    author_id: str
    post_id: str
    text: str
    created_at: datetime | None


def parse_date(value: Any) -> datetime | None:
    """An ISO date or a "31,May,2004" date. The month is read from its first three letters
    ("May", "junio"); one that is not an English month's counts as July (only the year is
    known: mid-year keeps a class year said that year from counting)."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        pass
    m = _DAY_MONTH_YEAR.match(value)
    if m is None:
        return None
    day, month_name, year = int(m.group(1)), m.group(2).lower()[:3], int(m.group(3))
    if month_name not in _MONTHS:
        return datetime(year, 7, 1)
    try:
        return datetime(year, _MONTHS.index(month_name) + 1, day)
    except ValueError:  # "31,February,2004"
        return datetime(year, _MONTHS.index(month_name) + 1, 1)


def read_posts(path: Path) -> list[Post]:
    """The posts file; a line that is not a post is an InputError naming file:line."""
    posts, seen = [], set()
    try:
        # split on "\n" only: str.splitlines() also splits inside texts at U+2028, U+0085, ...
        lines = path.read_text(encoding="utf-8").split("\n")
    except OSError as exc:
        raise InputError(f"{path}: cannot read posts: {exc.strerror or exc}") from exc
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            post = Post(
                str(row["author_id"]), str(row["post_id"]), str(row.get("text") or ""),
                parse_date(row.get("date")),
            )  # fmt: skip
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise InputError(
                f"{path}:{n}: not a post {{author_id, post_id, text, date}} ({exc})"
            ) from exc
        if post.post_id in seen:
            raise InputError(f"{path}:{n}: post_id {post.post_id!r} appears twice")
        seen.add(post.post_id)
        posts.append(post)
    if not posts:
        raise InputError(f"{path}: no posts")
    return posts


def read_ages(path: Path) -> dict[str, int]:
    """author_id → age from the authors CSV."""
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = {"author_id", "age"} - set(reader.fieldnames or ())
            if missing:
                raise InputError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
            ages = {}
            for n, row in enumerate(reader, start=2):
                try:
                    ages[row["author_id"]] = int(row["age"])
                except (TypeError, ValueError) as exc:
                    raise InputError(f"{path}:{n}: age is not a whole number") from exc
            return ages
    except OSError as exc:
        raise InputError(f"{path}: cannot read authors: {exc.strerror or exc}") from exc


# ------------------------------------------------------------------ scores


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson interval of the proportion k/n ((0, 1) when n is 0)."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    d = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / d
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return round(max(0.0, centre - half), 3), round(min(1.0, centre + half), 3)


def prf(predicted: set[str], gold: set[str]) -> dict[str, Any]:
    """Recall, precision, F1 (with Wilson intervals) of a predicted set of authors."""
    tp, fp, fn = len(predicted & gold), len(predicted - gold), len(gold - predicted)
    recall = tp / (tp + fn) if tp + fn else 0.0
    precision = tp / (tp + fp) if tp + fp else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "tp": tp, "fp": fp, "fn": fn, "recall": round(recall, 3),
        "precision": round(precision, 3), "f1": round(f1, 3),
        "recall_ci": wilson(tp, tp + fn), "precision_ci": wilson(tp, tp + fp),
    }  # fmt: skip


def pick_threshold(scores: dict[str, float], gold: set[str], target: float) -> float | None:
    """The threshold with the best recall whose precision is at least ``target`` (the higher
    threshold on ties); None when no threshold reaches it."""
    best: tuple[float, float] | None = None
    for t in sorted({s for s in scores.values() if s > 0}):
        r = prf({a for a, s in scores.items() if s >= t}, gold)
        if r["tp"] and r["precision"] >= target and (best is None or r["recall"] >= best[0]):
            best = (r["recall"], t)
    return None if best is None else best[1]


def cross_validate(
    scores: dict[str, float], gold: set[str], target: float, folds: int = 5, seed: int = 14
) -> dict[str, Any]:
    """Threshold chosen on ``folds``-1 folds (stratified by label), scored on the held-out fold."""
    rng = random.Random(seed)
    fold_of: dict[str, int] = {}
    for group in (
        sorted(a for a in scores if a in gold),
        sorted(a for a in scores if a not in gold),
    ):
        rng.shuffle(group)
        fold_of.update({a: i % folds for i, a in enumerate(group)})
    predicted: set[str] = set()
    chosen = []
    for k in range(folds):
        train = {a: s for a, s in scores.items() if fold_of[a] != k}
        t = pick_threshold(train, gold & set(train), target)
        chosen.append(t)
        if t is not None:
            predicted |= {a for a, s in scores.items() if fold_of[a] == k and s >= t}
    return {
        "target_precision": target, "folds": folds, "seed": seed, "thresholds": chosen,
        "held_out": prf(predicted, gold),
        "all_data_threshold": pick_threshold(scores, gold, target),
    }  # fmt: skip


# ------------------------------------------------------------------ the run


def _corpus_file(posts: list[Post], folder: Path) -> Path:
    """The posts as a canonical JSONL for the ``generic`` mapping."""
    path = folder / "posts.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for p in posts:
            row = {
                "item_id": p.post_id, "author_id": p.author_id, "text": p.text,
                "created_at": p.created_at.isoformat() if p.created_at else None,
                "platform": "eval",
            }  # fmt: skip
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


def _author_scores(con: Any) -> dict[str, float]:
    """Every author's evidence score, by the SQL the ``evidence_score`` rules run."""
    from audit.rules.pack import PackTables
    from audit.store import query

    con.execute(query("rules.sql", "items_plain"))  # rule_items, as the sandbox names it
    table = PackTables().evidence_table('i."author_id"', DETECTOR)
    statement = table.statement()
    con.execute(statement.sql, statement.params)
    return {g: float(s) for g, s in con.table(table.name).select("g, score").fetchall()}


def _detector_speed(posts: list[Post]) -> dict[str, Any]:
    """The detector alone over the distinct texts, in this process (one core)."""
    from audit.detectors.base import Content
    from audit.detectors.registry import create_detector

    detector = create_detector(DETECTOR)
    detector.setup()
    texts = sorted({p.text for p in posts})
    contents = [Content(str(i), text=t) for i, t in enumerate(texts)]
    started, cpu = time.perf_counter(), time.process_time()
    detector.detect_batch(contents)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "texts": len(texts), "mean_chars": round(sum(map(len, texts)) / max(len(texts), 1)),
        "seconds": round(seconds, 3), "texts_per_second": round(len(texts) / seconds) if seconds else None,
        "texts_per_cpu_second": round(len(texts) / cpu) if cpu else None,
    }  # fmt: skip


def evaluate_minors(
    posts_path: Path,
    authors_path: Path,
    rules_dir: Path | None = None,
    *,
    target_precision: float = 0.85,
) -> dict[str, Any]:
    """Run the minor_cues detector and the rule pack over labelled posts and score them."""
    from audit.detect import run_detectors
    from audit.ingest.corpus import ingest_corpus
    from audit.rules import evaluate_rules, load_rules
    from audit.store import open_store, query

    posts = read_posts(Path(posts_path))
    ages = read_ages(Path(authors_path))
    unknown = sorted({p.author_id for p in posts} - set(ages))
    if unknown:
        raise InputError(
            f"{authors_path}: no age for {len(unknown)} author(s) of the posts, e.g. {unknown[0]}"
        )
    rules_dir = Path(rules_dir) if rules_dir else shipped_rules_dir()
    ruleset = load_rules(rules_dir)
    rules = {r.rule.id: r for r in ruleset if r.rule.category == CATEGORY}
    if not rules:
        raise InputError(f"{rules_dir}: no rules of category '{CATEGORY}'")
    author_of = {p.post_id: p.author_id for p in posts}
    authors = set(author_of.values())
    gold = {a for a in authors if ages[a] < 18}

    with tempfile.TemporaryDirectory(prefix="audit-eval-minors-") as tmp:
        con = open_store(Path(tmp) / "audit.duckdb")
        try:
            ingest_corpus(con, _corpus_file(posts, Path(tmp)), "generic")
            run_detectors(con, [DETECTOR], workers=1)
            started = time.perf_counter()
            evaluate_rules(con, ruleset, "eval")
            rules_seconds = time.perf_counter() - started
            flags = con.execute(query("rules.sql", "selftest_flagged"), ["eval"]).fetchall()
            scores = _author_scores(con)
        finally:
            con.close()

    flagged_items: dict[str, set[str]] = defaultdict(set)  # rule id → item ids
    for rule_id, item_id, _ in flags:
        if rule_id in rules:
            flagged_items[rule_id].add(item_id)
    minors_posts = {p.post_id for p in posts if p.author_id in gold}
    adults_posts = {p.post_id for p in posts} - minors_posts
    per_rule = []
    for rule_id, loaded in sorted(rules.items()):
        items = flagged_items[rule_id]
        by = {author_of[i] for i in items}
        per_rule.append({
            "rule_id": rule_id, "action": loaded.rule.action,
            "author_level": _groups_by_author(loaded),
            "minors_posts": len(items & minors_posts), "adults_posts": len(items & adults_posts),
            "minors": len(by & gold), "adults": len(by - gold),
        })  # fmt: skip
    excluding = [r for r in rules.values() if r.rule.action == "exclude"]
    flagged = {author_of[i] for r in excluding for i in flagged_items[r.rule.id]}
    all_scores = {a: scores.get(a, 0.0) for a in authors}
    shipped_t = sorted(_shipped_thresholds(rules.values()))
    table = [
        {"threshold": t, **prf({a for a, s in all_scores.items() if s >= t}, gold)}
        for t in sorted(set(THRESHOLDS) | set(shipped_t))
    ]
    return {
        "posts_file": str(posts_path), "authors_file": str(authors_path), "rules": str(rules_dir),
        "posts": len(posts), "authors": len(authors), "minors": len(gold),
        "adults": len(authors) - len(gold),
        "minors_posts": len(minors_posts), "adults_posts": len(adults_posts),
        "flagged_by": sorted(r.rule.id for r in excluding),
        "author_level": prf(flagged, gold),
        "per_rule": per_rule,
        "shipped_thresholds": shipped_t,
        "thresholds": table,
        "cross_validation": cross_validate(all_scores, gold, target_precision),
        "rules_seconds": round(rules_seconds, 3),
        "detector": _detector_speed(posts),
    }  # fmt: skip


def _nodes(node: Any) -> Iterator[dict[str, Any]]:
    """Every dict in a rule's match tree (as JSON)."""
    if isinstance(node, dict):
        yield node
        node = list(node.values())
    if isinstance(node, list):
        for value in node:
            yield from _nodes(value)


def _match_nodes(loaded: Any) -> list[dict[str, Any]]:
    return list(_nodes(loaded.rule.model_dump(mode="json", by_alias=True)["match"]))


def _groups_by_author(loaded: Any) -> bool:
    """Whether the rule flags whole authors (an aggregate grouping by author_id)."""
    return any(n.get("group_by") == "author_id" for n in _match_nodes(loaded))


def _shipped_thresholds(loaded_rules: Any) -> set[float]:
    """The ``ge`` of every author-level evidence_score condition of minor_cues in the rules."""
    return {
        float(n["having"]["evidence_score"]["ge"])
        for loaded in loaded_rules
        for n in _match_nodes(loaded)
        if n.get("group_by") == "author_id"
        and (n.get("having") or {}).get("evidence_score", {}).get("detector") == DETECTOR
    }


# ------------------------------------------------------------------ report


def format_minors_report(result: dict[str, Any]) -> Group:
    """The figures as rich tables: author level, per rule, by threshold."""
    a = result["author_level"]
    head = Table(title=f"Minors from text: {result['posts_file']}", show_header=False)
    head.add_row("data", f"{result['posts']} posts by {result['authors']} authors "
                 f"({result['minors']} minors, {result['adults']} adults)")  # fmt: skip
    head.add_row("flagged", "an author with a post flagged by an exclude rule of "
                 f"'{CATEGORY}': {', '.join(result['flagged_by'])}")  # fmt: skip
    head.add_row(
        "authors",
        f"recall {a['recall']:.3f} [{a['recall_ci'][0]:.2f}-{a['recall_ci'][1]:.2f}] · "
        f"precision {a['precision']:.3f} [{a['precision_ci'][0]:.2f}-{a['precision_ci'][1]:.2f}]"
        f" · F1 {a['f1']:.3f} (tp {a['tp']}, fp {a['fp']}, fn {a['fn']})",
    )
    cv = result["cross_validation"]
    held = cv["held_out"]
    thresholds = ", ".join(_g(t) for t in cv["thresholds"])
    head.add_row(
        "threshold by CV",
        f"{cv['folds']}-fold, best recall at train precision >= {cv['target_precision']}: "
        f"fold thresholds {thresholds}; held-out recall {held['recall']:.3f} precision "
        f"{held['precision']:.3f}; on all data {_g(cv['all_data_threshold'])}",
    )
    d = result["detector"]
    head.add_row(
        "speed",
        f"{d['texts_per_second']} texts/s ({d['texts_per_cpu_second']} per CPU-s; {d['texts']} "
        f"distinct texts, {d['mean_chars']} chars on average; one process)",
    )
    rules = Table(title=f"Rules of '{CATEGORY}' (posts and authors they flag)")
    columns = ("rule", "action", "level", "minors'\nposts", "adults'\nposts", "minors", "adults")
    for column in columns:
        left = column in columns[:3]
        rules.add_column(column, justify="left" if left else "right", overflow="fold")
    for r in result["per_rule"]:
        rules.add_row(
            r["rule_id"].removeprefix(f"{CATEGORY}."), r["action"],
            "author" if r["author_level"] else "item", str(r["minors_posts"]),
            str(r["adults_posts"]), str(r["minors"]), str(r["adults"]),
        )  # fmt: skip
    rules.caption = (
        f"of {result['minors_posts']} minors' and {result['adults_posts']} adults' posts; "
        f"{result['minors']} minors and {result['adults']} adults"
    )
    pr = Table(title="Authors by minor evidence score (score >= threshold)")
    for column in ("threshold", "recall", "precision", "F1", "tp", "fp"):
        pr.add_column(column, justify="right")
    for row in result["thresholds"]:
        mark = " *" if row["threshold"] in result["shipped_thresholds"] else ""
        pr.add_row(f"{row['threshold']:g}{mark}", f"{row['recall']:.3f}",
                   f"{row['precision']:.3f}", f"{row['f1']:.3f}", str(row["tp"]), str(row["fp"]))  # fmt: skip
    pr.caption = "* a threshold of a shipped rule"
    return Group(head, rules, pr)


def _g(x: float | None) -> str:
    return "-" if x is None else f"{x:g}"
