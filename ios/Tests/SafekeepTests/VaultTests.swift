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
}
