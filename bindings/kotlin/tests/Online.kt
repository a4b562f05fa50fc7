package org.safekeep.tests

import java.io.File
import java.nio.file.Files
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import org.safekeep.Answers
import org.safekeep.SafekeepVault
import org.safekeep.UrlConnectionHttpClient
import org.safekeep.ffi.FormRef
import org.safekeep.ffi.HttpClient
import org.safekeep.ffi.HttpException
import org.safekeep.ffi.HttpRequest
import org.safekeep.ffi.HttpResponse
import org.safekeep.ffi.NewEntry
import org.safekeep.ffi.ResolveChoice
import org.safekeep.ffi.SafekeepException
import org.safekeep.ffi.SyncCancel
import org.safekeep.ffi.SyncPhase
import org.safekeep.ffi.TeamRole
import org.safekeep.ffi.VaultSettings
import org.safekeep.ffi.vaultExists

// Online sync through the bindings against a real `safekeep-server` process on
// 127.0.0.1 (SAFEKEEP_SERVER_BIN, built by bindings/test.sh), with the Kotlin layer's
// HttpURLConnection client as the transport.

private val FAST_SETTINGS = VaultSettings(insecureFastKdfForTests = true)

/** A real server on a free loopback port, with its data in a temp dir; killed on close. */
class RealServer : AutoCloseable {
    private val process: Process
    val url: String
    val token: String

    init {
        val bin = System.getenv("SAFEKEEP_SERVER_BIN") ?: throw AssertionError("SAFEKEEP_SERVER_BIN is not set")
        val data = Files.createTempDirectory("safekeep-server").toFile()
        process = ProcessBuilder(bin, "--listen", "127.0.0.1:0", "--data", data.path)
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start()
        Runtime.getRuntime().addShutdownHook(Thread { process.destroyForcibly() })
        val lines = process.inputStream.bufferedReader()
        var token: String? = null
        var url: String? = null
        while (url == null) {
            val line = lines.readLine() ?: throw AssertionError("the server stopped")
            line.removePrefix("operator token (shown once; only its hash is kept): ").let { if (it != line) token = it }
            line.removePrefix("listening on ").let { if (it != line) url = "http://$it" }
        }
        this.url = url!!
        this.token = token ?: throw AssertionError("no operator token printed")
    }

    override fun close() {
        process.destroyForcibly()
        process.waitFor()
    }
}

private fun vaultFolder(): File = Files.createTempDirectory("safekeep-kt").toFile().resolve("vault")

private fun person(name: String) = NewEntry(
    caseId = null,
    serviceEntry = false,
    form = FormRef("victim_identification", null),
    answers = mapOf("name" to Answers.text(name)),
    draft = false,
)

private fun ensure(condition: Boolean, what: () -> String) {
    if (!condition) throw AssertionError(what())
}

private inline fun <reified T : Throwable> thrown(block: () -> Unit): T {
    try {
        block()
    } catch (e: Throwable) {
        if (e is T) return e
        throw AssertionError("expected ${T::class.simpleName}, got $e")
    }
    throw AssertionError("expected ${T::class.simpleName}, nothing thrown")
}

/** A client with no network at all. */
private object Offline : HttpClient {
    override fun send(request: HttpRequest): HttpResponse = throw HttpException.Network("no signal")
}

fun threeDevicesSyncThroughARealServerAndARemovedPhoneIsWiped() = runBlocking {
    RealServer().use { server ->
        val http = UrlConnectionHttpClient()
        val coordinator = SafekeepVault.create(vaultFolder(), "coordinator pass".toCharArray(), FAST_SETTINGS).first
        coordinator.createTeam("Sundarbans shelters", server.url)
        val refused = thrown<SafekeepException.ServerRefused> { runBlocking { coordinator.registerTeam(http, "skop_wrong") } }
        // The 401's JSON body reaches the core: its code, not just the status.
        ensure(refused.status.toInt() == 401 && refused.code == "unauthenticated") { "a wrong operator token: $refused" }
        coordinator.registerTeam(http, server.token)

        suspend fun member(role: TeamRole): Pair<SafekeepVault, File> {
            val invite = coordinator.createInvite(role, http = http)
            val dir = vaultFolder()
            val vault = SafekeepVault.create(dir, "member pass".toCharArray(), FAST_SETTINGS).first
            vault.joinTeam(invite.invite, invite.secret)
            ensure(vault.enroll(http) == role) { "enrolled as $role" }
            // The invite enrolls one device only.
            SafekeepVault.create(vaultFolder(), "other".toCharArray(), FAST_SETTINGS).first.use { other ->
                other.joinTeam(invite.invite, invite.secret)
                val used = thrown<SafekeepException.ServerRefused> { runBlocking { other.enroll(http) } }
                ensure(used.status.toInt() == 403) { "a used invite: $used" }
            }
            return vault to dir
        }
        val (field, _) = member(TeamRole.FIELD)
        val (aftercare, aftercareDir) = member(TeamRole.AFTERCARE)

        // An identification reaches both others; the listener may call the vault.
        val rekha = field.submit(person("Rekha Kumari"))
        val seen = mutableListOf<SyncPhase>()
        val pushed = field.sync(http) { phase, _ ->
            seen += phase
            runBlocking { field.team() }
        }
        ensure(pushed.pushed == 1uL && SyncPhase.PUSHING in seen) { "pushed: $pushed, $seen" }
        for (vault in listOf(coordinator, aftercare)) {
            val round = vault.sync(http)
            ensure(round.pulled >= 1uL && round.report.applied == 2uL) { "pulled: $round" }
            ensure(vault.get(rekha.recordId).answers["name"] == Answers.text("Rekha Kumari")) { "received" }
        }

        // Two offline edits become one conflict on all three; the resolution reaches all.
        field.edit(rekha.recordId, mapOf("notes" to Answers.text("moved to shelter B")))
        aftercare.edit(rekha.recordId, mapOf("notes" to Answers.text("counselling started")))
        for (vault in listOf(field, aftercare, coordinator, field, aftercare)) vault.sync(http)
        val conflict = coordinator.conflicts().single()
        ensure(field.conflicts() == listOf(conflict) && aftercare.conflicts() == listOf(conflict)) { "the same conflict" }
        val keep = conflict.values.first { it.value == Answers.text("counselling started") }
        coordinator.resolve(conflict.id, ResolveChoice.Keep(keep.id))
        for (vault in listOf(coordinator, field, aftercare)) {
            vault.sync(http)
            ensure(vault.conflicts().isEmpty()) { "resolved everywhere" }
            ensure(vault.get(rekha.recordId).answers["notes"] == Answers.text("counselling started")) { "kept value" }
        }

        // No network: a clear error, nothing lost; a cancelled round resumes.
        val farida = field.submit(person("Farida Begum"))
        thrown<SafekeepException.Network> { runBlocking { field.sync(Offline) } }
        val stopped = SyncCancel()
        stopped.cancel()
        thrown<SafekeepException.Cancelled> { field.raw.sync(http, null, stopped) }
        // Cancelling the coroutine stops the round after its first bundle.
        lateinit var job: Job
        job = launch(Dispatchers.Default) { field.sync(http) { _, _ -> job.cancel() } }
        job.join()
        ensure(job.isCancelled) { "the coroutine ended cancelled" }
        val resumed = field.sync(http)
        ensure(resumed.pushed == 0uL) { "the push had completed before the cancel: $resumed" }
        val caught = coordinator.sync(http)
        ensure(caught.report.applied == 2uL && caught.report.duplicates == 0uL) { "nothing lost or doubled: $caught" }
        ensure(coordinator.get(farida.recordId).answers["name"] == Answers.text("Farida Begum")) { "arrived" }

        // The aftercare phone is lost: the coordinator removes it; its next sync wipes it.
        val devices = coordinator.serverDevices(http)
        ensure(devices.size == 3 && devices.all { it.revoked == null }) { "devices: $devices" }
        ensure(devices.all { it.verified }) { "every device's invite vouched for it: $devices" }
        val lost = aftercare.deviceId()
        thrown<SafekeepException.NotCoordinator> { runBlocking { field.revokeDevice(http, lost) } }
        // A second coordinator signs nothing for the team until a coordinator confirms it.
        val (deputy, _) = member(TeamRole.COORDINATOR)
        ensure(deputy.sync(http).awaitingConfirmation) { "the deputy waits for a confirmation" }
        thrown<SafekeepException.AwaitingConfirmation> { runBlocking { deputy.revokeDevice(http, lost) } }
        val listedDeputy = coordinator.serverDevices(http).single { it.deviceId == deputy.deviceId() }
        ensure(listedDeputy.verified && listedDeputy.awaitingConfirmation) { "listed unconfirmed: $listedDeputy" }
        ensure(coordinator.sync(http).confirmed == 1u) { "the coordinator's round confirms it" }
        ensure(!deputy.sync(http).awaitingConfirmation) { "the deputy took its confirmation" }
        deputy.close()
        thrown<SafekeepException.InvalidInput> { runBlocking { coordinator.revokeDevice(http, "not-an-id") } }
        coordinator.revokeDevice(http, lost)
        ensure(coordinator.serverDevices(http).single { it.deviceId == lost }.revoked != null) { "listed as removed" }
        thrown<SafekeepException.Revoked> { runBlocking { aftercare.sync(http) } }
        ensure(!vaultExists(aftercareDir.path)) { "the removed phone holds no vault" }
        ensure(aftercareDir.walk().none { it.isFile }) { "no file left: ${aftercareDir.walk().toList()}" }
        thrown<SafekeepException.Locked> { runBlocking { aftercare.list() } }
        aftercare.raw.close()
        field.sync(http)
        coordinator.close()
        field.close()
    }
}
