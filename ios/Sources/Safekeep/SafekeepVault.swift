// The vault for Swift callers, over the generated bindings (Safekeep.swift, produced by
// build-xcframework.sh). Every call is `async` and runs on a background queue
// (unlocking derives a key for a fifth of a second by design); passphrases are `Data`
// that is wiped after use; errors are `SafekeepError` cases (for sync: `NoTeam`,
// `NotCoordinator`, `AwaitingConfirmation`, `InvalidInvite`, `WrongInviteSecret`, `InviteExpired`,
// `BundleRejected` with a `BundleProblem`, `ConflictNotFound`, `ConflictChanged`, ...).

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

    /// Adds a note to a record's `notes` log (`Record.logs["notes"]`); notes never conflict.
    public func appendNote(_ id: String, text: String) async throws {
        try await Self.background { try self.raw.appendNote(id: id, text: text) }
    }

    // Team and sync. By bundles: the receiving device shows `summary()` (a QR code); the
    // sending device passes it to `exportBundles(forSummary:)` and hands the bundles over
    // (a file, a nearby share); the receiving device imports each. Concurrent edits of a
    // field become `conflicts()` that a coordinator resolves.

    /// Creates a team with this vault as its coordinator.
    public func createTeam(_ name: String, server: String? = nil) async throws -> TeamInfo {
        try await Self.background { try self.raw.createTeam(name: name, server: server) }
    }

    /// This vault's team, or nil before creating or joining one.
    public func team() async throws -> TeamInfo? { try await Self.background { try self.raw.team() } }

    /// Records the team's sync server (nil forgets it).
    public func setTeamServer(_ server: String?) async throws -> TeamInfo {
        try await Self.background { try self.raw.setTeamServer(server: server) }
    }

    /// An invite for a new member (coordinator only): show its invite and secret once.
    /// With `http` and a team server, the invite is also registered with the server so
    /// the member's phone can `enroll`.
    public func createInvite(role: TeamRole, validFor: TimeInterval = 48 * 3600, http: HttpClient? = nil) async throws -> Invite {
        let seconds = validFor.isFinite && validFor > 0 ? UInt64(min(validFor, 1e15)) : 0
        return try await Self.background { try self.raw.createInvite(role: role, validSeconds: seconds, http: http) }
    }

    // Online sync: `createTeam(_:server:)` names the server and `registerTeam` registers
    // it; `createInvite(role:http:)` lets the new member's phone `enroll` after
    // `joinTeam`; then `sync` whenever there is a signal. `URLSessionHttpClient` is the
    // transport. Errors: `NoServer`, `Network` (try later), `ServerRefused`, `Revoked`
    // (this phone was removed and wiped), `Cancelled`.

    /// This device's id, as the server and `serverDevices` name it.
    public func deviceId() async throws -> String { try await Self.background { try self.raw.deviceId() } }

    /// Registers the team and this (coordinator) device with the server, with its operator token.
    public func registerTeam(http: HttpClient, operatorToken: String) async throws {
        try await Self.background { try self.raw.registerTeam(http: http, operatorToken: operatorToken) }
    }

    /// Enrolls this device with the server using the invite it joined with; the role the server gave it.
    public func enroll(http: HttpClient) async throws -> TeamRole {
        try await Self.background { try self.raw.enroll(http: http) }
    }

    /// One sync round: sends, then receives until caught up; safe to cut at any point.
    /// `progress` gets the phase and the bundles so far on a background queue. Cancelling
    /// the calling task stops the round at the next bundle (`SafekeepError.Cancelled`).
    public func sync(http: HttpClient, progress: (@Sendable (SyncPhase, UInt64) -> Void)? = nil) async throws -> SyncRound {
        let cancel = SyncCancel()
        let listener = progress.map { SyncProgress($0) }
        return try await withTaskCancellationHandler {
            try await Self.background { try self.raw.sync(http: http, listener: listener, cancel: cancel) }
        } onCancel: {
            cancel.cancel()
        }
    }

    /// The team's devices as the server lists them (coordinator only).
    public func serverDevices(http: HttpClient) async throws -> [ServerDevice] {
        try await Self.background { try self.raw.serverDevices(http: http) }
    }

    /// Removes a device from the team (coordinator only): its next contact with the server wipes it.
    public func revokeDevice(http: HttpClient, deviceId: String) async throws {
        try await Self.background { try self.raw.revokeDevice(http: http, deviceId: deviceId) }
    }

    /// Joins the team of `invite` with its one-time `secret` as typed.
    public func joinTeam(invite: String, secret: String) async throws -> TeamInfo {
        try await Self.background { try self.raw.joinTeam(invite: invite, secret: secret) }
    }

    /// What this vault holds, as a text (a QR code) for the sending device's `exportBundles`.
    public func summary() async throws -> String { try await Self.background { try self.raw.summary() } }

    /// Bundles of what the device that made `forSummary` lacks (everything when nil), of
    /// about `maxBytes` of changes each; empty when there is nothing to send.
    public func exportBundles(forSummary: String? = nil, maxBytes: UInt64 = 4 * 1024 * 1024) async throws -> [ExportedBundle] {
        try await Self.background { try self.raw.exportBundles(forSummary: forSummary, maxBytes: maxBytes) }
    }

    /// Checks a bundle against this vault without applying anything.
    public func verifyBundle(_ bytes: Data) async throws -> BundleInfo {
        try await Self.background { try self.raw.verifyBundle(bytes: bytes) }
    }

    /// Imports a bundle, all or nothing (`SafekeepError.BundleRejected`: nothing applied).
    /// `progress` gets (done, total) changes on a background queue; an import cannot be
    /// stopped halfway.
    public func importBundle(_ bytes: Data, progress: (@Sendable (UInt64, UInt64) -> Void)? = nil) async throws -> SyncReport {
        let listener = progress.map { ImportProgress($0) }
        return try await Self.background { try self.raw.importBundle(bytes: bytes, listener: listener) }
    }

    /// Every open conflict; every device with the same changes lists the same ones.
    public func conflicts() async throws -> [Conflict] { try await Self.background { try self.raw.conflicts() } }

    /// Resolves a conflict (coordinator only); the decision travels with the next exchange.
    public func resolve(_ conflictId: String, _ choice: ResolveChoice) async throws {
        try await Self.background { try self.raw.resolve(conflictId: conflictId, choice: choice) }
    }

    /// Checks the vault files and every sealed value.
    public func check() async throws -> CheckReport { try await Self.background { try self.raw.check() } }

    /// Checkpoints and closes the vault files.
    public func close() async throws { try await Self.background { try self.raw.closeVault() } }
}

/// A sync round's progress callback as the generated `SyncListener`.
private final class SyncProgress: SyncListener, @unchecked Sendable {
    let report: @Sendable (SyncPhase, UInt64) -> Void
    init(_ report: @escaping @Sendable (SyncPhase, UInt64) -> Void) { self.report = report }
    func progress(phase: SyncPhase, bundles: UInt64) { report(phase, bundles) }
}

/// An import's progress callback as the generated `ProgressListener`.
private final class ImportProgress: ProgressListener {
    let report: @Sendable (UInt64, UInt64) -> Void
    init(_ report: @escaping @Sendable (UInt64, UInt64) -> Void) { self.report = report }
    func progress(done: UInt64, total: UInt64) -> Bool {
        report(done, total)
        return true
    }
}

public extension Answer {
    /// A date answer from a calendar date in the Gregorian calendar.
    static func date(_ components: DateComponents) -> Answer? {
        guard let y = components.year, let m = components.month, let d = components.day else { return nil }
        return .date(value: String(format: "%04d-%02d-%02d", y, m, d))
    }
}
