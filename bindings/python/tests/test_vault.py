"""The generated Python bindings against the real library: a second real client of
the same API the phone apps use. Run by bindings/test.sh."""

import os
import shutil
import tempfile
import threading
import unittest

import safekeep

FAST = safekeep.VaultSettings(insecure_fast_kdf_for_tests=True)
PASS = "kiln seven rescue".encode()


class XorKeys(safekeep.PlatformKeyProvider):
    """A stand-in for the Android Keystore / iOS Keychain: reversible, keyed."""

    def __init__(self, key, fail=False):
        self.key = key
        self.fail = fail

    def wrap(self, secret):
        if self.fail:
            raise safekeep.SafekeepError.KeyStore("the user cancelled the prompt")
        return bytes(b ^ self.key for b in secret)

    def unwrap_key(self, wrapped):
        return self.wrap(wrapped)


def text(value):
    return safekeep.Answer.TEXT(value=value)


def choice(value):
    return safekeep.Answer.CHOICE(value=value)


class VaultTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.folder = os.path.join(self.dir, "vault")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def create(self):
        made = safekeep.create_vault(self.folder, PASS, FAST)
        self.assertEqual(len(made.recovery_key.replace("-", "")), 32)
        return made

    def identify(self, vault, name, **more):
        answers = {"name": text(name)}
        answers.update(more)
        entry = safekeep.NewEntry(
            case_id=None,
            service_entry=False,
            form=safekeep.FormRef(id="victim_identification", version=None),
            answers=answers,
            draft=False,
        )
        return vault.submit(entry, None)

    def test_a_record_is_saved_checked_found_and_survives_reopening(self):
        vault = self.create().vault
        saved = self.identify(
            vault,
            "Lakshmi Devi",
            age=safekeep.Answer.INTEGER(value=14),
            sex=choice("female"),
            operation_date=safekeep.Answer.DATE(value="2026-11-02"),
        )
        self.assertTrue(saved.new_case)
        self.assertEqual(saved.form.version, "2026.11.1")
        record = vault.get(saved.record_id)
        self.assertEqual(record.answers["minor"], text("yes"))
        self.assertEqual(record.case_id, saved.case_id)
        found = vault.search("Laxmi", 10)
        self.assertEqual(found[0].case_id, saved.case_id)
        vault.close_vault()
        with self.assertRaises(safekeep.SafekeepError.Locked):
            vault.get(saved.record_id)
        with self.assertRaises(safekeep.SafekeepError.WrongPassphrase):
            safekeep.Vault.open_with_passphrase(self.folder, b"not it", FAST)
        again = safekeep.Vault.open_with_passphrase(self.folder, PASS, FAST)
        self.assertEqual(again.get(saved.record_id).answers["name"], text("Lakshmi Devi"))
        self.assertTrue(again.check().ok)
        again.close_vault()

    def test_a_refused_save_carries_every_problem_in_hindi(self):
        vault = self.create().vault
        entry = safekeep.NewEntry(
            case_id=None,
            service_entry=False,
            form=safekeep.FormRef(id="victim_identification", version=None),
            answers={"age": safekeep.Answer.INTEGER(value=130), "village": text("x")},
            draft=False,
        )
        with self.assertRaises(safekeep.SafekeepError.Validation) as caught:
            vault.submit(entry, "hi")
        by_question = {p.question: p for p in caught.exception.problems}
        self.assertEqual(set(by_question), {"name", "age", "village"})
        self.assertEqual(by_question["age"].kind, safekeep.ProblemKind.CONSTRAINT)
        self.assertIn("120", by_question["age"].text)
        self.assertEqual(vault.list(safekeep.RecordFilter()), [])
        with self.assertRaises(safekeep.SafekeepError.InvalidInput):
            vault.get("not-an-id")
        bad_date = dict(entry.answers)
        bad_date["operation_date"] = safekeep.Answer.DATE(value="2 Nov")
        with self.assertRaises(safekeep.SafekeepError.InvalidInput):
            vault.validate(entry.form, bad_date, False, None)
        vault.close_vault()

    def test_the_form_screen_follows_the_answers(self):
        vault = self.create().vault
        form = safekeep.FormRef(id="victim_identification", version=None)
        screen = vault.form_screen(form, {}, "hi")
        names = [q.name for q in screen.questions]
        self.assertIn("name", names)
        self.assertNotIn("age_estimated", names)
        name = next(q for q in screen.questions if q.name == "name")
        self.assertTrue(name.required)
        self.assertEqual(name.label, "नाम या उपनाम (जैसा बताया गया)")
        screen = vault.form_screen(form, {"age": safekeep.Answer.INTEGER(value=15)}, None)
        self.assertIn("age_estimated", [q.name for q in screen.questions])
        self.assertEqual(screen.answers["minor"], text("yes"))
        vault.close_vault()

    def test_the_platform_key_opens_and_a_failing_key_store_is_an_error(self):
        vault = self.create().vault
        vault.set_platform_key(XorKeys(0x5A))
        vault.close_vault()
        opened = safekeep.Vault.open_with_platform_key(self.folder, XorKeys(0x5A), FAST)
        opened.lock()
        self.assertTrue(opened.is_locked())
        with self.assertRaises(safekeep.SafekeepError.WrongPlatformKey):
            opened.unlock_with_platform_key(XorKeys(0x11))
        with self.assertRaises(safekeep.SafekeepError.Locked):
            opened.set_platform_key(XorKeys(0x5A))
        opened.unlock_with_passphrase(PASS)
        self.assertFalse(opened.is_locked())
        with self.assertRaises(safekeep.SafekeepError.KeyStore) as caught:
            opened.set_platform_key(XorKeys(1, fail=True))
        self.assertIn("cancelled", str(caught.exception))
        opened.close_vault()

    def test_calls_from_several_threads_at_once(self):
        vault = self.create().vault
        errors = []

        def work(i):
            try:
                for j in range(5):
                    self.identify(vault, f"Person {i} {j}")
                    vault.search("Person", 5)
            except Exception as e:  # noqa: BLE001 - collected and asserted below
                errors.append(e)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        filt = safekeep.RecordFilter(kind=safekeep.RecordKind.SUBMISSION)
        self.assertEqual(len(vault.list(filt)), 20)
        vault.close_vault()


if __name__ == "__main__":
    unittest.main()
