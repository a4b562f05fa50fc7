"""Sync through the generated Python bindings: a team of two exchanges bundles, a
concurrent edit is the same conflict on both devices, only the coordinator resolves it,
and a tampered bundle is refused with nothing applied. Run by bindings/test.sh."""

import os
import shutil
import tempfile
import unittest

import safekeep

FAST = safekeep.VaultSettings(insecure_fast_kdf_for_tests=True)
PASS = "kiln seven rescue".encode()


def text(value):
    return safekeep.Answer.TEXT(value=value)


def identification(name):
    return safekeep.NewEntry(
        case_id=None,
        service_entry=False,
        form=safekeep.FormRef(id="victim_identification", version=None),
        answers={"name": text(name)},
        draft=False,
    )


def send(source, target):
    """Everything `source` has that `target` lacks; returns changes applied."""
    bundles = source.export_bundles(target.summary())
    return sum(target.import_bundle(b.bytes).applied for b in bundles)


class Progress(safekeep.ProgressListener):
    def __init__(self):
        self.seen = []

    def progress(self, done, total):
        self.seen.append((done, total))
        return False  # ignored: an import cannot stop halfway


class SyncTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def vault(self, name):
        folder = os.path.join(self.dir, name)
        return safekeep.create_vault(folder, PASS, FAST).vault

    def team_of_two(self):
        coordinator, field = self.vault("coordinator"), self.vault("field")
        team = coordinator.create_team("Kolkata shelter")
        invite = coordinator.create_invite(safekeep.TeamRole.FIELD)
        joined = field.join_team(invite.invite, invite.secret)
        self.assertEqual(joined.id, team.id)
        self.assertEqual(joined.role, safekeep.TeamRole.FIELD)
        return coordinator, field

    def test_a_concurrent_edit_is_one_conflict_that_only_the_coordinator_resolves(self):
        coordinator, field = self.team_of_two()
        saved = field.submit(identification("Rekha"), None)
        self.assertEqual(send(field, coordinator), 2)
        field.edit(saved.record_id, {"notes": text("moved to shelter B")}, False, None)
        coordinator.edit(saved.record_id, {"notes": text("mother contacted")}, False, None)
        send(field, coordinator)
        send(coordinator, field)
        conflicts = coordinator.conflicts()
        self.assertEqual(conflicts, field.conflicts())
        self.assertEqual(len(conflicts), 1)
        self.assertEqual(conflicts[0].subject, safekeep.ConflictSubject.FIELD(name="notes"))
        keep = next(v for v in conflicts[0].values if v.value == text("mother contacted"))
        choice = safekeep.ResolveChoice.KEEP(value_id=keep.id)
        with self.assertRaises(safekeep.SafekeepError.NotCoordinator):
            field.resolve(conflicts[0].id, choice)
        coordinator.resolve(conflicts[0].id, choice)
        send(coordinator, field)
        for vault in (coordinator, field):
            self.assertEqual(vault.conflicts(), [])
            record = vault.get(saved.record_id)
            self.assertEqual(record.answers["notes"], text("mother contacted"))
            self.assertFalse(record.has_conflict)
            vault.close_vault()

    def test_a_tampered_bundle_is_refused_and_changes_nothing(self):
        coordinator, field = self.team_of_two()
        saved = field.submit(identification("Sokha"), None)
        field.append_note(saved.record_id, "first visit done")
        [bundle] = field.export_bundles(None)
        tampered = bytearray(bundle.bytes)
        tampered[-20] ^= 0x40
        with self.assertRaises(safekeep.SafekeepError.BundleRejected) as caught:
            coordinator.import_bundle(bytes(tampered))
        self.assertEqual(caught.exception.reason, safekeep.BundleProblem.UNAUTHENTIC)
        self.assertEqual(coordinator.list(safekeep.RecordFilter()), [])
        progress = Progress()
        report = coordinator.import_bundle(bundle.bytes, progress)
        self.assertEqual(report.applied, 3)
        self.assertEqual(progress.seen[-1], (3, 3))
        notes = coordinator.get(saved.record_id).logs["notes"]
        self.assertEqual([n.value for n in notes], [text("first visit done")])
        with self.assertRaises(safekeep.SafekeepError.NoTeam):
            self.vault("stranger").summary()
        coordinator.close_vault()
        field.close_vault()


if __name__ == "__main__":
    unittest.main()
