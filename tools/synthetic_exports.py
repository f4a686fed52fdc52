"""Render synthetic posts in each platform's real export shape (field names as the APIs serve them).

Shapes: Mastodon ``Status`` (REST API), Bluesky ``app.bsky.feed.defs#postView``, Reddit
Link/Comment (Pushshift / API objects), X API v2 response pages (twarc2 JSONL), LAION
metadata rows and the canonical schema (first-party ``app`` export). Ids are derived from
a post's timestamp and a counter the way each platform builds them (Mastodon/Twitter
snowflakes, atproto TIDs, Reddit base36), so output is deterministic.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
from dataclasses import dataclass, field

from audit.synth.corpus import LabelledText

_B32_SORT = "234567abcdefghijklmnopqrstuvwxyz"  # atproto TID alphabet
_B32 = "abcdefghijklmnopqrstuvwxyz234567"  # multibase base32 (CIDs, did:plc)
_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"
_TWITTER_EPOCH_MS = 1288834974657
MASTODON_HOST = "social.example"
_HASHTAG_RE = re.compile(r"#(\w+)")


@dataclass
class Author:
    """A synthetic account; ``flags`` hold platform-specific settings (indexable, protected ...)."""

    key: str  # stable seed for ids
    username: str
    display_name: str
    created_at: dt.datetime
    birth_date: dt.date | None = None
    flags: dict[str, object] = field(default_factory=dict)


@dataclass
class Post:
    """A synthetic post before rendering: who, when, what, which image, which audience."""

    seq: int  # unique per platform, drives ids
    author: Author
    created_at: dt.datetime
    caption: LabelledText
    image: str | None = None  # path relative to the export file, e.g. "../images/img_007.jpg"
    visibility: str = "public"  # in the platform's own vocabulary
    extra: dict[str, object] = field(default_factory=dict)


def iso_z(ts: dt.datetime, millis: bool = True) -> str:
    """ISO 8601 UTC with a Z suffix, as the APIs print it."""
    return (
        ts.strftime("%Y-%m-%dT%H:%M:%S")
        + (f".{ts.microsecond // 1000:03d}" if millis else "")
        + "Z"
    )


def _digest(*parts: object) -> bytes:
    return hashlib.sha256("|".join(map(str, parts)).encode()).digest()


def _encode(number: int, alphabet: str, width: int = 0) -> str:
    out = ""
    while number:
        number, rem = divmod(number, len(alphabet))
        out = alphabet[rem] + out
    return out.rjust(width, alphabet[0]) or alphabet[0]


def _epoch_ms(ts: dt.datetime) -> int:
    return int(ts.replace(tzinfo=dt.UTC).timestamp() * 1000)


def snowflake(ts: dt.datetime, seq: int) -> str:
    """A Mastodon-style id: milliseconds since 1970 shifted left 16 bits, plus a sequence."""
    return str((_epoch_ms(ts) << 16) | (seq & 0xFFFF))


def twitter_id(ts: dt.datetime, seq: int) -> str:
    """A Twitter snowflake: ms since the Twitter epoch << 22, plus worker/sequence bits."""
    return str(((_epoch_ms(ts) - _TWITTER_EPOCH_MS) << 22) | (seq & 0x3FFFFF))


def tid(ts: dt.datetime, seq: int) -> str:
    """An atproto TID: 13 sortable base32 chars of (microseconds << 10 | clock id)."""
    micros = _epoch_ms(ts) * 1000 + ts.microsecond % 1000
    return _encode((micros << 10) | (seq & 0x3FF), _B32_SORT, 13)


def cid(*parts: object) -> str:
    """A CIDv1-looking string (``bafyrei`` + base32 of a hash)."""
    return "bafyrei" + _encode(int.from_bytes(_digest(*parts)), _B32, 52)[:52]


def did_plc(key: str) -> str:
    """A did:plc identifier (24 base32 chars)."""
    return "did:plc:" + _encode(int.from_bytes(_digest("did", key)), _B32)[:24]


def base36(number: int) -> str:
    """Reddit's base36 ids."""
    return _encode(number, _B36)


def _utf8_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


# --- Mastodon ---------------------------------------------------------------------------


def mastodon_account(author: Author) -> dict[str, object]:
    """A Mastodon Account entity (the fields consent rules care about, plus the usual ones)."""
    f = author.flags
    return {
        "id": snowflake(author.created_at, int.from_bytes(_digest(author.key)[:2])),
        "username": author.username,
        "acct": author.username,
        "display_name": author.display_name,
        "locked": bool(f.get("locked", False)),
        "bot": bool(f.get("bot", False)),
        "discoverable": bool(f.get("discoverable", True)),
        "indexable": bool(f.get("indexable", True)),
        "noindex": bool(f.get("noindex", False)),
        "group": False,
        "created_at": iso_z(author.created_at),
        "note": "",
        "url": f"https://{MASTODON_HOST}/@{author.username}",
        "uri": f"https://{MASTODON_HOST}/users/{author.username}",
        "avatar": f"https://{MASTODON_HOST}/avatars/original/missing.png",
        "followers_count": int(f.get("followers", 0)),
        "following_count": int(f.get("following", 0)),
        "statuses_count": int(f.get("statuses", 0)),
        "emojis": [],
        "fields": [],
    }


def mastodon_html(caption: LabelledText) -> str:
    """Status ``content`` HTML: escaped text in ``<p>``, URL spans as links, one ``<br>`` sometimes."""
    pieces, cursor = [], 0
    for span in caption.spans:
        if span.entity_type == "URL":
            pieces.append(html.escape(caption.text[cursor : span.start], quote=False))
            href = html.escape(caption.text[span.start : span.end])
            pieces.append(f'<a href="{href}" rel="nofollow noopener" target="_blank">{href}</a>')
            cursor = span.end
    pieces.append(html.escape(caption.text[cursor:], quote=False))
    body = "".join(pieces)
    # Real posts often break a line after the first sentence.
    return "<p>" + body.replace(". ", ".<br>", 1) + "</p>"


def mastodon_status(post: Post) -> dict[str, object]:
    """A Mastodon Status entity as ``GET /api/v1/statuses/:id`` serves it."""
    status_id = snowflake(post.created_at, post.seq)
    user = post.author.username
    media = []
    if post.image:
        media_id = snowflake(post.created_at, post.seq + 1)
        media.append(
            {
                "id": media_id,
                "type": "image",
                "url": post.image,
                "preview_url": post.image,
                "remote_url": None,
                "description": post.extra.get("alt"),
                "blurhash": None,
            }
        )
    tags = sorted(set(_HASHTAG_RE.findall(post.caption.text)))
    return {
        "id": status_id,
        "uri": f"https://{MASTODON_HOST}/users/{user}/statuses/{status_id}",
        "url": f"https://{MASTODON_HOST}/@{user}/{status_id}",
        "created_at": iso_z(post.created_at),
        "in_reply_to_id": None,
        "in_reply_to_account_id": None,
        "sensitive": bool(post.extra.get("sensitive", False)),
        "spoiler_text": str(post.extra.get("spoiler_text", "")),
        "visibility": post.visibility,
        "language": "en",
        "replies_count": post.seq % 4,
        "reblogs_count": post.seq % 7,
        "favourites_count": post.seq % 13,
        "edited_at": None,
        "content": mastodon_html(post.caption),
        "reblog": None,
        "application": None,
        "account": mastodon_account(post.author),
        "media_attachments": media,
        "mentions": [],
        "tags": [
            {"name": t.lower(), "url": f"https://{MASTODON_HOST}/tags/{t.lower()}"} for t in tags
        ],
        "emojis": [],
        "card": None,
        "poll": None,
    }


# --- Bluesky ----------------------------------------------------------------------------


def bluesky_handle(author: Author) -> str:
    """``<username>.bsky.social``-style handle."""
    return f"{author.username.replace('_', '-')}.bsky.social"


def bluesky_facets(caption: LabelledText) -> list[dict[str, object]]:
    """Rich-text facets for URL and handle spans (UTF-8 byte offsets, as the lexicon requires)."""
    facets = []
    for span in caption.spans:
        value = caption.text[span.start : span.end]
        if span.entity_type == "URL":
            feature = {"$type": "app.bsky.richtext.facet#link", "uri": value}
        elif span.entity_type == "SOCIAL_HANDLE":
            feature = {"$type": "app.bsky.richtext.facet#mention", "did": did_plc(value)}
        else:
            continue
        index = {
            "byteStart": _utf8_offset(caption.text, span.start),
            "byteEnd": _utf8_offset(caption.text, span.end),
        }
        facets.append({"index": index, "features": [feature]})
    return facets


def bluesky_post_view(post: Post) -> dict[str, object]:
    """An ``app.bsky.feed.defs#postView`` (the shape getPosts / getTimeline return)."""
    author = post.author
    did = did_plc(author.key)
    record: dict[str, object] = {
        "$type": "app.bsky.feed.post",
        "text": post.caption.text,
        "createdAt": str(post.extra.get("createdAt_override") or iso_z(post.created_at)),
        "langs": ["en"],
    }
    facets = bluesky_facets(post.caption)
    if facets:
        record["facets"] = facets
    view: dict[str, object] = {
        "uri": f"at://{did}/app.bsky.feed.post/{tid(post.created_at, post.seq)}",
        "cid": cid("post", author.key, post.seq),
        "author": {
            "did": did,
            "handle": bluesky_handle(author),
            "displayName": author.display_name,
            "labels": list(author.flags.get("labels", [])),
            "createdAt": iso_z(author.created_at),
        },
        "record": record,
    }
    if post.image:
        alt = str(post.extra.get("alt") or "")
        view["embed"] = {
            "$type": "app.bsky.embed.images#view",
            "images": [{"thumb": post.image, "fullsize": post.image, "alt": alt}],
        }
        record["embed"] = {
            "$type": "app.bsky.embed.images",
            "images": [
                {
                    "alt": alt,
                    "image": {
                        "$type": "blob",
                        "ref": {"$link": cid("blob", post.image)},
                        "mimeType": "image/jpeg",
                        "size": 0,
                    },
                }
            ],
        }
    view.update(
        {
            "replyCount": post.seq % 3,
            "repostCount": post.seq % 5,
            "likeCount": post.seq % 17,
            "quoteCount": 0,
            "indexedAt": iso_z(post.created_at + dt.timedelta(seconds=2)),
            "labels": [],
        }
    )
    return view


def no_unauthenticated_label(author: Author, when: dt.datetime) -> dict[str, object]:
    """The self-label an author sets to hide from logged-out viewers."""
    did = did_plc(author.key)
    return {
        "src": did,
        "uri": f"at://{did}/app.bsky.actor.profile/self",
        "val": "!no-unauthenticated",
        "cts": iso_z(when),
    }


# --- Reddit -----------------------------------------------------------------------------


def _reddit_common(post: Post) -> dict[str, object]:
    author = post.author
    deleted = author.username == "[deleted]"
    sub = str(post.extra["subreddit"])
    return {
        "author": author.username,
        "author_fullname": None
        if deleted
        else "t2_" + base36(int.from_bytes(_digest(author.key)[:4])),
        "subreddit": sub,
        "subreddit_id": "t5_" + base36(int.from_bytes(_digest("sub", sub)[:3])),
        "subreddit_type": post.visibility,
        "created_utc": int(post.created_at.replace(tzinfo=dt.UTC).timestamp()),
        "score": post.seq % 250,
        "removed_by_category": post.extra.get("removed_by_category"),
    }


def reddit_submission(post: Post, title: str, selftext: str) -> dict[str, object]:
    """A Reddit Link (t3) object; image posts carry ``post_hint: image`` and a relative ``url``."""
    rid = base36(2_000_000_000 + post.seq * 37)
    sub = str(post.extra["subreddit"])
    slug = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")[:40]
    permalink = f"/r/{sub}/comments/{rid}/{slug}/"
    obj: dict[str, object] = {"id": rid, "name": f"t3_{rid}", **_reddit_common(post)}
    obj.update(
        {
            "title": title,
            "selftext": selftext,
            "is_self": post.image is None,
            "url": post.image or f"https://www.reddit.com{permalink}",
            "permalink": permalink,
            "num_comments": post.seq % 40,
            "over_18": bool(post.extra.get("over_18", False)),
            "domain": f"self.{sub}" if post.image is None else "i.redd.it",
        }
    )
    if post.image:
        obj["post_hint"] = "image"
    return obj


def reddit_comment(post: Post, link_id: str, parent_id: str) -> dict[str, object]:
    """A Reddit Comment (t1) object under submission ``link_id``."""
    rid = base36(3_000_000_000 + post.seq * 41)
    sub = str(post.extra["subreddit"])
    obj: dict[str, object] = {"id": rid, "name": f"t1_{rid}", **_reddit_common(post)}
    obj.update(
        {
            "body": str(post.extra.get("body_override") or post.caption.text),
            "link_id": link_id,
            "parent_id": parent_id,
            "permalink": f"/r/{sub}/comments/{link_id[3:]}/_/{rid}/",
            "is_submitter": False,
        }
    )
    return obj


# --- X / Twitter v2 ---------------------------------------------------------------------


def tweet(post: Post) -> dict[str, object]:
    """An X API v2 Tweet object with the requested expansions' keys."""
    tweet_id = twitter_id(post.created_at, post.seq)
    obj: dict[str, object] = {
        "id": tweet_id,
        "text": post.caption.text,
        "author_id": twitter_user_id(post.author),
        "created_at": iso_z(post.created_at),
        "lang": "en",
        "possibly_sensitive": bool(post.extra.get("sensitive", False)),
        "conversation_id": tweet_id,
        "edit_history_tweet_ids": [tweet_id],
    }
    if post.image:
        obj["attachments"] = {"media_keys": [f"3_{tweet_id}"]}
    if post.extra.get("quoted_id"):
        obj["referenced_tweets"] = [{"type": "quoted", "id": post.extra["quoted_id"]}]
    return obj


def twitter_user_id(author: Author) -> str:
    """A numeric user id."""
    return str(int.from_bytes(_digest("user", author.key)[:6]))


def twitter_user(author: Author) -> dict[str, object]:
    """An X API v2 User object."""
    return {
        "id": twitter_user_id(author),
        "username": author.username,
        "name": author.display_name,
        "protected": bool(author.flags.get("protected", False)),
        "verified": bool(author.flags.get("verified", False)),
        "location": author.flags.get("location"),
        "created_at": iso_z(author.created_at),
    }


def twitter_page(posts: list[Post]) -> dict[str, object]:
    """One twarc2 JSONL line: a v2 search/timeline response page with ``includes``."""
    tweets = [tweet(p) for p in posts]
    users = {twitter_user_id(p.author): twitter_user(p.author) for p in posts}
    media = [
        {"media_key": f"3_{t['id']}", "type": "photo", "url": p.image, "width": 640, "height": 480}
        for p, t in zip(posts, tweets, strict=True)
        if p.image
    ]
    ids = sorted((str(t["id"]) for t in tweets), key=int)
    return {
        "data": tweets,
        "includes": {"users": list(users.values()), "media": media},
        "meta": {
            "result_count": len(tweets),
            "newest_id": ids[-1],
            "oldest_id": ids[0],
            "next_token": cid("page", ids[0])[7:23],
        },
    }
