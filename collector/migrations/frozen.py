"""Literal copies of what the shipped revisions build on: the 2017 questionnaire's nine unsur and the
respondent profile as they were when each revision shipped, and the SQL that sums responses into
aggregate rows. Revisions import these names instead of ``skm`` or ``collector.schema``, so a later change
to the application cannot change what an old revision does.

Never edit a name a shipped revision uses: add a new one next to it for a new revision.
"""
from __future__ import annotations

CODES = ("persyaratan", "prosedur", "waktu", "biaya", "produk", "kompetensi", "perilaku", "pengaduan", "sarana")
SCORE_COLUMNS = tuple(f"{code}_{score}" for code in CODES for score in (1, 2, 3, 4))
PROFILE_FIELDS = ("jenis_kelamin", "usia", "pendidikan", "pekerjaan")
# (profile field, answer or None for "tidak ingin menjawab") -> its count column in daily_aggregates.
PROFILE_COLUMNS = {
    ("jenis_kelamin", "L"): "p_jenis_kelamin_l", ("jenis_kelamin", "P"): "p_jenis_kelamin_p",
    ("usia", "<20"): "p_usia_lt20", ("usia", "20-29"): "p_usia_20_29", ("usia", "30-39"): "p_usia_30_39",
    ("usia", "40-49"): "p_usia_40_49", ("usia", "50-59"): "p_usia_50_59", ("usia", "60+"): "p_usia_60plus",
    ("pendidikan", "SD"): "p_pendidikan_sd", ("pendidikan", "SMP"): "p_pendidikan_smp",
    ("pendidikan", "SMA"): "p_pendidikan_sma", ("pendidikan", "D1-D3"): "p_pendidikan_d1_d3",
    ("pendidikan", "S1"): "p_pendidikan_s1", ("pendidikan", "S2"): "p_pendidikan_s2",
    ("pendidikan", "S3"): "p_pendidikan_s3",
    ("pekerjaan", "PNS"): "p_pekerjaan_pns", ("pekerjaan", "TNI"): "p_pekerjaan_tni",
    ("pekerjaan", "POLRI"): "p_pekerjaan_polri", ("pekerjaan", "Swasta"): "p_pekerjaan_swasta",
    ("pekerjaan", "Wirausaha"): "p_pekerjaan_wirausaha", ("pekerjaan", "Lainnya"): "p_pekerjaan_lainnya",
    ("jenis_kelamin", None): "p_jenis_kelamin_none", ("usia", None): "p_usia_none",
    ("pendidikan", None): "p_pendidikan_none", ("pekerjaan", None): "p_pekerjaan_none",
}

TOTAL = "(" + " + ".join(CODES) + ")"  # a respondent's nine answers summed


def score_sums() -> list[str]:
    """SELECT terms for the per-unsur sums and score counts, named as the aggregate columns."""
    return [*(f"SUM({code}) AS {code}_sum" for code in CODES),
            *(f"SUM(CASE WHEN {code} = {score} THEN 1 ELSE 0 END) AS {code}_{score}"
              for code in CODES for score in (1, 2, 3, 4))]


def profile_counts() -> list[str]:
    """SELECT terms for the profile count columns."""
    return [f"SUM(CASE WHEN {field} {'IS NULL' if value is None else '= ' + repr(value)} THEN 1 ELSE 0 END) "
            f"AS {column}" for (field, value), column in PROFILE_COLUMNS.items()]


def refill(table: str, key: dict[str, str], terms: list[str], where: str = "") -> list[str]:
    """Statements that replace every row of an aggregate table by sums over the raw responses.

    ``key`` maps the table's key columns to their expressions over ``responses``; ``terms`` are the
    other SELECT terms, each ``... AS column``.
    """
    columns = [*key, "responses", *(term.rsplit(" AS ", 1)[1] for term in terms)]
    select = ", ".join([*(f"{expr} AS {name}" for name, expr in key.items()), "COUNT(*) AS responses", *terms])
    return [f"DELETE FROM {table}",
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {select} FROM responses "
            f"{where} GROUP BY {', '.join(key.values())}"]
