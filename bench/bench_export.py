"""`skm kiosk export` of a large backlog: the peak memory of the command, which streams the bundle.

A configured, enrolled kiosk instance in a temp folder holds 200,000 pending responses (every unsur, a
profile, a comment on one in three). ``skm kiosk export --out FILE`` runs in its own process, three
times; the figure is the median of its peak resident set size (``wait4`` rusage of that child, forked by
a small launcher process so that the bench's own memory is not counted in it). Baseline,
in the same run: the very same command on an instance whose outbox is empty, i.e. what the Python
process and its imports cost before any response; the ratio is the whole command against that floor.
The bound of issue 16 is 150 MiB for 200k responses.
"""
from __future__ import annotations

import random
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from skm import CODES, PROFILE, QUESTIONNAIRE_VERSION
from tests.helpers import ROOT, init_kiosk

RESPONSES = 200_000
RUNS = 3
BOUND_MIB = 150


def enrolled_kiosk(instance: Path, responses: int) -> Path:
    """A kiosk with credentials (as enrollment leaves them) and ``responses`` pending rows."""
    from kiosk import store

    init_kiosk(instance)
    db = store.connect(str(instance / "kiosk.db"))
    try:
        store.set_settings(db, collector_url="http://127.0.0.1:9", kiosk_id=str(uuid.uuid4()),
                           kiosk_secret="bench-secret-" + uuid.uuid4().hex)
        rnd = random.Random(16)
        columns = ["id", "seq", "kiosk_id", "unit", "service", "counter", "channel", "questionnaire_version",
                   *CODES, *(f.name for f in PROFILE), "comment", "started_at", "submitted_at", "duration_ms"]
        sql = f"INSERT INTO responses ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        with store.transaction(db):
            db.conn.executemany(sql, (
                [str(uuid.uuid4()), seq, None, "dumai-disdukcapil", "kk", "2", "kiosk", QUESTIONNAIRE_VERSION,
                 *[rnd.randint(1, 4) for _ in CODES], *[rnd.choice(f.values) for f in PROFILE],
                 "Antrean cukup cepat, petugas ramah dan jelas." if seq % 3 == 0 else None,
                 "2026-11-28T09:14:01.000+07:00", "2026-11-28T09:14:31.877+07:00", 30877]
                for seq in range(1, responses + 1)))
    finally:
        db.conn.close()
    return instance


# Started by a small Python process that forks the command and reports its rusage: a child forked by this
# bench process directly would count this process's own pages (copied at the fork, up to its exec) in its
# peak, which after the dashboard bench are over 100 MiB.
LAUNCHER = ("import os, subprocess, sys\n"
            "child = subprocess.Popen(sys.argv[1:])\n"
            "_pid, status, usage = os.wait4(child.pid, 0)\n"
            "print(f'\\nskm-bench-maxrss {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}')\n")


def peak_rss_mib(instance: Path, out: Path) -> tuple[float, str]:
    """Run `skm kiosk export` once; its peak RSS in MiB and its output line."""
    done = subprocess.run([sys.executable, "-c", LAUNCHER, sys.executable, "-m", "skm.cli", "kiosk", "--instance",
                           str(instance), "export", "--out", str(out)], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, cwd=ROOT, check=True)
    output, _, report = done.stdout.decode().rpartition("\nskm-bench-maxrss ")
    maxrss, code = report.split()
    assert code == "0", output
    return int(maxrss) / 1024, output  # ru_maxrss is in KiB on Linux


def run():
    with tempfile.TemporaryDirectory(prefix="skm-bench-export-") as tmp:
        tmp = Path(tmp)
        full = enrolled_kiosk(tmp / "full", RESPONSES)
        empty = enrolled_kiosk(tmp / "empty", 0)
        big, floor = [], []
        for i in range(RUNS):
            rss, output = peak_rss_mib(full, tmp / f"bundle-{i}.json")
            assert f"{RESPONSES} responses written" in output, output
            big.append(rss)
            rss, output = peak_rss_mib(empty, tmp / f"empty-{i}.json")
            assert "0 responses written" in output, output
            floor.append(rss)
        size = (tmp / "bundle-0.json").stat().st_size
    value, baseline = statistics.median(big), statistics.median(floor)
    print(f"   {RESPONSES} responses, bundle {size / 2 ** 20:.0f} MiB; peak RSS runs {[round(r) for r in big]} MiB "
          f"(bound {BOUND_MIB} MiB), empty outbox {[round(r) for r in floor]} MiB")
    return {"kiosk_export_200k_peak_rss_mib": {"value": value, "unit": "MiB", "baseline": baseline,
                                               "ratio": value / baseline}}
