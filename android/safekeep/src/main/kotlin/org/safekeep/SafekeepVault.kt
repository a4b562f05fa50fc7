package org.safekeep

import java.io.Closeable
import java.io.File
import java.math.BigDecimal
import java.nio.CharBuffer
import java.nio.charset.StandardCharsets
import java.time.Duration
import java.time.LocalDate
import java.time.OffsetDateTime
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.withContext
import org.safekeep.ffi.Answer
import org.safekeep.ffi.BundleInfo
import org.safekeep.ffi.CheckReport
import org.safekeep.ffi.Conflict
import org.safekeep.ffi.DuplicateCandidate
import org.safekeep.ffi.ExportedBundle
import org.safekeep.ffi.FormRef
import org.safekeep.ffi.FormSummary
import org.safekeep.ffi.HttpClient
import org.safekeep.ffi.Invite
import org.safekeep.ffi.NewEntry
import org.safekeep.ffi.PersonMatch
import org.safekeep.ffi.PlatformKeyProvider
import org.safekeep.ffi.Problem
import org.safekeep.ffi.ProgressListener
import org.safekeep.ffi.Record
import org.safekeep.ffi.RecordFilter
import org.safekeep.ffi.ResolveChoice
import org.safekeep.ffi.SafekeepException
import org.safekeep.ffi.Saved
import org.safekeep.ffi.Screen
import org.safekeep.ffi.ServerDevice
import org.safekeep.ffi.SyncCancel
import org.safekeep.ffi.SyncListener
import org.safekeep.ffi.SyncPhase
import org.safekeep.ffi.SyncReport
import org.safekeep.ffi.SyncRound
import org.safekeep.ffi.TeamInfo
import org.safekeep.ffi.TeamRole
import org.safekeep.ffi.Vault
import org.safekeep.ffi.VaultSettings
import org.safekeep.ffi.createVault

/**
 * The vault for Kotlin callers: every call is a suspend function that runs on
 * [Dispatchers.IO] (unlocking derives a key for a fifth of a second by design; a first
 * search builds the name index), passphrases are `CharArray`s that are wiped after use,
 * and the vault is [Closeable]: `SafekeepVault.open(...).use { vault -> ... }`.
 *
 * Errors are thrown as `org.safekeep.ffi.SafekeepException` subclasses: `WrongPassphrase`,
 * `Locked`, `NotFound`, `Validation` (with every problem), `Corrupt`, `Wiped`,
 * `InvalidInput`, `KeyStore`, `Storage`, `Internal`; and for teams and sync `NoTeam`,
 * `AlreadyInTeam`, `NotCoordinator`, `AwaitingConfirmation` (a new coordinator not yet
 * confirmed by another), `InvalidInvite`, `WrongInviteSecret`,
 * `InviteExpired`, `InvalidSummary`, `BundleRejected` (with a `BundleProblem` reason,
 * nothing applied), `ConflictNotFound` and `ConflictChanged` (a value arrived since the
 * conflict was listed: nothing decided, list again).
 *
 * Online sync: the coordinator's [createTeam] names the server and [registerTeam]
 * registers it; [createInvite] with an [HttpClient] lets the new member's phone [enroll]
 * after [joinTeam]; then [sync] whenever there is a signal. [UrlConnectionHttpClient] is
 * an [HttpClient] over `HttpURLConnection`; an OkHttp one is a few lines. Sync errors:
 * `NoServer`, `Network` (try later), `ServerRefused`, `Revoked` (wiped), `Cancelled`.
 *
 * Sync by bundles: the receiving device shows [summary] (a QR code); the sending device
 * passes it to [exportBundles] and hands over the bundles (a file, a nearby share);
 * the receiving device [importBundle]s each. Concurrent edits of one field become
 * [conflicts] that a coordinator [resolve]s.
 */
class SafekeepVault private constructor(
    /** The generated object, for calls this layer does not wrap. */
    val raw: Vault,
    private val io: CoroutineDispatcher,
) : Closeable {
    companion object {
        /** Creates a vault; returns it open with the recovery key to show once. */
        suspend fun create(
            folder: File,
            passphrase: CharArray,
            settings: VaultSettings = VaultSettings(),
            io: CoroutineDispatcher = Dispatchers.IO,
        ): Pair<SafekeepVault, String> = withContext(io) {
            val made = withUtf8(passphrase) { createVault(folder.path, it, settings) }
            SafekeepVault(made.vault, io) to made.recoveryKey
        }

        /** Opens with the passphrase (or the duress passphrase, which wipes the vault). */
        suspend fun open(
            folder: File,
            passphrase: CharArray,
            settings: VaultSettings = VaultSettings(),
            io: CoroutineDispatcher = Dispatchers.IO,
        ): SafekeepVault = withContext(io) {
            SafekeepVault(withUtf8(passphrase) { Vault.openWithPassphrase(folder.path, it, settings) }, io)
        }

        /** Opens with the platform key (Android Keystore). */
        suspend fun open(
            folder: File,
            keys: PlatformKeyProvider,
            settings: VaultSettings = VaultSettings(),
            io: CoroutineDispatcher = Dispatchers.IO,
        ): SafekeepVault = withContext(io) {
            SafekeepVault(Vault.openWithPlatformKey(folder.path, keys, settings), io)
        }

        /** Opens with the recovery key written down at creation. */
        suspend fun recover(
            folder: File,
            recoveryKey: String,
            settings: VaultSettings = VaultSettings(),
            io: CoroutineDispatcher = Dispatchers.IO,
        ): SafekeepVault = withContext(io) {
            SafekeepVault(Vault.openWithRecoveryKey(folder.path, recoveryKey, settings), io)
        }
    }

    /** Wipes keys and the name index from memory (call when the app goes to the background). */
    suspend fun lock() = withContext(io) { raw.lock() }

    /** Unlocks with the passphrase. */
    suspend fun unlock(passphrase: CharArray) = withContext(io) {
        withUtf8(passphrase) { raw.unlockWithPassphrase(it) }
    }

    /** Unlocks with the platform key. */
    suspend fun unlock(keys: PlatformKeyProvider) = withContext(io) { raw.unlockWithPlatformKey(keys) }

    /** Whether the vault is locked. */
    val isLocked: Boolean get() = raw.isLocked()

    /** Changes the passphrase. */
    suspend fun changePassphrase(newPassphrase: CharArray) = withContext(io) {
        withUtf8(newPassphrase) { raw.changePassphrase(it) }
    }

    /** Sets (or with null removes) the duress passphrase. */
    suspend fun setDuressPassphrase(duress: CharArray?) = withContext(io) {
        if (duress == null) raw.setDuressPassphrase(null) else withUtf8(duress) { raw.setDuressPassphrase(it) }
    }

    /** Adds the platform-key way in. */
    suspend fun setPlatformKey(keys: PlatformKeyProvider) = withContext(io) { raw.setPlatformKey(keys) }

    /** The forms this vault can use. */
    suspend fun forms(): List<FormSummary> = withContext(io) { raw.forms() }

    /** What to show for a form and the answers so far. */
    suspend fun screen(form: FormRef, answers: Map<String, Answer>, lang: String? = null): Screen =
        withContext(io) { raw.formScreen(form, answers, lang) }

    /** What to show to continue or edit a saved entry. */
    suspend fun screen(recordId: String, lang: String? = null): Screen =
        withContext(io) { raw.recordScreen(recordId, lang) }

    /** Every problem with these answers, without saving. */
    suspend fun validate(form: FormRef, answers: Map<String, Answer>, draft: Boolean = false, lang: String? = null): List<Problem> =
        withContext(io) { raw.validate(form, answers, draft, lang) }

    /** Saves a filled form; throws `SafekeepException.Validation` with every problem. */
    suspend fun submit(entry: NewEntry, lang: String? = null): Saved = withContext(io) { raw.submit(entry, lang) }

    /** Changes answers (null clears one). */
    suspend fun edit(recordId: String, changes: Map<String, Answer?>, draft: Boolean = false, lang: String? = null): Saved =
        withContext(io) { raw.edit(recordId, changes, draft, lang) }

    /** One record. */
    suspend fun get(recordId: String): Record = withContext(io) { raw.get(recordId) }

    /** Records matching [filter], oldest first. */
    suspend fun list(filter: RecordFilter = RecordFilter()): List<Record> = withContext(io) { raw.list(filter) }

    /** Deletes a record (a case with everything in it). */
    suspend fun delete(recordId: String) = withContext(io) { raw.delete(recordId) }

    /** Persons by name or alias in any spelling. */
    suspend fun search(text: String, limit: Int = 10): List<PersonMatch> =
        withContext(io) { raw.search(text, limit.coerceIn(0, 1000).toUInt()) }

    /** Likely duplicates of a case or identification, ranked. */
    suspend fun duplicates(id: String, limit: Int = 10): List<DuplicateCandidate> =
        withContext(io) { raw.duplicates(id, limit.coerceIn(0, 1000).toUInt()) }

    /** Links two cases as the same person (or withdraws it). */
    suspend fun link(caseId: String, otherCaseId: String, same: Boolean = true) =
        withContext(io) { raw.link(caseId, otherCaseId, same) }

    /** Cases grouped by person. */
    suspend fun persons(): List<List<String>> = withContext(io) { raw.persons() }

    /** Adds a note to a record's `notes` log (`Record.logs["notes"]`); notes never conflict. */
    suspend fun appendNote(recordId: String, text: String) = withContext(io) { raw.appendNote(recordId, text) }

    // Team and sync.

    /** Creates a team with this vault as its coordinator. */
    suspend fun createTeam(name: String, server: String? = null): TeamInfo =
        withContext(io) { raw.createTeam(name, server) }

    /** This vault's team, or null before creating or joining one. */
    suspend fun team(): TeamInfo? = withContext(io) { raw.team() }

    /** Records the team's sync server (null forgets it). */
    suspend fun setTeamServer(server: String?): TeamInfo = withContext(io) { raw.setTeamServer(server) }

    /**
     * An invite for a new member (coordinator only): show its invite and secret once.
     * With [http] and a team server, the invite is also registered with the server so
     * the member's phone can [enroll].
     */
    suspend fun createInvite(role: TeamRole, validFor: Duration = Duration.ofHours(48), http: HttpClient? = null): Invite =
        withContext(io) { raw.createInvite(role, validFor.seconds.coerceAtLeast(0).toULong(), http) }

    /** This device's id, as the server and [serverDevices] name it. */
    suspend fun deviceId(): String = withContext(io) { raw.deviceId() }

    /** Registers the team and this (coordinator) device with the server, with its operator token. */
    suspend fun registerTeam(http: HttpClient, operatorToken: String) =
        withContext(io) { raw.registerTeam(http, operatorToken) }

    /** Enrolls this device with the server using the invite it joined with; the role the server gave it. */
    suspend fun enroll(http: HttpClient): TeamRole = withContext(io) { raw.enroll(http) }

    /**
     * One sync round with the team's server: sends, then receives until caught up.
     * Safe to cut at any point; the next round resumes. [onProgress] gets the phase
     * and the bundles so far, on the IO thread. Cancelling the calling coroutine stops
     * the round at the next bundle (the coroutine then ends with its cancellation);
     * what moved before stays. `SafekeepException.Revoked`: this phone was removed from
     * the team and its vault is wiped.
     */
    suspend fun sync(http: HttpClient, onProgress: ((SyncPhase, Long) -> Unit)? = null): SyncRound =
        coroutineScope {
            val cancel = SyncCancel()
            val listener = onProgress?.let { report ->
                object : SyncListener {
                    override fun progress(phase: SyncPhase, bundles: ULong) {
                        // A failing callback must not fail the round (it would cross
                        // into Rust as an unexpected error).
                        runCatching { report(phase, bundles.toLong()) }
                    }
                }
            }
            val round = async(io) {
                try {
                    raw.sync(http, listener, cancel)
                } catch (e: SafekeepException.Cancelled) {
                    // Stopped because this coroutine was cancelled: end as a cancellation,
                    // not as a failure that would cancel the caller's scope.
                    throw CancellationException("sync cancelled")
                }
            }
            try {
                round.await()
            } catch (e: CancellationException) {
                cancel.cancel()
                throw e
            }
        }

    /** The team's devices as the server lists them (coordinator only). */
    suspend fun serverDevices(http: HttpClient): List<ServerDevice> = withContext(io) { raw.serverDevices(http) }

    /** Removes a device from the team (coordinator only): its next contact with the server wipes it. */
    suspend fun revokeDevice(http: HttpClient, deviceId: String) =
        withContext(io) { raw.revokeDevice(http, deviceId) }

    /** Joins the team of [invite] with its one-time [secret] as typed. */
    suspend fun joinTeam(invite: String, secret: String): TeamInfo =
        withContext(io) { raw.joinTeam(invite, secret) }

    /** What this vault holds, as a text (a QR code) for the sending device's [exportBundles]. */
    suspend fun summary(): String = withContext(io) { raw.summary() }

    /**
     * Bundles of what the device that made [forSummary] lacks (everything when null),
     * of about [maxBytes] of changes each; empty when there is nothing to send.
     */
    suspend fun exportBundles(forSummary: String? = null, maxBytes: Long = 4L * 1024 * 1024): List<ExportedBundle> =
        withContext(io) { raw.exportBundles(forSummary, maxBytes.coerceAtLeast(0).toULong()) }

    /** Checks a bundle against this vault without applying anything. */
    suspend fun verifyBundle(bytes: ByteArray): BundleInfo = withContext(io) { raw.verifyBundle(bytes) }

    /**
     * Imports a bundle, all or nothing (`SafekeepException.BundleRejected`: nothing
     * applied). [onProgress] gets (done, total) changes on the IO thread; an import
     * cannot be stopped halfway.
     */
    suspend fun importBundle(bytes: ByteArray, onProgress: ((done: Long, total: Long) -> Unit)? = null): SyncReport =
        withContext(io) {
            val listener = onProgress?.let { report ->
                object : ProgressListener {
                    override fun progress(done: ULong, total: ULong): Boolean {
                        report(done.toLong(), total.toLong())
                        return true
                    }
                }
            }
            raw.importBundle(bytes, listener)
        }

    /** Every open conflict; every device with the same changes lists the same ones. */
    suspend fun conflicts(): List<Conflict> = withContext(io) { raw.conflicts() }

    /** Resolves a conflict (coordinator only); the decision travels with the next exchange. */
    suspend fun resolve(conflictId: String, choice: ResolveChoice) =
        withContext(io) { raw.resolve(conflictId, choice) }

    /** Checks the vault files and every sealed value. */
    suspend fun check(): CheckReport = withContext(io) { raw.check() }

    /** Destroys the vault now. */
    suspend fun wipe() = withContext(io) { raw.wipe() }

    /** Checkpoints and closes the vault files, then frees the native object. */
    override fun close() {
        try {
            raw.closeVault()
        } finally {
            raw.close()
        }
    }
}

/** A passphrase as UTF-8 bytes for the call, every copy wiped afterwards. */
internal inline fun <T> withUtf8(passphrase: CharArray, call: (ByteArray) -> T): T {
    val encoded = StandardCharsets.UTF_8.encode(CharBuffer.wrap(passphrase))
    val bytes = ByteArray(encoded.remaining())
    encoded.get(bytes)
    if (encoded.hasArray()) encoded.array().fill(0)
    try {
        return call(bytes)
    } finally {
        bytes.fill(0)
    }
}

/** A date answer as [LocalDate]. */
fun Answer.Date.toLocalDate(): LocalDate = LocalDate.parse(value)

/** A date-time answer as [OffsetDateTime]. */
fun Answer.DateTime.toOffsetDateTime(): OffsetDateTime = OffsetDateTime.parse(value)

/** A decimal answer as [BigDecimal] (exact: amounts of money). */
fun Answer.Decimal.toBigDecimal(): BigDecimal = BigDecimal(value)

/** Answers from Kotlin values. */
object Answers {
    fun text(value: String): Answer = Answer.Text(value)
    fun integer(value: Long): Answer = Answer.Integer(value)
    fun decimal(value: BigDecimal): Answer = Answer.Decimal(value.toPlainString())
    fun date(value: LocalDate): Answer = Answer.Date(value.toString())
    fun dateTime(value: OffsetDateTime): Answer = Answer.DateTime(value.toString())
    fun choice(name: String): Answer = Answer.Choice(name)
    fun choices(vararg names: String): Answer = Answer.Choices(names.toList())
    fun boolean(value: Boolean): Answer = Answer.Boolean(value)
}
