// Mirrors bindings/kotlin/tests/Main.kt. Run on macOS after build-xcframework.sh:
// `swift test` (no Swift compiler exists on the Linux build machines).

import Foundation
import XCTest
@testable import Safekeep

final class XorKeys: PlatformKeyProvider {
    let key: UInt8
    let fail: Bool
    init(_ key: UInt8, fail: Bool = false) { self.key = key; self.fail = fail }
    func wrap(secret: Data) throws -> Data {
        if fail { throw SafekeepError.KeyStore(detail: "the user cancelled the prompt") }
        return Data(secret.map { $0 ^ key })
    }
    func unwrapKey(wrapped: Data) throws -> Data { try wrap(secret: wrapped) }
}

final class VaultTests: XCTestCase {
    let fast = VaultSettings(insecureFastKdfForTests: true)

    func folder() -> URL {
        FileManager.default.temporaryDirectory
            .appendingPathComponent(UUID().uuidString)
            .appendingPathComponent("vault")
    }

    func passphrase() -> Data { Data("kiln seven rescue".utf8) }

    func identification(_ name: String, _ more: [String: Answer] = [:]) -> NewEntry {
        NewEntry(caseId: nil, serviceEntry: false,
                 form: FormRef(id: "victim_identification", version: nil),
                 answers: more.merging(["name": .text(value: name)]) { a, _ in a },
                 draft: false)
    }

    func testARecordIsSavedFoundAndReadAfterReopening() async throws {
        let dir = folder()
        var pass = passphrase()
        let (vault, recovery) = try await SafekeepVault.create(folder: dir, passphrase: &pass, settings: fast)
        XCTAssertEqual(recovery.replacingOccurrences(of: "-", with: "").count, 32)
        XCTAssertTrue(pass.allSatisfy { $0 == 0 }, "the caller's passphrase is wiped")
        let saved = try await vault.submit(identification("Lakshmi Devi", ["age": .integer(value: 14), "sex": .choice(value: "female")]))
        XCTAssertTrue(saved.newCase)
        XCTAssertEqual(saved.form.version, "2026.11.1")
        let record = try await vault.get(saved.recordId)
        XCTAssertEqual(record.answers["minor"], .text(value: "yes"))
        let found = try await vault.search("Laxmi")
        XCTAssertEqual(found.first?.caseId, saved.caseId)
        try await vault.close()
        var wrong = Data("wrong".utf8)
        do {
            _ = try await SafekeepVault.open(folder: dir, passphrase: &wrong, settings: fast)
            XCTFail("a wrong passphrase opened the vault")
        } catch SafekeepError.WrongPassphrase {}
        var again = passphrase()
        let reopened = try await SafekeepVault.open(folder: dir, passphrase: &again, settings: fast)
        XCTAssertTrue(try await reopened.check().ok)
        try await reopened.close()
    }

    func testARefusedSaveCarriesEveryProblemAndStoresNothing() async throws {
        var pass = passphrase()
        let (vault, _) = try await SafekeepVault.create(folder: folder(), passphrase: &pass, settings: fast)
        let entry = NewEntry(caseId: nil, serviceEntry: false,
                             form: FormRef(id: "victim_identification", version: nil),
                             answers: ["age": .integer(value: 130), "village": .text(value: "x")], draft: false)
        do {
            _ = try await vault.submit(entry, lang: "hi")
            XCTFail("refused answers were saved")
        } catch SafekeepError.Validation(let problems) {
            XCTAssertEqual(Set(problems.map(\.question)), ["name", "age", "village"])
            XCTAssertEqual(problems.first { $0.question == "age" }?.kind, .constraint)
        }
        let records = try await vault.list()
        XCTAssertTrue(records.isEmpty)
        try await vault.close()
    }

    func testThePlatformKeyOpensAndAFailingKeyStoreIsAnError() async throws {
        let dir = folder()
        var pass = passphrase()
        let (vault, _) = try await SafekeepVault.create(folder: dir, passphrase: &pass, settings: fast)
        try vault.raw.setPlatformKey(provider: XorKeys(0x5A))
        try await vault.close()
        let opened = try await SafekeepVault.open(folder: dir, keys: XorKeys(0x5A), settings: fast)
        try await opened.lock()
        XCTAssertThrowsError(try opened.raw.unlockWithPlatformKey(provider: XorKeys(0x11)))
        var again = passphrase()
        try await opened.unlock(passphrase: &again)
        XCTAssertThrowsError(try opened.raw.setPlatformKey(provider: XorKeys(1, fail: true)))
        try await opened.close()
    }

    func testDuplicatesAreRankedAndLinked() async throws {
        var pass = passphrase()
        let (vault, _) = try await SafekeepVault.create(folder: folder(), passphrase: &pass, settings: fast)
        let first = try await vault.submit(identification("Mohammad Rafiq", ["sex": .choice(value: "male"), "age": .integer(value: 17)]))
        let again = try await vault.submit(identification("Mohd Rafik", ["sex": .choice(value: "male"), "age": .integer(value: 17)]))
        let ranked = try await vault.duplicates(again.recordId)
        XCTAssertEqual(ranked.first?.caseId, first.caseId)
        try await vault.link(again.caseId, first.caseId)
        let linked = try await vault.get(first.caseId)
        XCTAssertEqual(linked.samePerson, [again.caseId])
        try await vault.close()
    }

    /// A coordinator's vault and a field worker's, in one team.
    func teamOfTwo() async throws -> (SafekeepVault, SafekeepVault) {
        var one = passphrase(), two = passphrase()
        let (coordinator, _) = try await SafekeepVault.create(folder: folder(), passphrase: &one, settings: fast)
        let (field, _) = try await SafekeepVault.create(folder: folder(), passphrase: &two, settings: fast)
        let team = try await coordinator.createTeam("Kolkata shelter")
        XCTAssertEqual(team.role, .coordinator)
        let invite = try await coordinator.createInvite(role: .field)
        XCTAssertGreaterThan(invite.expires, Date())
        let joined = try await field.joinTeam(invite: invite.invite, secret: invite.secret.lowercased())
        XCTAssertEqual(joined.id, team.id)
        XCTAssertEqual(joined.role, .field)
        return (coordinator, field)
    }

    /// Everything `from` has that `to` lacks, through `to`'s summary; returns changes applied.
    @discardableResult
    func send(_ from: SafekeepVault, _ to: SafekeepVault) async throws -> UInt64 {
        var applied: UInt64 = 0
        let summary = try await to.summary()
        for bundle in try await from.exportBundles(forSummary: summary) {
            applied += try await to.importBundle(bundle.bytes).applied
        }
        return applied
    }

    func testTwoDevicesExchangeBundlesAndAgreeAfterTheCoordinatorResolves() async throws {
        let (coordinator, field) = try await teamOfTwo()
        let rekha = try await field.submit(identification("Rekha"))
        _ = try await coordinator.submit(identification("Farida"))
        let sent = try await send(field, coordinator)
        XCTAssertEqual(sent, 2)
        let back = try await send(coordinator, field)
        XCTAssertEqual(back, 2)

        _ = try await field.edit(rekha.recordId, changes: ["notes": .text(value: "moved to shelter B")])
        _ = try await coordinator.edit(rekha.recordId, changes: ["notes": .text(value: "mother contacted")])
        try await send(field, coordinator)
        try await send(coordinator, field)
        let a = try await coordinator.conflicts()
        let b = try await field.conflicts()
        XCTAssertEqual(a, b, "the same conflict on both devices")
        XCTAssertEqual(a.count, 1)
        let conflict = try XCTUnwrap(a.first)
        XCTAssertEqual(conflict.subject, .field(name: "notes"))
        let keep = try XCTUnwrap(conflict.values.first { $0.value == .text(value: "mother contacted") })
        do {
            try await field.resolve(conflict.id, .keep(valueId: keep.id))
            XCTFail("a field worker resolved a conflict")
        } catch SafekeepError.NotCoordinator {}
        try await coordinator.resolve(conflict.id, .keep(valueId: keep.id))
        try await send(coordinator, field)
        for vault in [coordinator, field] {
            let left = try await vault.conflicts()
            XCTAssertTrue(left.isEmpty)
            let record = try await vault.get(rekha.recordId)
            XCTAssertEqual(record.answers["notes"], .text(value: "mother contacted"))
            XCTAssertFalse(record.hasConflict)
            try await vault.close()
        }
    }

    func testATamperedBundleIsRejectedAndChangesNothing() async throws {
        let (coordinator, field) = try await teamOfTwo()
        let saved = try await field.submit(identification("Sokha"))
        try await field.appendNote(saved.recordId, text: "first visit done")
        let summary = try await coordinator.summary()
        let bundles = try await field.exportBundles(forSummary: summary)
        let bundle = try XCTUnwrap(bundles.first)
        XCTAssertEqual(bundle.info.opCount, 3)
        var tampered = bundle.bytes
        tampered[tampered.count - 20] ^= 0x40
        do {
            _ = try await coordinator.importBundle(tampered)
            XCTFail("a tampered bundle was imported")
        } catch SafekeepError.BundleRejected(let reason, _) {
            XCTAssertEqual(reason, .unauthentic)
        }
        let none = try await coordinator.list()
        XCTAssertTrue(none.isEmpty)
        let report = try await coordinator.importBundle(bundle.bytes)
        XCTAssertEqual(report.applied, 3)
        let record = try await coordinator.get(saved.recordId)
        XCTAssertEqual(record.logs["notes"]?.map(\.value), [.text(value: "first visit done")])
        try await coordinator.close()
        try await field.close()
    }
}
