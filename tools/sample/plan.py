"""Who posts what, where and when in the sample corpus (no file formats here).

All choices come from one seeded ``random.Random`` and one ``labelled_captions`` stream, in
a fixed order, so the plan (and therefore every file) is reproducible.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from audit.synth.corpus import LabelledText, age_reveal_caption, caption, labelled_captions
from audit.synth.values import FIRST_NAMES, LAST_NAMES
from tools.synthetic_exports import Author, Post, no_unauthenticated_label
from tools.synthetic_images import BROKEN, image_plan

SEED = 20240601
#: Items per source (reddit split in submissions and comments).
COUNTS = {
    "mastodon": 1200,
    "bluesky": 800,
    "reddit_submissions": 700,
    "reddit_comments": 500,
    "twitter": 500,
    "laion": 300,
    "app": 1000,
}
#: Ordinary image posts per source (minor-revealer image posts and broken refs come on top).
IMAGE_POSTS = {"mastodon": 24, "bluesky": 20, "reddit_submissions": 18, "twitter": 18, "app": 24}
#: Authors per source: several posts each so per-author rules have something to aggregate.
AUTHORS = {"mastodon": 160, "bluesky": 120, "reddit": 150, "twitter": 60, "app": 140}
MINOR_REVEALERS = {"mastodon": 2, "bluesky": 2, "app": 3}
MASTODON_VISIBILITY = {"public": 62, "unlisted": 20, "private": 11, "direct": 7}
APP_VISIBILITY = {
    "public": 58,
    "followers": 14,
    "private": 9,
    "unlisted": 5,
    "direct": 4,
    "unknown": 10,
}
SUBREDDITS = (  # (name, subreddit_type, over_18)
    ("pics", "public", False),
    ("aww", "public", False),
    ("cooking", "public", False),
    ("photography", "public", False),
    ("teenagers", "public", False),
    ("mildlyinteresting", "public", False),
    ("AskReddit", "public", False),
    ("announcements", "restricted", False),
    ("oldphotos_archive", "archived", False),
    ("family_only", "private", False),
    ("u_examplecreator", "user", False),
    ("nsfw_art_example", "public", True),
)
SELF_TITLES = (
    "Quick question",
    "Update",
    "Finally happened",
    "Need advice",
    "Thoughts?",
    "Weekly thread",
)
START = dt.datetime(2022, 1, 1)
SPAN_SECONDS = 3 * 365 * 86400
BROKEN_REFS = {  # source -> image file that is corrupt, truncated, empty or missing
    "mastodon": "corrupt.jpg",
    "bluesky": "truncated.jpg",
    "app": "empty.jpg",
    "twitter": "img_404.jpg",  # not in images/: a missing file
}
BAD_BLUESKY_CREATED_AT = "2023-02-30T25:61:00Z"


@dataclass
class SamplePlan:
    """The posts of every source, in file order."""

    posts: dict[str, list[Post]]
    special: dict[str, list[str]] = field(default_factory=dict)  # notable author usernames

    @property
    def counts(self) -> dict[str, object]:
        """Per-source item counts, image references and visibility spreads (for the README)."""
        out: dict[str, object] = {name: len(posts) for name, posts in self.posts.items()}
        out["image_items"] = sum(1 for posts in self.posts.values() for p in posts if p.image)
        out["distinct_images_referenced"] = len(
            {p.image for ps in self.posts.values() for p in ps if p.image}
        )
        for name in ("mastodon", "app", "reddit_submissions"):
            out[f"visibility_{name}"] = dict(
                sorted(Counter(p.visibility for p in self.posts[name]).items())
            )
        return out


class _Captions:
    """A single caption stream shared by all sources, consumed in a fixed order."""

    def __init__(self, captions: list[LabelledText]) -> None:
        self._it: Iterator[LabelledText] = iter(captions)

    def next(self) -> LabelledText:
        return next(self._it)


def _when(rng: random.Random) -> dt.datetime:
    return START + dt.timedelta(
        seconds=rng.randrange(SPAN_SECONDS), milliseconds=rng.randrange(1000)
    )


def _authors(rng: random.Random, source: str, n: int) -> list[Author]:
    out = []
    for i in range(n):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        username = f"{first.lower()}_{''.join(c for c in last.lower() if c.isalpha())[:6]}{i}"
        created = dt.datetime(2016, 1, 1) + dt.timedelta(seconds=rng.randrange(6 * 365 * 86400))
        out.append(Author(f"{source}:{i}", username, f"{first} {last}", created))
    return out


#: Captions written by a minor about themselves (synth templates: "{AGE_CUE_IM} and ...",
#: "First day in {grade}", "Back to school selfie, {grade}", "Turning N next week"); parents'
#: captions ("my 12 yo", "#kidsofinstagram") stay with any author.
SELF_VOICED_MINOR = re.compile(
    r"\b(?:I'm|im|I am) 1[0-7]\b|^(?:repost: )?(?:First day in|Back to school selfie|Turning 1)"
)
#: Every YOUNG_EVERY-th author of a source's ordinary pool (from YOUNG_OFFSET) is a teenager
#: who may post such captions.
YOUNG_EVERY, YOUNG_OFFSET = 12, 5


def _zipf_pick(rng: random.Random, authors: list[Author]) -> Author:
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(authors))]
    return rng.choices(authors, weights=weights)[0]


def _image_cycle(rng: random.Random) -> Iterator[str]:
    names = [s.filename for s in image_plan() if s.encoding not in BROKEN]
    while True:
        rng.shuffle(names)
        yield from names


def _posts(
    rng: random.Random,
    caps: _Captions,
    source: str,
    authors: list[Author],
    images: Iterator[str],
) -> list[Post]:
    """Ordinary posts, minor revealers (one text-only age post + image posts) and a broken ref."""
    total, n_images = COUNTS[source], IMAGE_POSTS.get(source, 0)
    posts: list[Post] = []
    for _ in range(MINOR_REVEALERS.get(source, 0)):
        author = authors.pop()  # a dedicated author, not in the ordinary pool
        author.flags["minor_revealer"] = True
        posts.append(Post(0, author, _when(rng), age_reveal_caption(rng, rng.randint(13, 15))))
        for _ in range(3):  # image posts with no textual hint of age
            image = f"../images/{next(images)}"
            posts.append(Post(0, author, _when(rng), caption(rng, "plain"), image))
    image_slots = set(rng.sample(range(total - len(posts)), n_images))
    young = authors[YOUNG_OFFSET::YOUNG_EVERY]  # fixed by position: no random draw moves
    for i in range(total - len(posts)):
        image = f"../images/{next(images)}" if i in image_slots else None
        author, text = _zipf_pick(rng, authors), caps.next()
        if young and SELF_VOICED_MINOR.search(text.text):
            # a teenager's own words ("I'm 14", "first day in 8th grade") belong to a young
            # author: on a random (often adult) author they would make an adult a minor
            author = young[i % len(young)]
            author.flags["young"] = True
        posts.append(Post(0, author, _when(rng), text, image))
    if source in BROKEN_REFS:
        posts[len(posts) // 2].image = f"../images/{BROKEN_REFS[source]}"
    rng.shuffle(posts)
    for seq, post in enumerate(posts, start=1):
        post.seq = seq
    return posts


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _mastodon(rng: random.Random, caps: _Captions, images: Iterator[str]) -> list[Post]:
    authors = _authors(rng, "mastodon", AUTHORS["mastodon"])
    for a in authors:
        a.flags.update(
            indexable=rng.random() > 0.12,
            noindex=rng.random() < 0.06,
            discoverable=rng.random() > 0.15,
            locked=rng.random() < 0.08,
            bot=rng.random() < 0.03,
        )
    posts = _posts(rng, caps, "mastodon", authors, images)
    for p in posts:
        p.visibility = _weighted(rng, MASTODON_VISIBILITY)
        if rng.random() < 0.08:
            p.extra.update(
                sensitive=True, spoiler_text=rng.choice(["", "cw: food", "eye contact", "politics"])
            )
        if p.image and rng.random() < 0.5:
            p.extra["alt"] = "A photo shared by the author"
    return posts


def _bluesky(rng: random.Random, caps: _Captions, images: Iterator[str]) -> list[Post]:
    authors = _authors(rng, "bluesky", AUTHORS["bluesky"])
    for a in authors:
        labels = [no_unauthenticated_label(a, a.created_at)] if rng.random() < 0.1 else []
        a.flags["labels"] = labels
    posts = _posts(rng, caps, "bluesky", authors, images)
    posts[17].extra["createdAt_override"] = BAD_BLUESKY_CREATED_AT
    return posts


def _reddit(
    rng: random.Random, caps: _Captions, images: Iterator[str]
) -> tuple[list[Post], list[Post]]:
    authors = _authors(rng, "reddit", AUTHORS["reddit"])
    deleted = Author("reddit:deleted", "[deleted]", "", dt.datetime(2016, 1, 1))
    authors.insert(len(authors) // 3, deleted)  # mid-pool: a realistic share of deleted posts
    submissions = _posts(rng, caps, "reddit_submissions", authors, images)
    comments = _posts(rng, caps, "reddit_comments", authors, images)
    for p in submissions + comments:
        name, kind, nsfw = rng.choice(SUBREDDITS)
        p.visibility = kind
        p.extra.update(subreddit=name, over_18=nsfw)
        if rng.random() < 0.03:
            p.extra["removed_by_category"] = "moderator"
        if p.author is not deleted and rng.random() < 0.025:
            p.author = deleted  # account deleted after posting
    return submissions, comments


def _twitter(rng: random.Random, caps: _Captions, images: Iterator[str]) -> list[Post]:
    authors = _authors(rng, "twitter", AUTHORS["twitter"])
    for a in authors:
        a.flags.update(
            protected=rng.random() < 0.1,
            verified=rng.random() < 0.1,
            location=rng.choice(
                [None, None, "Lisbon", "Toronto", "somewhere on earth", "Nairobi, Kenya"]
            ),
        )
    posts = _posts(rng, caps, "twitter", authors, images)
    for p in posts:
        p.extra["sensitive"] = rng.random() < 0.03
    return posts


def _laion(rng: random.Random, caps: _Captions) -> list[Post]:
    nobody = Author("laion", "", "", START)
    return [Post(i + 1, nobody, _when(rng), caps.next()) for i in range(COUNTS["laion"])]


def _app(
    rng: random.Random, caps: _Captions, images: Iterator[str]
) -> tuple[list[Post], list[str]]:
    authors = _authors(rng, "app", AUTHORS["app"])
    for a in authors:
        roll = rng.random()
        if roll < 0.15:  # minors: born 2007-2011, so 11-17 during 2022-2024
            a.birth_date = dt.date(rng.randint(2007, 2011), rng.randint(1, 12), rng.randint(1, 28))
        elif roll < 0.7:
            a.birth_date = dt.date(rng.randint(1955, 2003), rng.randint(1, 12), rng.randint(1, 28))
        a.flags["opt_out_all"] = rng.random() < 0.03
    for a in authors[-MINOR_REVEALERS["app"] :]:
        a.birth_date = None  # revealers: only their words say they are minors
    posts = _posts(rng, caps, "app", authors, images)
    by_author: dict[str, list[Post]] = {}
    for p in posts:
        p.visibility = _weighted(rng, APP_VISIBILITY)
        p.extra.update(
            opt_out=bool(p.author.flags["opt_out_all"]),
            noai=rng.random() < 0.03,
            license=rng.choice(
                [None, None, "CC-BY-4.0", "CC-BY-NC-4.0", "CC0-1.0", "all-rights-reserved"]
            ),
            deleted=rng.random() < 0.02,
        )
        by_author.setdefault(p.author.username, []).append(p)
    # A few authors opted out on exactly one of their items (e.g. a per-post toggle).
    candidates = sorted(
        u for u, ps in by_author.items() if len(ps) >= 3 and not ps[0].author.flags["opt_out_all"]
    )
    partial = rng.sample(candidates, 3)
    for username in partial:
        rng.choice(by_author[username]).extra["opt_out"] = True
    return posts, partial


def make_plan(seed: int = SEED) -> SamplePlan:
    """The full, reproducible sample plan."""
    rng = random.Random(seed)
    caps = _Captions(labelled_captions(sum(COUNTS.values()), seed))
    images = _image_cycle(random.Random(seed + 1))
    mastodon = _mastodon(rng, caps, images)
    bluesky = _bluesky(rng, caps, images)
    submissions, comments = _reddit(rng, caps, images)
    twitter = _twitter(rng, caps, images)
    laion = _laion(rng, caps)
    app, partial_opt_out = _app(rng, caps, images)
    posts = {
        "mastodon": mastodon,
        "bluesky": bluesky,
        "reddit_submissions": submissions,
        "reddit_comments": comments,
        "twitter": twitter,
        "laion": laion,
        "app": app,
    }
    revealers = sorted(
        {
            p.author.username
            for ps in posts.values()
            for p in ps
            if p.author.flags.get("minor_revealer")
        }
    )
    return SamplePlan(
        posts, {"minor_revealers": revealers, "partial_opt_out": sorted(partial_opt_out)}
    )
