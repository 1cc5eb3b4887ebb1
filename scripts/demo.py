"""`make demo`: the whole product on one machine, with demo data.

Builds (once) a city collector for Kota Dumai with 24 months of synthetic responses and a kiosk for its
Disdukcapil office enrolled at it, then runs the collector and the kiosk (with its sync agent) until
Ctrl-C. Running it again reuses what was built.

    python scripts/demo.py [--dir .demo] [--kiosk-port 8080] [--collector-port 8000] [--months 24]
    python scripts/demo.py --build-only      # build and exit (used by the tests)
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KIOSK_PIN = "1234"


def skm(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "skm.cli", *args], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True)


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not answer in {seconds} s")


def build_collector(folder: Path, months: int, scale: float) -> None:
    skm("collector", "--instance", str(folder), "migrate")  # the deploy step, also for a folder built before
    if (folder / "built").exists():
        print(f"collector: reusing {folder}")
        return
    from collector import create_app, demo
    print(f"collector: building {months} months of demo responses in {folder} ...", flush=True)
    app = create_app(instance_path=folder)
    built = demo.build(app.extensions["skm_engine"], months=months, scale=scale)
    app.extensions["skm_engine"].dispose()
    (folder / "built").write_text(f"{built['responses']}\n")
    print(f"collector: {built['responses']} responses for {len(built['units'])} units")


def build_kiosk(folder: Path, collector_folder: Path, collector_url: str) -> None:
    if (folder / "enrolled").exists():
        from kiosk import store
        db = store.connect(str(folder / "kiosk.db"))
        store.set_settings(db, collector_url=collector_url)  # the collector may listen on another port now
        db.conn.close()
        print(f"kiosk: reusing {folder}")
        return
    skm("kiosk", "--instance", str(folder), "init", str(ROOT / "samples" / "kiosk-dumai.toml"), "--pin", KIOSK_PIN)
    added = skm("collector", "--instance", str(collector_folder), "kiosk", "add", "dumai-disdukcapil",
                "--name", "Kios demo Disdukcapil").stdout
    code = added.split("enrollment code (works once): ")[1].split()[0]
    skm("kiosk", "--instance", str(folder), "enroll", collector_url, code)
    (folder / "enrolled").write_text(code + "\n")
    print(f"kiosk: enrolled at {collector_url}")


def start(kind: str, folder: Path, port: int, env: dict) -> subprocess.Popen:
    log = open(folder / f"{kind}.log", "ab")
    return subprocess.Popen([sys.executable, "-m", "skm.cli", kind, "--instance", str(folder), "run",
                             "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)


def banner(kiosk_url: str, collector_url: str) -> str:
    from collector.demo import DEMO_OFFICER_PIN, DEMO_PASSWORD, UNITS
    lines = ["", "SKM demo is running. Ctrl-C stops everything.", "",
             "Counter tablets (Disdukcapil Kota Dumai):"]
    lines += [f"  {kiosk_url}/k/{n}" for n in range(1, 7)]
    lines += [f"  {kiosk_url}/staff/   staff page, PIN {KIOSK_PIN} (QR slips under 'Cetak QR')", "",
              f"Dashboard: {collector_url}/login   password for every demo account: {DEMO_PASSWORD}",
              "  admin                       admin (sees and edits everything)",
              "  sekda                       pimpinan (sees everything, read only)"]
    lines += [f"  kepala-{u.code:<20} kepala unit of {u.name}" for u in UNITS]
    lines += [f"  petugas-{UNITS[0].code:<19} an officer's own feedback (petugas); likewise for each unit",
              f"Officers check in on the kiosk's staff page with PIN {DEMO_OFFICER_PIN}."]
    lines += ["", f"Public results: {collector_url}/publik/dumai-disdukcapil   "
                  f"poster: {collector_url}/publik/dumai-disdukcapil/poster", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", default=str(ROOT / ".demo"))
    parser.add_argument("--kiosk-port", type=int, default=int(os.environ.get("DEMO_PORT", 8080)))
    parser.add_argument("--collector-port", type=int, default=int(os.environ.get("DEMO_COLLECTOR_PORT", 8000)))
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--scale", type=float, default=1.0, help="Multiply the demo's monthly volumes.")
    parser.add_argument("--build-only", action="store_true", help="Build the demo data and exit.")
    args = parser.parse_args()

    base = Path(args.dir).resolve()
    collector_folder, kiosk_folder = base / "collector", base / "kiosk"
    collector_folder.mkdir(parents=True, exist_ok=True)
    collector_url = f"http://127.0.0.1:{args.collector_port}"
    kiosk_url = f"http://127.0.0.1:{args.kiosk_port}"
    for app in ("KIOSK", "COLLECTOR"):  # the banner below is what a new user reads; set INFO to see every request
        os.environ.setdefault(f"SKM_{app}_LOG_LEVEL", "WARNING")
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "SKM_KIOSK_SYNC_INTERVAL_SECONDS": "5",
           "SKM_KIOSK_RECEIPT_API_KEY": os.environ.get("SKM_KIOSK_RECEIPT_API_KEY", "demo-receipt-key")}

    build_collector(collector_folder, args.months, args.scale)
    processes = [start("collector", collector_folder, args.collector_port, env)]
    try:
        wait_for(collector_url + "/status")
        build_kiosk(kiosk_folder, collector_folder, collector_url)
        if args.build_only:
            skm("kiosk", "--instance", str(kiosk_folder), "sync")
            return
        processes.append(start("kiosk", kiosk_folder, args.kiosk_port, env))
        wait_for(kiosk_url + "/")
        print(banner(kiosk_url, collector_url), flush=True)
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
        print("a server stopped; see the logs in", base)
    except KeyboardInterrupt:
        print("\nstopping ...")
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


if __name__ == "__main__":
    main()
