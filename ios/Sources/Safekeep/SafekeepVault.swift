// The vault for Swift callers, over the generated bindings (Safekeep.swift, produced by
// build-xcframework.sh). Every call is `async` and runs on a background queue
// (unlocking derives a key for a fifth of a second by design); passphrases are `Data`
// that is wiped after use; errors are `SafekeepError` cases.

import Foundation

public final class SafekeepVault: @unchecked Sendable {
    /// The generated object, for calls this layer does not wrap.
    public let raw: Vault
    private static let queue = DispatchQueue(label: "org.safekeep.vault", qos: .userInitiated, attributes: .concurrent)

    private init(raw: Vault) { self.raw = raw }

    private static func background<T>(_ work: @escaping () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }

    /// Creates a vault; returns it open with the recovery key to show once.
    public static func create(folder: URL, passphrase: inout Data, settings: VaultSettings? = nil) async throws -> (SafekeepVault, String) {
        let secret = passphrase
        passphrase.resetBytes(in: 0..<passphrase.count)
        let made = try await background { try createVault(folder: folder.path, passphrase: secret, settings: settings) }
        return (SafekeepVault(raw: made.vault), made.recoveryKey)
    }

    /// Opens with the passphrase (or the duress passphrase, which wipes the vault).
    public static func open(folder: URL, passphrase: inout Data, settings: VaultSettings? = nil) async throws -> SafekeepVault {
        let secret = passphrase
        passphrase.resetBytes(in: 0..<passphrase.count)
        return SafekeepVault(raw: try await background {
            try Vault.openWithPassphrase(folder: folder.path, passphrase: secret, settings: settings)
        })
    }

    /// Opens with the platform key (Keychain / Secure Enclave).
    public static func open(folder: URL, keys: PlatformKeyProvider, settings: VaultSettings? = nil) async throws -> SafekeepVault {
        SafekeepVault(raw: try await background {
            try Vault.openWithPlatformKey(folder: folder.path, provider: keys, settings: settings)
        })
    }

    /// Wipes keys and the name index from memory (call when the app goes to the background).
    public func lock() async throws { try await Self.background { try self.raw.lock() } }

    /// Unlocks with the passphrase.
    public func unlock(passphrase: inout Data) async throws {
        let secret = passphrase
        passphrase.resetBytes(in: 0..<passphrase.count)
        try await Self.background { try self.raw.unlockWithPassphrase(passphrase: secret) }
    }

    /// Saves a filled form; throws `SafekeepError.Validation` with every problem.
    public func submit(_ entry: NewEntry, lang: String? = nil) async throws -> Saved {
        try await Self.background { try self.raw.submit(entry: entry, lang: lang) }
    }

    /// Changes answers (nil clears one).
    public func edit(_ id: String, changes: [String: Answer?], draft: Bool = false, lang: String? = nil) async throws -> Saved {
        try await Self.background { try self.raw.edit(id: id, changes: changes, draft: draft, lang: lang) }
    }

    /// What to show for a form and the answers so far.
    public func screen(form: FormRef, answers: [String: Answer], lang: String? = nil) async throws -> Screen {
        try await Self.background { try self.raw.formScreen(form: form, answers: answers, lang: lang) }
    }

    /// One record.
    public func get(_ id: String) async throws -> Record { try await Self.background { try self.raw.get(id: id) } }

    /// Records matching the filter, oldest first.
    public func list(_ filter: RecordFilter = RecordFilter(kind: nil, caseId: nil, formId: nil)) async throws -> [Record] {
        try await Self.background { try self.raw.list(filter: filter) }
    }

    /// Persons by name or alias in any spelling.
    public func search(_ text: String, limit: UInt32 = 10) async throws -> [PersonMatch] {
        try await Self.background { try self.raw.search(text: text, limit: limit) }
    }

    /// Likely duplicates of a case or identification, ranked.
    public func duplicates(_ id: String, limit: UInt32 = 10) async throws -> [DuplicateCandidate] {
        try await Self.background { try self.raw.duplicates(id: id, limit: limit) }
    }

    /// Links two cases as the same person (or withdraws it).
    public func link(_ caseId: String, _ otherCaseId: String, same: Bool = true) async throws {
        try await Self.background { try self.raw.link(caseId: caseId, otherCaseId: otherCaseId, same: same) }
    }

    /// Checks the vault files and every sealed value.
    public func check() async throws -> CheckReport { try await Self.background { try self.raw.check() } }

    /// Checkpoints and closes the vault files.
    public func close() async throws { try await Self.background { try self.raw.closeVault() } }
}

public extension Answer {
    /// A date answer from a calendar date in the Gregorian calendar.
    static func date(_ components: DateComponents) -> Answer? {
        guard let y = components.year, let m = components.month, let d = components.day else { return nil }
        return .date(value: String(format: "%04d-%02d-%02d", y, m, d))
    }
}
