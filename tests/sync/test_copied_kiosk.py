"""A kiosk's instance folder copied to a second place: both copies sync under one id to a real collector
process. The collector notices (a warning in `kiosk list` and on the unit page, an audit entry), and the
admin revokes the copy alone."""
import shutil

from click.testing import CliRunner

from collector import store as cstore
from kiosk import store as kstore
from kiosk import sync
from skm.cli import main
from tests.helpers import CollectorServer, collector_engine, init_kiosk, seed_collector
from tests.sync.test_agent import add_responses


def test_a_copied_kiosk_is_flagged_and_only_the_copy_is_revoked(tmp_path):
    instance = seed_collector(tmp_path / "collector")
    engine = collector_engine(instance)
    kiosk_id, code = cstore.add_kiosk(engine, "dumai-disdukcapil")
    with CollectorServer(instance) as server:
        original_folder = init_kiosk(tmp_path / "kiosk")
        original = kstore.connect(str(original_folder / "kiosk.db"))
        sync.enroll(original, server.url, code)
        add_responses(original, 2)
        assert sync.sync_once(original).ok
        original.conn.close()
        copy_folder = shutil.copytree(original_folder, tmp_path / "copy")
        original = kstore.connect(str(original_folder / "kiosk.db"))
        copy = kstore.connect(str(copy_folder / "kiosk.db"))
        for db, seed in ((original, 3), (copy, 4)):
            add_responses(db, 3, seed=seed)
            report = sync.sync_once(db)
            assert report.ok and report.accepted == 3, report.error
        assert sync.install_id(original) != sync.install_id(copy)

        audit = cstore.audit_entries(engine, action="kiosk_copy_suspected")
        assert {e["target"] for e in audit} == {kiosk_id} and len(audit) == 2
        assert "a second install" in audit[-1]["detail"] and "sent seq 3, 4, 5 already stored" in audit[0]["detail"]
        listed = CliRunner().invoke(main, ["collector", "--instance", str(instance), "kiosk", "list"]).output
        assert "WARNING: more than one install syncs under this id" in listed
        assert (kiosk_id, 2) in [(k["id"], len(k["installs"])) for k in cstore.copied_kiosks(engine, "dumai-disdukcapil")]

        revoked = CliRunner().invoke(main, ["collector", "--instance", str(instance), "kiosk", "revoke", kiosk_id,
                                            "--install", sync.install_id(copy)])
        assert revoked.exit_code == 0, revoked.output
        add_responses(copy, 1, seed=5)
        add_responses(original, 1, seed=6)
        refused = sync.sync_once(copy)
        assert refused.error.code == "install_revoked" and refused.backlog == 1
        assert sync.sync_once(original).ok
        assert cstore.copied_kiosks(engine, "dumai-disdukcapil") == []
        original.conn.close()
        copy.conn.close()
    engine.dispose()
