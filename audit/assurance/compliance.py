"""Compliance outputs drafted from the audit database (`audit compliance`).

- the data sections of the EU AI Act public summary of training content (Art. 53(1)(d); the
  European Commission's template of July 2025): sources by type, the top 10 % of domain
  names by share of items, the posting period, and the measures taken (text-and-data-mining
  reservations honoured by signal, personal data and minors removed or redacted, with the
  residual estimates of the sampled review);
- the Responsible-AI fields of an MLCommons Croissant description (``rai:*``);
- a "Personal and Sensitive Information" section for a Hugging Face dataset card.

Every figure comes from :func:`collect_facts` (SQL in audit/sql/compliance.sql, the report's
exposure table, :func:`audit.assurance.summary.collect_assurance`); the words around them are
fixed templates. What only the provider knows (its name, the model, when the data was
collected, the legal basis) is left as a marked ``[provider: …]`` gap, never invented.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import duckdb

from audit import __version__
from audit.assurance.summary import collect_assurance
from audit.declared_sql import exposure_categories, fill_declared
from audit.report.queries import expand_report_refs, fetch_dicts, rows
from audit.store import query
from audit.vocabulary import REVIEW_CATEGORIES

SQL = "compliance.sql"
TEMPLATE = (
    "European Commission, Explanatory Notice and Template for the Public Summary of Training "
    "Content for general-purpose AI models (Art. 53(1)(d) AI Act), July 2025"
)
#: Share of domain names the template asks for (top 10 % by size of content).
TOP_DOMAIN_SHARE = 0.10
#: Section of the template each mapping preset's source usually belongs to. A draft: the
#: provider confirms it (a platform export may also have been bought from a third party).
SOURCE_TYPES: dict[str, str] = {
    "laion": "2.1 Publicly available datasets",
    "mastodon": "2.3 Data crawled and scraped from online sources",
    "bluesky": "2.3 Data crawled and scraped from online sources",
    "reddit": "2.3 Data crawled and scraped from online sources",
    "twitter_v2": "2.3 Data crawled and scraped from online sources",
}
UNCLASSIFIED = "2.6 Other sources [provider: classify — user data (2.4), licensed (2.2) or other]"
SIGNAL_LABELS: dict[str, str] = {
    "metadata_noai": "noai / TDM reservation in the item's metadata",
    "author_opt_out": "author opted out of AI training (platform setting or registry)",
    "image_iptc_xmp": "image IPTC/XMP plus:DataMining reservation (prohibited or constrained)",
    "image_c2pa": "image C2PA training-mining assertion (not allowed or constrained)",
    "registry_request": "consent-registry request (opt-out, erasure, objection)",
}
CROISSANT_CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}
CROISSANT_CONFORMS_TO = "http://mlcommons.org/croissant/1.0"


def _rows(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> list[dict[str, Any]]:
    return fetch_dicts(con, fill_declared(expand_report_refs(query(SQL, name))), params)


def _short_path(path: str) -> str:
    p = Path(path)
    return f"{p.parent.name}/{p.name}" if p.parent.name else p.name


def collect_facts(
    con: duckdb.DuckDBPyConnection, run_id: str, name: str | None = None
) -> dict[str, Any]:
    """Every figure the three outputs use, for ``run_id``; ``name`` names the dataset
    (default: the scanned corpus file's or folder's name)."""
    row = con.execute(query("report.sql", "run_manifest"), {"run_id": run_id}).fetchone()
    manifest = json.loads(row[0]) if row and row[0] else {}
    mappings = {s["path"]: s.get("mapping") for s in manifest.get("corpus", {}).get("sources", [])}
    sources = _rows(con, "sources", run_id=run_id)
    for s in sources:
        s["mapping"] = mappings.get(s["source_file"])
        s["type"] = SOURCE_TYPES.get(s["mapping"] or "", UNCLASSIFIED)
        s["source_file"] = _short_path(s["source_file"])
    corpus = _rows(con, "corpus", run_id=run_id)[0]
    domains = _rows(con, "domains", group_kind="domain")
    top_n = math.ceil(len(domains) * TOP_DOMAIN_SHARE) if domains else 0
    while 0 < top_n < len(domains) and domains[top_n]["items"] == domains[top_n - 1]["items"]:
        top_n += 1  # a domain as large as the last one shown is shown too
    labels = {c.key: c.label for c in exposure_categories()}
    return {
        "tool": f"corpus-audit {__version__}",
        "run_id": run_id,
        "finished_at": manifest.get("finished_at"),
        "corpus_name": name or _corpus_name(manifest),
        "corpus": corpus,
        "sources": sources,
        "domains": {
            "total": len(domains),
            "top_n": top_n,
            "top": domains[:top_n],
            "items_with_domain": sum(d["items"] for d in domains),
        },
        "tdm": [
            {**s, "label": SIGNAL_LABELS[s["signal"]]}
            for s in _rows(con, "tdm_signals", run_id=run_id)
        ],  # fmt: skip
        "measures": _rows(con, "measures", run_id=run_id),
        "exposure": [
            {**e, "label": labels.get(e["category"], e["category"])}
            for e in rows(con, "kpi_exposure")
        ],  # fmt: skip
        "kept_exposure": [
            {**e, "label": labels.get(e["category"], e["category"])}
            for e in _rows(con, "kept_exposure", run_id=run_id)
        ],  # fmt: skip
        "assurance": collect_assurance(con, run_id, population="kept"),
    }


def _corpus_name(manifest: dict[str, Any]) -> str:
    path = str(manifest.get("corpus", {}).get("path") or "corpus")
    return Path(path).stem if Path(path).suffix in (".yaml", ".yml") else Path(path).name


# --- words around the figures -----------------------------------------------------------------


def _pct(x: float | None, digits: int = 1) -> str:
    return "–" if x is None else f"{x * 100:.{digits}f} %"


def _share(part: int, whole: int) -> str:
    return _pct(part / whole) if whole else "–"


def _day(ts: str | None) -> str:
    return ts[:10] if ts else "–"


def residual_lines(facts: dict[str, Any]) -> list[str]:
    """One sentence per review category estimated over the kept items (or a note)."""
    a = facts["assurance"]
    if a["population"] != "kept" or not a["categories"]:
        return [
            "No sampled review of the kept items yet: residual shares are not estimated "
            "(`audit review sample OUT --population kept`, then `audit review import`)."
        ]
    out = []
    for cat in REVIEW_CATEGORIES:
        c = a["categories"].get(cat.key)
        if not c or c["estimate"] is None:
            out.append(f"{cat.label}: not reviewed yet in the kept-items sample.")
            continue
        out.append(
            f"{cat.label}: estimated {_pct(c['estimate'])} of kept items (95 % interval "
            f"{_pct(c['ci_low'])} – {_pct(c['ci_high'])}; about {c['count']:,} items, "
            f"{c['count_low']:,} – {c['count_high']:,}), from {c['reviewed']:,} reviewed of "
            f"{c['population']:,}."
        )
    return out


def _md_table(headers: list[str], body: list[list[Any]]) -> str:
    if not body:
        return "_None._\n"
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in body]
    return "\n".join(lines) + "\n"


def _provenance(facts: dict[str, Any]) -> str:
    return (
        f"Drafted by {facts['tool']} from the audit database of run `{facts['run_id']}` "
        f"(finished {facts['finished_at'] or '–'}). Every figure is read from that database; "
        "text marked `[provider: …]` is for the provider to complete."
    )


def eu_summary_markdown(facts: dict[str, Any]) -> str:
    """The data sections of the EU public summary of training content, as Markdown."""
    c, d = facts["corpus"], facts["domains"]
    n = c["items"]
    by_type: dict[str, list[dict]] = {}
    for s in facts["sources"]:
        by_type.setdefault(s["type"], []).append(s)
    parts = [
        f"# Public summary of training content — data sections (draft): {facts['corpus_name']}\n",
        f"> {_provenance(facts)}\n>\n> Template: {TEMPLATE}.\n",
        "## 1. General information\n",
        "- Provider, model and version: [provider: …]",
        f"- Modalities: text ({c['text_items']:,} items with text), images ({c['image_items']:,}"
        " items referencing an image)",
        f"- Size of the audited corpus: {n:,} items; {c['kept_items']:,} kept for training "
        f"({_share(c['kept_items'], n)}) after {n - c['kept_items']:,} were excluded",
        f"- Period covered by the content: posted {_day(c['first_post'])} to "
        f"{_day(c['last_post'])} ({c['undated']:,} items without a date); period of data "
        "collection: [provider: …]\n",
        "## 2. List of data sources\n",
    ]
    for kind in sorted(by_type):
        body = [[f"`{s['source_file']}`", s["platform"], s["mapping"] or "–", f"{s['items']:,}",
                 _share(s["items"], n), f"{s['kept_items']:,}"] for s in by_type[kind]]  # fmt: skip
        parts += [f"### {kind}\n",
                  _md_table(["Source file", "Platform", "Mapping", "Items", "Share", "Kept"], body)]  # fmt: skip
    parts += [
        "### Top domain names\n",
        f"The top {TOP_DOMAIN_SHARE:.0%} of the {d['total']:,} domain names by share of items "
        f"({d['top_n']:,} domain name(s), ties at the cut included); "
        f"{n - d['items_with_domain']:,} items have no URL domain.\n",
        _md_table(
            ["Rank", "Domain", "Items", "Share of items"],
            [
                [i + 1, r["domain"], f"{r['items']:,}", _share(r["items"], n)]
                for i, r in enumerate(d["top"])
            ],
        ),  # fmt: skip
        "## 3. Data processing aspects\n",
        "### 3.1 Respect of reservation of rights from the text and data mining exception\n",
        "Items carrying a reservation or opt-out signal, and how many of them were excluded "
        "from training (honoured).\n",
        _md_table(
            ["Signal", "Items", "Excluded (honoured)", "Honoured share"],
            [
                [
                    s["label"],
                    f"{s['items']:,}",
                    f"{s['excluded_items']:,}",
                    _share(s["excluded_items"], s["items"]),
                ]
                for s in facts["tdm"]
            ],
        ),  # fmt: skip
        "### 3.2 Personal data, minors and other measures\n",
        "Items flagged by the audit's policy rules, by rule category: excluded from training, "
        "or kept with personal data in the text redacted, or kept and sent to human review.\n",
        _md_table(
            [
                "Rule category",
                "Flagged items",
                "Excluded",
                "Kept, redacted",
                "Kept, sent to review",
            ],
            [
                [
                    m["category"],
                    f"{m['flagged_items']:,}",
                    f"{m['excluded_items']:,}",
                    f"{m['redacted_kept_items']:,}",
                    f"{m['review_kept_items']:,}",
                ]
                for m in facts["measures"]
            ],
        ),  # fmt: skip
        "What detectors still find in the kept items (before the export's redaction of text):\n",
        _md_table(
            ["Category", "Kept items", "Share of kept"],
            [[e["label"], f"{e['items']:,}", _pct(e["share"])] for e in facts["kept_exposure"]],
        ),  # fmt: skip
        "### Residual risk in the kept items (sampled human review)\n",
        "Detectors miss some personal data; a random sample of the kept items was reviewed by "
        "people, and these are the estimated shares of kept items where each category is "
        "present (95 % intervals; presence before the export's redaction of detected text "
        "spans):\n",
        *[f"- {line}" for line in residual_lines(facts)],
        "",
        "### Other information\n",
        "- Legal basis and other measures: [provider: …]\n",
    ]
    return "\n".join(parts)


def _sensitive_information(facts: dict[str, Any]) -> list[str]:
    n = facts["corpus"]["items"]
    kept = {e["category"]: e for e in facts["kept_exposure"]}
    out = []
    for e in facts["exposure"]:
        k = kept.get(e["category"], {})
        out.append(
            f"{e['label']}: {e['items']:,} of {n:,} audited items ({_pct(e['share'])}); in the "
            f"kept items {k.get('items', 0):,} ({_pct(k.get('share'))})."
        )
    return out + [f"Residual after review — {line}" for line in residual_lines(facts)]


def croissant(facts: dict[str, Any]) -> dict[str, Any]:
    """A Croissant 1.0 JSON-LD description with the Responsible-AI (``rai:``) fields."""
    c = facts["corpus"]
    kinds = sorted({s["type"] for s in facts["sources"]})
    sources = "; ".join(
        f"{s['platform']} ({s['source_file']}, {s['items']:,} items)" for s in facts["sources"]
    )
    platform_items: dict[str, int] = {}
    for s in facts["sources"]:
        platform_items[s["platform"]] = platform_items.get(s["platform"], 0) + s["items"]
    kept_by_platform: dict[str, int] = {}
    for s in facts["sources"]:
        kept_by_platform[s["platform"]] = kept_by_platform.get(s["platform"], 0) + s["kept_items"]
    biases = [
        "Share of items by platform: "
        + ", ".join(f"{p} {_share(k, c['items'])}" for p, k in sorted(platform_items.items())),
        "Share of each platform's items kept after the audit: "
        + ", ".join(f"{p} {_share(kept_by_platform[p], k)}" for p, k in sorted(platform_items.items()))
        + " (exclusions are not uniform across platforms, so the kept set over-represents "
        "platforms with fewer flags).",
    ]  # fmt: skip
    measures = [
        f"{m['category']}: {m['flagged_items']:,} items flagged, {m['excluded_items']:,} "
        f"excluded, {m['redacted_kept_items']:,} kept with personal data redacted"
        for m in facts["measures"]
    ]
    a = facts["assurance"]
    annotation = (
        [f"A random sample of {a['design']['n']:,} kept items (seed {a['design']['seed']}, "
         f"{'stratified by ' + a['design']['stratify'] if a['design']['stratify'] else 'simple random'}) "
         "was reviewed by people for: " + ", ".join(c.label for c in REVIEW_CATEGORIES) + "."]
        if a["design"] else []
    )  # fmt: skip
    return {
        "@context": CROISSANT_CONTEXT,
        "@type": "sc:Dataset",
        "name": facts["corpus_name"],
        "description": (
            f"Social-media training corpus audited by {facts['tool']} (run {facts['run_id']}): "
            f"{c['items']:,} items, {c['kept_items']:,} kept for training."
        ),
        "conformsTo": CROISSANT_CONFORMS_TO,
        "rai:dataCollection": (
            f"Collected from: {sources}. Items posted {_day(c['first_post'])} to "
            f"{_day(c['last_post'])} ({c['undated']:,} undated)."
        ),
        "rai:dataCollectionType": kinds,
        "rai:personalSensitiveInformation": _sensitive_information(facts),
        "rai:dataBiases": biases,
        "rai:dataLimitations": [
            "Personal data, minors and faces were found by automated detectors whose recall is "
            "below 1; the residual shares in rai:personalSensitiveInformation are sample "
            "estimates with 95 % intervals, not counts."
        ],
        "rai:dataPreprocessingProtocol": [
            f"Policy rules of the audit applied per item; {c['items'] - c['kept_items']:,} "
            "items excluded, personal data in kept texts redacted by rule.",
            *measures,
            *[
                f"Opt-out / reservation signal '{s['label']}': {s['items']:,} items, "
                f"{s['excluded_items']:,} excluded"
                for s in facts["tdm"]
            ],
        ],  # fmt: skip
        "rai:dataAnnotationProtocol": annotation,
    }


def dataset_card_markdown(facts: dict[str, Any]) -> str:
    """A "Personal and Sensitive Information" section for a Hugging Face dataset card."""
    c = facts["corpus"]
    lines = [
        "### Personal and Sensitive Information\n",
        f"<!-- {_provenance(facts)} -->\n",
        f"The corpus was audited item by item for personal and sensitive information; "
        f"{c['items'] - c['kept_items']:,} of {c['items']:,} items "
        f"({_share(c['items'] - c['kept_items'], c['items'])}) were excluded and personal data "
        "in the remaining texts was redacted where a rule asked for it.\n",
        "| Category | Audited items | Share | Kept items | Share of kept |",
        "|---|---|---|---|---|",
    ]
    kept = {e["category"]: e for e in facts["kept_exposure"]}
    for e in facts["exposure"]:
        k = kept.get(e["category"], {})
        lines.append(
            f"| {e['label']} | {e['items']:,} | {_pct(e['share'])} | {k.get('items', 0):,} | "
            f"{_pct(k.get('share'))} |"
        )
    lines += [
        "",
        "Opt-outs and text-and-data-mining reservations: "
        + "; ".join(
            f"{s['label']}: {s['items']:,} items, {s['excluded_items']:,} excluded"
            for s in facts["tdm"]
        )
        + ".\n",  # fmt: skip
        "Detectors do not find everything. Residual estimates from a human review of a random "
        "sample of the kept items (95 % intervals; presence before the redaction of detected "
        "text spans):\n",
        *[f"- {line}" for line in residual_lines(facts)],
        "",
    ]
    return "\n".join(lines)
