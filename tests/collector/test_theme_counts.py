"""The comments' theme counts kept per unit, day and channel (``theme_daily``): what the ingest (API push,
public answer, a flag to suspect) adds up equals what a rebuild from the raw comments counts, and the unit
page's theme figures from them equal those counted from the comments themselves (period, period before,
the general link left out); another lexicon has no complete counts, so the page counts the comments, until a
rebuild counts them under it."""
from datetime import date

from sqlalchemy import select

from collector import schema as t
from collector import store, themes
from skm import themes as lexicons
from skm.periods import parse
from tests.collector.test_themes import NOVEMBER, OCTOBER, push_comments

NOVEMBER_2026 = parse("2026-11")
EXTENSION = '[tema.antrean_panjang]\nlabel = "Antrean panjang"\nlabel_en = "Long queue"\nkeluhan = ["antri"]\n'


def live(engine, lexicon, period, leave_out=()):
    """The theme figures counted from the period's comments themselves (what the page did before counts)."""
    return themes.counts(lexicon, (r["comment"] for r in store.period_comments(engine, ["dumai-disdukcapil"],
                                                                                period.start, period.end, leave_out)))


def section(engine, lexicon, leave_out=()):
    page = themes.unit_section(engine, lexicon, ["dumai-disdukcapil"], NOVEMBER_2026, "id", leave_out=leave_out)
    return ((page["comments"], {r.code: r.count for r in page["themes"] + page["signals"]}),
            (page["previous_comments"], {r.code: r.previous for r in page["themes"] + page["signals"]}))


def link_answer(engine, lexicon, number: int, comment: str, day: str) -> dict:
    """A general-link answer stored through the public path: a stored response's copy under a new id."""
    with engine.connect() as conn:
        row = dict(conn.execute(select(t.responses).limit(1)).first()._mapping)
    row.update(id=f"00000000-0000-4000-8000-{number:012d}", channel="link", comment=comment, kiosk_id=None,
               local_day=date.fromisoformat(day), suspect=False, suspect_reason=None, content_hash=f"{number:064x}",
               submitted_at=f"{day}T10:00:00+07:00")
    assert store.record_public_response(engine, row, None, lexicon)
    return row


def test_ingested_counts_equal_a_rebuild_and_the_comments_themselves(app, kiosk, engine):
    lexicon = app.extensions["skm_themes"]
    push_comments(kiosk, NOVEMBER)
    push_comments(kiosk, OCTOBER, first_seq=len(NOVEMBER) + 1)
    push_comments(kiosk, [("lama sekali, suspect", "2026-11-09")], first_seq=20, suspect=True,
                  suspect_reason="too_fast")
    flagged = link_answer(engine, lexicon, 901, "antri lama sekali lewat tautan", "2026-11-10")
    link_answer(engine, lexicon, 902, "toilet kotor, calo di depan", "2026-11-11")
    link_answer(engine, lexicon, 903, "pelayanan cepat", "2026-10-20")
    assert store.complete_lexicons(engine) == [lexicon.fingerprint]  # complete from the first ingest on
    assert store.flag_suspect(engine, [flagged["id"]], "burst", lexicon) == 1
    for leave_out in ((), ("link",)):
        now, before = section(engine, lexicon, leave_out)
        assert now == live(engine, lexicon, NOVEMBER_2026, leave_out)
        assert before == live(engine, lexicon, NOVEMBER_2026.previous(), leave_out)
    now, before = section(engine, lexicon)
    assert now[0] == 6 and now[1]["waktu_tunggu"] == 2 and now[1]["calo"] == 1 and now[1]["pungli"] == 1
    assert before[0] == 5
    incremental = store.theme_counts(engine)
    assert all(r["comments"] > 0 for r in incremental)  # the flagged comment's rows went, not left at 0
    assert store.rebuild_theme_counts(engine, lexicon) == 11
    assert store.theme_counts(engine) == incremental
    assert store.complete_lexicons(engine) == [lexicon.fingerprint]


def test_another_lexicon_counts_the_comments_until_a_rebuild(app, kiosk, engine):
    lexicon = app.extensions["skm_themes"]
    push_comments(kiosk, NOVEMBER + OCTOBER)
    extended = lexicons.load_lexicon(EXTENSION, "tema.toml")
    assert extended.fingerprint != lexicon.fingerprint
    assert store.theme_totals(engine, extended, ["dumai-disdukcapil"], [(date(2026, 11, 1), date(2026, 12, 1))]) \
        is None
    counted = section(engine, extended)  # from the comments: the new theme counted at once
    assert counted == (live(engine, extended, NOVEMBER_2026), live(engine, extended, NOVEMBER_2026.previous()))
    assert counted[0][1]["antrean_panjang"] == 1 and counted[1][1]["antrean_panjang"] == 1
    link_answer(engine, extended, 904, "antri di loket", "2026-11-12")  # a write under the new lexicon ...
    assert store.complete_lexicons(engine) == []  # ... leaves the old counts short: their mark goes
    assert section(engine, lexicon)[0] == live(engine, lexicon, NOVEMBER_2026)
    store.rebuild_theme_counts(engine, extended)
    assert store.complete_lexicons(engine) == [extended.fingerprint]
    assert section(engine, extended) == (live(engine, extended, NOVEMBER_2026),
                                         live(engine, extended, NOVEMBER_2026.previous()))
    assert section(engine, extended)[0][1]["antrean_panjang"] == 2
    push_comments(kiosk, [("antri lagi", "2026-11-13")], first_seq=50)  # the app's own lexicon now
    assert store.complete_lexicons(engine) == []


def test_a_write_without_a_lexicon_leaves_no_complete_counts(app, kiosk, engine):
    push_comments(kiosk, NOVEMBER)
    assert store.complete_lexicons(engine) == [app.extensions["skm_themes"].fingerprint]
    with engine.connect() as conn:
        row = dict(conn.execute(select(t.responses).limit(1)).first()._mapping)
    row.update(id="00000000-0000-4000-8000-000000000999", channel="link", content_hash="9" * 64, kiosk_id=None)
    assert store.record_public_response(engine, row, None)  # no lexicon: its comment is not counted
    assert store.complete_lexicons(engine) == []
    lexicon = app.extensions["skm_themes"]
    assert section(engine, lexicon)[0] == live(engine, lexicon, NOVEMBER_2026)
