"""The comment tagger on the labelled set (tests/data/comments_labelled.csv) and on the blind set
(tests/data/comments_blind.csv, written before the lexicon was read and never tuned on): precision and
recall per theme and for the integrity signal, on every labelled row, on its held-out rows and on the
blind set, against a
naive tagger that matches the same lexicon's terms as substrings of the lower-cased comment (no affixes,
slang, repeated letters or negation); and comments tagged per second by a new lexicon (its caches empty),
against that naive tagger."""
import csv
import statistics
import time
from pathlib import Path

from skm import themes

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
LABELLED = DATA / "comments_labelled.csv"
BLIND = DATA / "comments_blind.csv"
RUNS = 5


def rows(split=None, path=LABELLED):
    with open(path, encoding="utf-8", newline="") as file:
        return [(r["comment"], set(filter(None, r["themes"].split(";"))), r["integrity"] == "1")
                for r in csv.DictReader(file) if split is None or r["split"] == split]


def naive_tagger(lexicon_data: dict):
    """Substring matching of the lexicon's plain terms (those without '*'), as a first attempt would."""
    def plain(terms):
        return [t.lower() for t in terms if "*" not in t]
    praise = plain(t for theme in lexicon_data["tema"].values() for t in theme.get("pujian", []))
    by_theme = {code: plain(t for kind in themes.THEME_KINDS if kind != "pujian" for t in theme.get(kind, []))
                for code, theme in lexicon_data["tema"].items() if code != themes.PRAISE}
    signals = plain(t for signal in lexicon_data["integritas"].values() for t in signal["tanda"])

    def tag(text):
        low = text.lower()
        found = {code for code, terms in by_theme.items() if any(term in low for term in terms)}
        if any(term in low for term in praise):
            found.add(themes.PRAISE)
        return found, any(term in low for term in signals)
    return tag


def tagger(text):
    tagging = themes.tag(text)
    return set(tagging.themes), bool(tagging.integrity)


def per_second(tag, texts) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        for text in texts:
            tag(text)
        times.append(time.perf_counter() - start)
    return len(texts) / statistics.median(times)


def per_second_fresh(texts) -> float:
    times = []
    for _ in range(RUNS):
        lexicon = themes.load_lexicon()
        start = time.perf_counter()
        for text in texts:
            lexicon.tag(text)
        times.append(time.perf_counter() - start)
    return len(texts) / statistics.median(times)


def run():
    lexicon = themes.default_lexicon()
    naive = naive_tagger(themes.parse(themes.shipped_text(), "themes.toml"))
    results = {}
    for split, path, prefix in ((None, LABELLED, "themes"), ("holdout", LABELLED, "themes_holdout"),
                                (None, BLIND, "themes_blind")):
        labelled = rows(split, path)
        ours = themes.score(labelled, tagger, lexicon.themes)
        theirs = themes.score(labelled, naive, lexicon.themes)
        print(f"   {prefix}: {len(labelled)} comments")
        for code, s in ours.items():
            for measure in ("precision", "recall"):
                value, base = getattr(s, measure), getattr(theirs[code], measure)
                results[f"{prefix}_{code}_{measure}"] = {
                    "value": value, "unit": "ratio", "baseline_name": "naive substring match on the same lexicon",
                    "baseline": base, "ratio": value / base if base else 0.0}
    texts = [text for text, _, _ in rows()]
    # A fresh lexicon per run: its caches of words and taggings start empty, as a first page read's do.
    ours_rate = per_second_fresh(texts)
    naive_rate = per_second(naive, texts)
    results["themes_comments_per_second"] = {
        "value": ours_rate, "unit": "comments/s", "baseline_name": "naive substring match on the same lexicon",
        "baseline": naive_rate, "ratio": ours_rate / naive_rate}
    return results
