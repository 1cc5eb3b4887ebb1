"""Themes of citizens' comments, and the integrity signal (issue 17).

Every comment is tagged with the complaint themes it raises (waiting, officers' attitude, fees, documents,
system, facilities, information, opening hours) and with praise; a comment that reports an illegal levy,
a bribe or a broker carries an integrity signal. The words come from a lexicon shipped as data
(``skm/data/themes.toml``) that an admin may extend with a file of the same form.

Own code, not a stemming library: the tagger only has to find a comment's words in a small lexicon, so it
strips the affixes a word may carry (me-, di-, ber-, ter-, pe-, ke-, se-, -nya, -kan, -an, -i and the
informal ng-/nge-/-in) and keeps the candidate roots the lexicon knows. That copes with informal forms a
dictionary stemmer built for formal text gets wrong ("ngantri", "nungguin"), needs no dictionary of
30,000 roots, and adds no dependency. Spelling is normalised first (repeated letters, a slang map), and
a negation turns the next term around ("tidak lama" is praise, "tidak ramah" a complaint, "tidak ada
pungli" no signal).

Pure: reads its own package data, never the file system otherwise; callers pass an extension's text.
"""
from __future__ import annotations

import hashlib
import json
import re
import threading
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Iterable, Mapping

from .errors import Problem, SkmError

PRAISE = "pujian"
THEME_KINDS = ("keluhan", "pujian", "perlu", "objek")
NEGATION_KINDS = ("kuat", "lemah", "harapan")
WILDCARD = "*"
WILDCARD_SPAN = 3   # words one "*" may stand for
NEGATION_REACH = 3  # skippable words between a negation and its term
CACHED_TAGGINGS = 20_000  # comments whose tagging a lexicon keeps (a few hundred bytes each)
PAIR_REACH = 2      # a problem word and the thing it is about are at most one word apart

CODE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
TERM = re.compile(r"^[a-z0-9* -]+$")
WORD = re.compile(r"[a-z]+|[0-9]+|[.!?;\n]+|[,:()/\"]")
REDUPLICATED = re.compile(r"([a-z]{2,})2([a-z]*)")  # "lama2" -> "lama lama", "mudah2an" -> "mudah mudahan"
RUN3 = re.compile(r"(.)\1{2,}")
RUN2 = re.compile(r"(.)\1")

PARTICLES = ("lah", "kah", "tah", "pun")
POSSESSIVES = ("nya", "ny", "ku", "mu")
SUFFIXES = ("kan", "an", "i", "in")
VOWELS = "aeiou"
# Prefix and the first letters a vowel-initial rest may have lost ("menunggu" -> "tunggu"); "" keeps the rest.
PREFIXES = (("meny", ("s",)), ("peny", ("s",)), ("ny", ("s", "c")), ("meng", ("", "k")), ("peng", ("", "k")),
            ("nge", ("",)), ("ng", ("", "k")), ("mem", ("", "p")), ("pem", ("", "p")), ("men", ("", "t")),
            ("pen", ("", "t")), ("per", ("",)), ("ber", ("",)), ("ter", ("",)), ("me", ("",)), ("pe", ("",)),
            ("di", ("",)), ("ke", ("",)), ("se", ("",)), ("n", ("t",)))

# The form of a lexicon file: section -> key -> "list", "text" or "map"; "tema" and "integritas" hold
# one table per code.
SCHEMA: Mapping[str, Mapping[str, str]] = {
    "normalisasi": {"slang": "map", "utuh": "list", "netral": "list"},
    "negasi": {"kuat": "list", "lemah": "list", "harapan": "list", "lewati": "list", "putus": "list"},
    "masalah": {"kata": "list"},
    "tema": {"label": "text", "label_en": "text", **{k: "list" for k in THEME_KINDS}},
    "integritas": {"label": "text", "label_en": "text", "tema": "text", "tanda": "list"},
}
PER_CODE = ("tema", "integritas")


class InvalidLexicon(SkmError):
    """A themes lexicon file is not of the form the tagger reads; every problem is named with its place."""


@dataclass(frozen=True)
class Label:
    code: str
    label: str
    label_en: str
    theme: str | None = None  # integrity signals: the theme it also counts for

    def name(self, lang: str = "id") -> str:
        return self.label_en if lang == "en" else self.label


@dataclass(frozen=True)
class Tagging:
    """What one comment is about: complaint themes and ``pujian`` (praise) in lexicon order, the
    integrity signals it raises, and the words that led to each."""
    themes: tuple[str, ...]
    praise: bool
    integrity: tuple[str, ...]
    evidence: Mapping[str, tuple[str, ...]]

    @property
    def complaints(self) -> tuple[str, ...]:
        return tuple(t for t in self.themes if t != PRAISE)

    @property
    def sentiment(self) -> str:
        """positif, negatif, campuran (both) or netral (neither)."""
        if self.praise:
            return "campuran" if self.complaints else "positif"
        return "negatif" if self.complaints else "netral"

    def to_dict(self) -> dict[str, Any]:
        return {"themes": list(self.themes), "sentiment": self.sentiment, "praise": self.praise,
                "integrity": list(self.integrity), "evidence": {k: list(v) for k, v in self.evidence.items()}}


@dataclass(frozen=True)
class _Token:
    word: str
    cands: frozenset[str]
    sentence: int
    clause: int


@dataclass(frozen=True)
class _Match:
    start: int
    end: int  # exclusive
    roles: tuple[tuple[str, str], ...]  # (kind, code)

    def has(self, *kinds: str) -> bool:
        return any(kind in kinds for kind, _ in self.roles)


def collapse(word: str) -> str:
    """Runs of three or more letters become one ("lamaaa" -> "lama")."""
    return RUN3.sub(r"\1", word)


_TAGGER_CODE = resources.files(__package__).joinpath("themes.py").read_bytes()  # this module, as the tagger


class Lexicon:
    """A validated lexicon, ready to tag. Build one with ``load_lexicon``."""

    def __init__(self, data: Mapping[str, Any]):
        # What a comment's tagging depends on: the lexicon's data and the tagger's code. Counts stored under
        # one fingerprint (the collector's theme counts) are those of this lexicon and no other.
        self.fingerprint = hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode()
                                          + _TAGGER_CODE).hexdigest()[:16]
        norm = data.get("normalisasi", {})
        self.slang: dict[str, tuple[str, ...]] = {collapse(k.lower()): tuple(v.lower().split())
                                                  for k, v in norm.get("slang", {}).items()}
        self.whole = {w.lower() for w in norm.get("utuh", [])}
        negation = data.get("negasi", {})
        self.skippable = {w for term in negation.get("lewati", []) for w in self._words(term)}
        self.breaks = {w for term in negation.get("putus", []) for w in self._words(term)}
        self.themes = {code: Label(code, t["label"], t["label_en"]) for code, t in data["tema"].items()}
        self.signals = {code: Label(code, s["label"], s["label_en"], s.get("tema"))
                        for code, s in data.get("integritas", {}).items()}
        entries: dict[tuple[str, ...], set[tuple[str, str]]] = {}

        def add(terms: Iterable[str], role: tuple[str, str]) -> None:
            for term in terms:
                words = tuple(self._words(term))
                if words:
                    entries.setdefault(words, set()).add(role)

        for kind in NEGATION_KINDS:
            add(negation.get(kind, []), ("negasi", kind))
        add(norm.get("netral", []), ("netral", ""))
        add(data.get("masalah", {}).get("kata", []), ("masalah", ""))
        for code, theme in data["tema"].items():
            for kind in THEME_KINDS:
                add(theme.get(kind, []), (kind, code))
        for code, signal in data.get("integritas", {}).items():
            add(signal.get("tanda", []), ("tanda", code))
        self.by_first: dict[str, list[tuple[tuple[str, ...], tuple[tuple[str, str], ...]]]] = {}
        self.signal_first: dict[str, list[tuple[tuple[str, ...], tuple[tuple[str, str], ...]]]] = {}
        for words, roles in entries.items():
            self.by_first.setdefault(words[0], []).append((words, tuple(sorted(roles))))
            signal_roles = tuple(sorted(r for r in roles if r[0] == "tanda"))
            if signal_roles:
                self.signal_first.setdefault(words[0], []).append((words, signal_roles))
        self.vocabulary = {w for words in entries for w in words if w != WILDCARD}
        self._cands: dict[str, frozenset[str]] = {}
        self._tagged: dict[str, Tagging] = {}  # a page read again, or a comment seen before, is not re-read
        self._tagging_lock = threading.Lock()

    # -- words ------------------------------------------------------------------------------------------

    def _words(self, text: str) -> list[str]:
        """A text's words, normalised: lower case, repeated letters, the slang map (which may give several)."""
        text = REDUPLICATED.sub(r"\1 \1\2", unicodedata.normalize("NFKC", text).lower())
        out: list[str] = []
        for raw in re.findall(r"[a-z]+|[0-9]+|\*", text):
            word = collapse(raw)
            if word not in self.slang and RUN2.sub(r"\1", word) in self.slang:
                word = RUN2.sub(r"\1", word)
            out.extend(self.slang.get(word, (word,)))
        return out

    def _stems(self, word: str) -> set[str]:
        if word in self.whole:
            return {word}
        forms = {word}
        for group in (PARTICLES, POSSESSIVES, SUFFIXES):
            for form in list(forms):
                forms.update(form[:-len(s)] for s in group if form.endswith(s) and len(form) - len(s) >= 3)
        for _layer in range(2):
            for form in list(forms):
                for prefix, restore in PREFIXES:
                    rest = form[len(prefix):]
                    if not form.startswith(prefix) or len(rest) < 2:
                        continue
                    if rest[0] in VOWELS:
                        forms.update(r + rest for r in restore if len(r + rest) >= 3)
                    elif "" in restore and len(rest) >= 3:
                        forms.add(rest)
        for form in list(forms):
            mapped = self.slang.get(form)
            if mapped and len(mapped) == 1:
                forms.add(mapped[0])
        return forms

    def candidates(self, word: str) -> frozenset[str]:
        """The lexicon words this comment word may be: itself, its slang form or a root under its affixes;
        with doubled letters made single when nothing else is found ("lamaa", "cepatt")."""
        found = self._cands.get(word)
        if found is None:
            found = frozenset(self._stems(word) & self.vocabulary)
            single = RUN2.sub(r"\1", word)
            if not found and single != word and len(single) >= 3:
                found = frozenset(self._stems(single) & self.vocabulary)
            if len(self._cands) < 50_000:
                self._cands[word] = found
        return found

    def tokens(self, text: str) -> list[_Token]:
        text = REDUPLICATED.sub(r"\1 \1\2", unicodedata.normalize("NFKC", text).lower())
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
        out: list[_Token] = []
        sentence = clause = 0
        for piece in WORD.findall(text):
            if not piece[0].isalnum():
                clause += 1
                if piece[0] in ".!?;\n":
                    sentence += 1
                continue
            for word in self._words(piece) if piece.isalpha() else [piece]:
                if word in self.breaks:
                    clause += 1
                    continue
                out.append(_Token(word, self.candidates(word) | {word} & self.vocabulary, sentence, clause))
        return out

    # -- matching ---------------------------------------------------------------------------------------

    def _match_from(self, tokens: list[_Token], words: tuple[str, ...], k: int, j: int, sentence: int) -> int | None:
        """The end of the longest match of ``words[k:]`` at token ``j`` (same sentence), or None."""
        if k == len(words):
            return j
        if words[k] == WILDCARD:
            ends = [self._match_from(tokens, words, k + 1, j + skip, sentence) for skip in range(WILDCARD_SPAN + 1)
                    if j + skip <= len(tokens) and all(t.sentence == sentence for t in tokens[j:j + skip])]
            found = [e for e in ends if e is not None]
            return max(found) if found else None
        if j < len(tokens) and tokens[j].sentence == sentence and words[k] in tokens[j].cands:
            return self._match_from(tokens, words, k + 1, j + 1, sentence)
        return None

    def _matches(self, tokens: list[_Token], by_first=None) -> list[_Match]:
        """Terms found left to right, the longest at each place; a word belongs to one term. ``by_first``:
        the terms to look for (default all)."""
        by_first = self.by_first if by_first is None else by_first
        out: list[_Match] = []
        i = 0
        while i < len(tokens):
            best: tuple[int, int] = (0, 0)  # the longest; then the most words as written ("penjelasan", not "jelas")
            roles: set[tuple[str, str]] = set()
            for cand in tokens[i].cands:
                for words, entry_roles in by_first.get(cand, ()):
                    end = self._match_from(tokens, words, 1, i + 1, tokens[i].sentence)
                    if end is None:
                        continue
                    score = (end, sum(1 for w, t in zip(words, tokens[i:end]) if w == t.word))
                    if score < best:
                        continue
                    if score > best:
                        best, roles = score, set()
                    roles.update(entry_roles)
            best_end = best[0]
            if best_end:
                out.append(_Match(i, best_end, tuple(sorted(roles))))
                i = best_end
            else:
                i += 1
        return out

    def _negation(self, tokens: list[_Token], at: dict[int, _Match], match: _Match) -> str | None:
        """The kind of negation reaching ``match`` from before it (same clause), or None."""
        clause = tokens[match.start].clause
        j, skipped = match.start - 1, 0
        while j >= 0 and tokens[j].clause == clause:
            other = at.get(j)
            if other is not None and other.has("negasi"):
                kinds = {code for kind, code in other.roles if kind == "negasi"}
                return next(k for k in ("harapan", "kuat", "lemah") if k in kinds)
            if other is not None and not other.has("netral") or tokens[j].word not in self.skippable:
                return None
            skipped += 1
            if skipped > NEGATION_REACH:
                return None
            j -= 1
        return None

    def tag(self, text: str | None) -> Tagging:
        text = text or ""
        tagging = self._tagged.get(text)
        if tagging is None:
            tagging = self._tag(text)
            with self._tagging_lock:  # a server's threads share the lexicon
                while len(self._tagged) >= CACHED_TAGGINGS:
                    # The oldest goes: the comments a batch just stored stay for the checks run after it.
                    del self._tagged[next(iter(self._tagged))]
                self._tagged[text] = tagging
        return tagging

    def _tag(self, text: str) -> Tagging:
        tokens = self.tokens(text)
        matches = self._matches(tokens)
        at = {i: m for m in matches for i in range(m.start, m.end)}
        negations = {m.start: self._negation(tokens, at, m) for m in matches}
        # An integrity signal is looked for on its own too, so that a complaint's term taking its first words
        # ("disuruh bayar" of "disuruh bayar lebih biar cepat") never hides it. Not where the words it shares
        # were read as a signal, praise ("tidak dipungut biaya"), a negation or a negated term; it is
        # negated as the term it starts inside is ("tidak disuruh bayar lebih biar cepat").
        hidden: list[_Match] = []
        for s in self._matches(tokens, self.signal_first):
            if any(m.start < s.end and s.start < m.end
                   and (m.has("tanda", "pujian", "negasi") or negations[m.start] is not None)
                   for m in matches):
                continue
            anchor = at.get(s.start)
            hidden.append(s)
            negations.setdefault(s.start, self._negation(tokens, at, anchor if anchor is not None else s))
        problems = [m for m in matches if m.has("masalah") and negations[m.start] is None]
        themes: dict[str, list[str]] = {}
        signals: dict[str, list[str]] = {}

        def words(m: _Match) -> str:
            return " ".join(t.word for t in tokens[m.start:m.end])

        def near_problem(m: _Match) -> _Match | None:
            """A problem word in the same clause, with no other term between them."""
            clause = tokens[m.start].clause
            for p in problems:
                gap = range(m.end, p.start) if p.start >= m.end else range(p.end, m.start)
                words_between = [i for i in gap if tokens[i].word not in self.skippable]
                if p is not m and tokens[p.start].clause == clause and len(words_between) < PAIR_REACH \
                        and not any(i in at and not at[i].has("netral") for i in gap):
                    return p
            return None

        def negated_after(m: _Match) -> bool:
            """A needed thing followed by a negation that turns no complaint around ("kursinya tidak ada")."""
            after = [n for n in matches if n.start >= m.end and n.start - m.end < 2
                     and tokens[n.start].clause == tokens[m.start].clause]
            if not after or not after[0].has("negasi"):
                return False
            following = [n for n in matches if n.start == after[0].end]
            return not (following and following[0].has("keluhan", "masalah"))

        for m in [*matches, *hidden]:
            neg = negations[m.start]
            for kind, code in m.roles:
                if kind == "keluhan":
                    if neg == "kuat":
                        themes.setdefault(PRAISE, []).append(words(m))
                    else:
                        themes.setdefault(code, []).append(words(m))
                elif kind == "pujian":
                    if neg is None:
                        themes.setdefault(PRAISE, []).append(words(m))
                    elif neg in ("kuat", "lemah") and code != PRAISE:
                        themes.setdefault(code, []).append(" ".join(t.word for t in tokens[m.start - 1:m.end]))
                elif kind in ("perlu", "objek"):
                    problem = near_problem(m)
                    if problem is not None:
                        themes.setdefault(code, []).append(f"{words(m)} ~ {words(problem)}")
                    elif kind == "perlu" and (neg in ("kuat", "lemah") or negated_after(m)):
                        themes.setdefault(code, []).append(words(m))
                elif kind == "tanda" and neg == "kuat":
                    themes.setdefault(PRAISE, []).append(words(m))  # "tidak ada pungli"
                elif kind == "tanda" and neg is None:
                    signals.setdefault(code, []).append(words(m))
                    theme = self.signals[code].theme
                    if theme:
                        themes.setdefault(theme, []).append(words(m))
        if signals and PRAISE in themes:  # "bisa tanpa antre kalau bayar": not praise
            reported = {tokens[m.start].sentence for m in [*matches, *hidden]
                        if m.has("tanda") and negations[m.start] is None}
            praised = [m for m in matches if tokens[m.start].sentence not in reported
                       and (m.has("pujian") and negations[m.start] is None
                            or m.has("keluhan", "tanda") and negations[m.start] == "kuat")]
            if not praised:
                del themes[PRAISE]
        order = {code: i for i, code in enumerate(self.themes)}
        signal_order = {code: i for i, code in enumerate(self.signals)}
        found = tuple(sorted(themes, key=order.__getitem__))
        return Tagging(found, PRAISE in themes, tuple(sorted(signals, key=signal_order.__getitem__)),
                       {**{k: tuple(themes[k]) for k in found}, **{k: tuple(signals[k]) for k in signals}})

    def integrity_signals(self, text: str | None) -> list[str]:
        return list(self.tag(text).integrity)


# -- loading and validation ------------------------------------------------------------------------------

def shipped_text() -> str:
    return resources.files("skm").joinpath("data/themes.toml").read_text(encoding="utf-8")


def parse(text: str, source: str) -> dict[str, Any]:
    """A lexicon file's content, checked against ``SCHEMA``; raises InvalidLexicon naming every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidLexicon([Problem("lexicon_not_toml", source, {"error": str(exc)})]) from exc
    problems: list[Problem] = []

    def check(where: str, table: Any, keys: Mapping[str, str]) -> None:
        if not isinstance(table, dict):
            problems.append(Problem("lexicon_not_table", where))
            return
        for key, value in table.items():
            place = f"{where}.{key}"
            kind = keys.get(key)
            if kind is None:
                problems.append(Problem("lexicon_unknown_key", place, {"choices": ", ".join(keys)}))
            elif kind == "text" and (not isinstance(value, str) or not value.strip()):
                problems.append(Problem("lexicon_not_text", place))
            elif kind == "map" and not (isinstance(value, dict) and all(
                    isinstance(k, str) and isinstance(v, str) and TERM.match(k.lower()) and TERM.match(v.lower())
                    and WILDCARD not in k + v and v.strip() for k, v in value.items())):
                problems.append(Problem("lexicon_bad_map", place))
            elif kind == "list":
                if not isinstance(value, list):
                    problems.append(Problem("lexicon_not_list", place))
                    continue
                for n, term in enumerate(value, 1):
                    if not isinstance(term, str) or not TERM.match(term.lower()) or not term.strip(" *-") \
                            or term.strip().startswith(WILDCARD) or term.strip().endswith(WILDCARD):
                        problems.append(Problem("lexicon_bad_term", f"{place}[{n}]", {"value": term}))

    for section, content in data.items():
        if section not in SCHEMA:
            problems.append(Problem("lexicon_unknown_key", section, {"choices": ", ".join(SCHEMA)}))
        elif section in PER_CODE:
            if not isinstance(content, dict):
                problems.append(Problem("lexicon_not_table", section))
                continue
            for code, table in content.items():
                if not CODE.match(code):
                    problems.append(Problem("lexicon_bad_code", f"{section}.{code}"))
                check(f"{section}.{code}", table, SCHEMA[section])
        else:
            check(section, content, SCHEMA[section])
    if problems:
        raise InvalidLexicon(located(problems, source))
    return data


def located(problems: list[Problem], source: str) -> list[Problem]:
    """The problems with the file's name before each place ("themes.toml: tema.antre.keluhan[2]")."""
    if not source:
        return problems
    return [Problem(p.code, f"{source}: {p.field}" if p.field else source, p.params) for p in problems]


def merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``extra`` over ``base``: lists added (each term once), texts and slang entries replaced."""
    merged: dict[str, Any] = {k: ({c: dict(v) for c, v in t.items()} if k in PER_CODE else dict(t))
                              for k, t in base.items()}
    for section, content in extra.items():
        tables = ([(merged.setdefault(section, {}).setdefault(code, {}), t) for code, t in content.items()]
                  if section in PER_CODE else [(merged.setdefault(section, {}), content)])
        for into, table in tables:
            for key, value in table.items():
                if isinstance(value, list):
                    into[key] = list(dict.fromkeys([*into.get(key, []), *value]))
                elif isinstance(value, dict):
                    into[key] = {**into.get(key, {}), **value}
                else:
                    into[key] = value
    return merged


def check_complete(data: Mapping[str, Any], source: str) -> None:
    """Every theme and signal has both labels; a signal's theme exists; the praise theme is there."""
    problems = []
    for section in PER_CODE:
        for code, table in data.get(section, {}).items():
            problems += [Problem("lexicon_missing_label", f"{section}.{code}.{key}")
                         for key in ("label", "label_en") if key not in table]
    for code, signal in data.get("integritas", {}).items():
        if signal.get("tema") is not None and signal["tema"] not in data.get("tema", {}):
            problems.append(Problem("lexicon_unknown_theme", f"integritas.{code}.tema", {"value": signal["tema"]}))
    if PRAISE not in data.get("tema", {}):
        problems.append(Problem("lexicon_missing_label", f"tema.{PRAISE}.label"))
    if problems:
        raise InvalidLexicon(located(problems, source))


def load_lexicon(extension: str | None = None, source: str = "themes") -> Lexicon:
    """The shipped lexicon, with ``extension`` (the text of an admin's lexicon file named ``source``)
    merged over it. Raises InvalidLexicon with every problem and where it is."""
    data = parse(shipped_text(), "skm/data/themes.toml")
    if extension is not None:
        data = merge(data, parse(extension, source))
    check_complete(data, source)
    return Lexicon(data)


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    return load_lexicon()


def tag(text: str | None, lexicon: Lexicon | None = None) -> Tagging:
    """The themes, praise and integrity signals of one comment."""
    return (lexicon or default_lexicon()).tag(text)


def integrity_signals(text: str | None, lexicon: Lexicon | None = None) -> list[str]:
    """The integrity signals one comment raises (codes such as ``pungli``, ``suap``, ``calo``); empty when
    it reports none. What an alert to pimpinan and inspektorat is raised on."""
    return (lexicon or default_lexicon()).integrity_signals(text)


# -- measuring the tagger on a labelled set ---------------------------------------------------------------

INTEGRITY = "integrity"  # the name of the integrity signal's row in ``score``


@dataclass(frozen=True)
class Score:
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        wanted = self.true_positives + self.false_negatives
        return self.true_positives / wanted if wanted else 1.0


def score(labelled: Iterable[tuple[str, set[str], bool]], tagger, codes: Iterable[str]) -> dict[str, Score]:
    """Precision and recall per theme code and for the integrity signal (``INTEGRITY``) of ``tagger``
    (text -> (themes, integrity flag)) on (comment, gold themes, gold integrity) rows."""
    counts = {code: [0, 0, 0] for code in [*codes, INTEGRITY]}
    for text, gold, gold_integrity in labelled:
        found, integrity = tagger(text)
        for code, count in counts.items():
            wanted, got = (gold_integrity, integrity) if code == INTEGRITY else (code in gold, code in found)
            if got:
                count[0 if wanted else 1] += 1
            elif wanted:
                count[2] += 1
    return {code: Score(*count) for code, count in counts.items()}
