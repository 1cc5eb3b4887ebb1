"""Demo data for a city collector (Kota Dumai): the organisation tree, accounts, and months of realistic
synthetic responses sent through the real ingest path (validated by ``skm``, aggregated in the same
transaction). Seasonal volume, one clearly weak unsur per unit, and its improvement after a follow-up
action halfway through."""
from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from skm import CODES, PROFILE, QUESTIONNAIRE_VERSION, themes
from skm.periods import containing

from . import auth, ingest, officers, store


@dataclass(frozen=True)
class DemoUnit:
    code: str
    name: str
    opd: str
    opd_name: str
    counters: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...]
    weak: str  # the unsur citizens rate lowest until the follow-up
    monthly: int  # respondents a month, before seasonality
    saturday: bool = False


PEMDA = ("dumai", "Pemerintah Kota Dumai")
UNITS = (
    DemoUnit("dumai-disdukcapil", "Dinas Kependudukan dan Pencatatan Sipil Kota Dumai", "disdukcapil",
             "Dinas Kependudukan dan Pencatatan Sipil",
             (("1", "Loket 1 - KTP Elektronik", (("ktp-el", "KTP Elektronik"),)),
              ("2", "Loket 2 - Kartu Keluarga", (("kk", "Kartu Keluarga"), ("pindah", "Surat Pindah"))),
              ("3", "Loket 3 - Akta Kelahiran", (("akta-lahir", "Akta Kelahiran"), ("kia", "Kartu Identitas Anak"))),
              ("4", "Loket 4 - Akta Kematian dan Perkawinan", (("akta-mati", "Akta Kematian"),
                                                               ("akta-kawin", "Akta Perkawinan"))),
              ("5", "Loket 5 - Informasi dan Pengaduan", (("informasi", "Informasi dan Pengaduan"),)),
              ("6", "Loket 6 - Prioritas (Lansia dan Disabilitas)", (("ktp-el", "KTP Elektronik"),
                                                                     ("kk", "Kartu Keluarga"),
                                                                     ("akta-lahir", "Akta Kelahiran")))),
             "waktu", 420),
    DemoUnit("dumai-mpp", "Mal Pelayanan Publik Kota Dumai", "dpmptsp",
             "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu",
             (("1", "Loket Perizinan Berusaha", (("nib", "Nomor Induk Berusaha"),)),
              ("2", "Loket PBG", (("pbg", "Persetujuan Bangunan Gedung"),))),
             "prosedur", 260, saturday=True),
    DemoUnit("rsud-dumai", "RSUD Kota Dumai", "dinkes", "Dinas Kesehatan",
             (("pendaftaran", "Pendaftaran Rawat Jalan", (("bpjs", "Pasien BPJS"), ("umum", "Pasien Umum"))),
              ("farmasi", "Farmasi", (("obat", "Pengambilan Obat"),))),
             "sarana", 380, saturday=True),
    DemoUnit("puskesmas-dumai-kota", "Puskesmas Dumai Kota", "dinkes", "Dinas Kesehatan",
             (("1", "Pendaftaran", (("umum", "Pelayanan Umum"), ("kia", "Kesehatan Ibu dan Anak"))),),
             "pengaduan", 180),
    DemoUnit("bapenda-samsat", "Bapenda Kota Dumai - Samsat", "bapenda", "Badan Pendapatan Daerah",
             (("samsat", "Loket Samsat", (("pkb", "Pajak Kendaraan Bermotor"), ("bbnkb", "Balik Nama Kendaraan"))),),
             "biaya", 300),
)

# Volume by month (1..12): school enrolment in July, Ramadan and Lebaran lull, year-end rush.
SEASON = (1.15, 1.0, 0.95, 0.8, 0.85, 1.0, 1.3, 1.1, 1.0, 0.95, 1.0, 1.2)
BASE_MEAN = {"persyaratan": 3.2, "prosedur": 3.15, "waktu": 3.1, "biaya": 3.6, "produk": 3.25, "kompetensi": 3.3,
             "perilaku": 3.35, "pengaduan": 3.05, "sarana": 3.1}
COMMENTS = {
    "waktu": ["Antrian terlalu lama, hampir dua jam.", "Mohon tambah petugas di jam sibuk.",
              "Proses cetak KTP lambat, katanya blanko habis."],
    "prosedur": ["Alurnya membingungkan, harus bolak-balik loket.", "Persyaratan online dan di loket berbeda."],
    "sarana": ["Ruang tunggu panas, AC mati.", "Kursi tunggu kurang, banyak yang berdiri.", "Parkir sempit."],
    "pengaduan": ["Tidak tahu harus mengadu ke mana.", "Kotak saran tidak pernah dibuka sepertinya."],
    "biaya": ["Ada biaya tambahan yang tidak jelas.", "Tarif tidak dipasang di papan informasi."],
    "any": ["Petugas ramah dan membantu, terima kasih.", "Pelayanan sudah cepat, pertahankan.",
            "Terima kasih, urusan selesai hari ini.", "Mohon info lewat WA saya 0812-7654-3210 kalau sudah jadi.",
            "NIK saya 1472012501900003 belum bisa dicetak, tolong dicek."],
}
DEMO_PASSWORD = "demo-skm-2026"
DEMO_OFFICER_PIN = "246813"
FIRST_NAMES = ("Siti", "Budi", "Rina", "Ahmad", "Dewi", "Hendra", "Fitri", "Yusuf", "Maya", "Rizky", "Nurul", "Agus",
               "Intan", "Fajar", "Lestari")
LAST_NAMES = ("Rahmawati", "Santoso", "Hasibuan", "Siregar", "Lubis", "Nasution", "Pratama", "Wijaya", "Harahap")


def demo_officers(unit_index: int, unit: "DemoUnit") -> list[tuple[str, str]]:
    """Three officers per unit: (NIP, name). NIPs follow the 18-digit form (birth date, appointment, sex, number)."""
    result = []
    for i in range(3):
        n = unit_index * 3 + i
        nip = f"1985{(n % 12) + 1:02d}{(n % 27) + 1:02d}2010{(n % 12) + 1:02d}{1 + n % 2}{n + 1:03d}"
        result.append((nip, f"{FIRST_NAMES[n % len(FIRST_NAMES)]} {LAST_NAMES[n % len(LAST_NAMES)]}"))
    return result


def build_org(engine: Engine) -> None:
    store.save_pemda(engine, *PEMDA)
    pin_hash = officers.hash_pin(DEMO_OFFICER_PIN)
    for index, unit in enumerate(UNITS):
        store.save_opd(engine, unit.opd, PEMDA[0], unit.opd_name)
        store.save_unit(engine, unit.code, unit.opd, unit.name, "Asia/Jakarta")
        store.set_monthly_volume(engine, unit.code, unit.monthly * 6)  # about one in six recipients answers
        for code, name, services in unit.counters:
            store.save_counter(engine, unit.code, code, name, list(services))
        for nip, name in demo_officers(index, unit):
            store.save_officer(engine, nip, name, unit.code, pin_hash)


def build_users(engine: Engine) -> list[tuple[str, str, str]]:
    """Demo accounts: (username, role, password)."""
    accounts: list[tuple[str, str, str, list[str]]]  # username, name, role, units
    accounts = [("admin", "Admin Diskominfo", "admin", []), ("sekda", "Sekretaris Daerah", "pimpinan", [])]
    accounts += [(f"kepala-{u.code}", f"Kepala {u.name}", "kepala_unit", [u.code]) for u in UNITS]
    for username, name, role, units in accounts:
        auth.create_user(engine, username, name, DEMO_PASSWORD, role, units)
    officer_accounts = []
    for index, unit in enumerate(UNITS):
        nip, name = demo_officers(index, unit)[0]
        auth.create_user(engine, f"petugas-{unit.code}", name, DEMO_PASSWORD, "petugas", [], officer=nip)
        officer_accounts.append((f"petugas-{unit.code}", "petugas", DEMO_PASSWORD))
    return [(username, role, DEMO_PASSWORD) for username, _n, role, _u in accounts] + officer_accounts


def enrolled_kiosk(engine: Engine, unit: str) -> dict:
    _kiosk_id, code = store.add_kiosk(engine, unit, "Kios demo")
    return store.enroll(engine, code)


def month_starts(end: date, months: int) -> list[date]:
    first = containing("month", end).start
    result = []
    for _ in range(months):
        result.append(first)
        first = containing("month", first - timedelta(days=1)).start
    return result[::-1]


def score(rnd: random.Random, mean: float) -> int:
    return max(1, min(4, round(rnd.gauss(mean, 0.62))))


def responses_for(unit: DemoUnit, month: date, end: date, improved: bool, rnd: random.Random,
                  zone: ZoneInfo, seq: list[int], officers: tuple[str, ...] = ()) -> list[dict]:
    count = int(unit.monthly * SEASON[month.month - 1] * rnd.uniform(0.9, 1.1))
    next_month = containing("month", month).end
    days = [month + timedelta(days=i) for i in range((min(next_month, end + timedelta(days=1)) - month).days)]
    days = [d for d in days if d.weekday() < 5 or (unit.saturday and d.weekday() == 5)]
    if not days:
        return []
    count = int(count * len(days) / max(1, len([d for d in ((month + timedelta(days=i)) for i in range(
        (next_month - month).days)) if d.weekday() < 5 or (unit.saturday and d.weekday() == 5)])))
    result = []
    for _ in range(count):
        day = rnd.choice(days)
        hour = rnd.choices(range(8, 16), weights=(6, 10, 10, 8, 4, 6, 5, 2))[0]
        submitted = datetime.combine(day, time(hour, rnd.randrange(60), rnd.randrange(60)), zone)
        duration = int(rnd.lognormvariate(3.4, 0.35) * 1000)
        suspect = rnd.random() < 0.01
        if suspect:
            duration = rnd.randint(2000, 6000)
        counter, _name, services = rnd.choice(unit.counters)
        answers = {}
        for code in CODES:
            mean = BASE_MEAN[code]
            if code == unit.weak:
                mean = 2.35 if not improved else 2.95
            answers[code] = score(rnd, mean)
        comment = None
        if rnd.random() < 0.12:
            pool = COMMENTS.get(unit.weak, []) if rnd.random() < 0.6 and not improved else COMMENTS["any"]
            comment = rnd.choice(pool or COMMENTS["any"])
        seq[0] += 1
        channel = "qr" if rnd.random() < 0.18 else "kiosk"
        result.append({
            "id": str(uuid.UUID(int=rnd.getrandbits(128), version=4)), "seq": seq[0], "unit": unit.code,
            "service": rnd.choice(services)[0], "counter": counter,
            "officer": rnd.choice(officers) if officers and rnd.random() < 0.9 else None,
            "channel": channel, "questionnaire_version": QUESTIONNAIRE_VERSION,
            "answers": answers,
            "profile": {f.name: rnd.choice(f.values) for f in PROFILE if rnd.random() < 0.8},
            "comment": comment, "started_at": (submitted - timedelta(milliseconds=duration)).isoformat(),
            "submitted_at": submitted.isoformat(), "duration_ms": duration, "suspect": suspect,
            "suspect_reason": f"too_fast:{duration / 1000:.1f}s<10s" if suspect else None,
        })
    return result


def build_responses(engine: Engine, months: int = 24, end: date | None = None, seed: int = 2017,
                    scale: float = 1.0, lexicon: themes.Lexicon | None = None) -> int:
    """Send ``months`` months of responses per unit through the ingest path (its alert rules with ``lexicon``,
    None: the shipped one); returns how many."""
    lexicon = lexicon or themes.default_lexicon()
    rnd = random.Random(seed)
    zone = ZoneInfo("Asia/Jakarta")
    end = end or datetime.now(zone).date()
    starts = month_starts(end, months)
    total = 0
    for index, unit in enumerate(UNITS):
        scaled = DemoUnit(**{**unit.__dict__, "monthly": max(1, int(unit.monthly * scale))})
        officers = tuple(nip for nip, _name in demo_officers(index, unit))
        kiosk = enrolled_kiosk(engine, unit.code)
        seq = [0]
        for i, month in enumerate(starts):
            improved = i >= months // 2
            batch = responses_for(scaled, month, end, improved, rnd, zone, seq, officers)
            for j in range(0, len(batch), 500):
                ingest.ingest_batch(engine, kiosk, {"batch_id": str(uuid.uuid4()), "responses": batch[j:j + 500]},
                                    source="demo", lexicon=lexicon)
            total += len(batch)
            if i == months // 2 - 1:
                store.add_followup(engine, unit.code, containing("triwulan", month).key(), unit.weak,
                                   f"Perbaikan unsur {unit.weak}: evaluasi alur dan tambah petugas pada jam sibuk",
                                   "Kepala Seksi Pelayanan", month + timedelta(days=45), "selesai", "demo")
    return total


def build(engine: Engine, months: int = 24, seed: int = 2017, scale: float = 1.0,
          end: date | None = None, lexicon: themes.Lexicon | None = None) -> dict:
    """The whole demo: tree, accounts, responses. Run on an empty collector."""
    build_org(engine)
    users = build_users(engine)
    count = build_responses(engine, months, end, seed, scale, lexicon)
    return {"units": [u.code for u in UNITS], "users": users, "responses": count}
