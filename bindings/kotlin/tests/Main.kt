package org.safekeep.tests

import java.io.File
import java.nio.file.Files
import java.time.LocalDate
import java.util.concurrent.Executors
import kotlin.system.exitProcess
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.runBlocking
import org.safekeep.Answers
import org.safekeep.SafekeepVault
import org.safekeep.toLocalDate
import org.safekeep.ffi.Answer
import org.safekeep.ffi.BundleProblem
import org.safekeep.ffi.ConflictSubject
import org.safekeep.ffi.ConflictValueKind
import org.safekeep.ffi.FormRef
import org.safekeep.ffi.NewEntry
import org.safekeep.ffi.PlatformKeyProvider
import org.safekeep.ffi.ProblemKind
import org.safekeep.ffi.RecordFilter
import org.safekeep.ffi.RecordKind
import org.safekeep.ffi.ResolveChoice
import org.safekeep.ffi.SafekeepException
import org.safekeep.ffi.TeamRole
import org.safekeep.ffi.VaultSettings

// The Kotlin layer and the generated bindings against the real library on the JVM.
// No JUnit on this machine: each test is a function; main prints "N passed, N failed".

private val FAST = VaultSettings(insecureFastKdfForTests = true)
private fun pass() = "kiln seven rescue".toCharArray()

/** A stand-in for the Android Keystore: reversible, keyed. */
class XorKeys(private val key: Int, private val fail: Boolean = false) : PlatformKeyProvider {
    override fun wrap(secret: ByteArray): ByteArray {
        if (fail) throw SafekeepException.KeyStore("the user cancelled the prompt")
        return ByteArray(secret.size) { (secret[it].toInt() xor key).toByte() }
    }
    override fun unwrapKey(wrapped: ByteArray): ByteArray = wrap(wrapped)
}

private fun check(condition: Boolean, what: () -> String) {
    if (!condition) throw AssertionError(what())
}

private inline fun <reified T : Throwable> expect(block: () -> Unit): T {
    try {
        block()
    } catch (e: Throwable) {
        if (e is T) return e
        throw AssertionError("expected ${T::class.simpleName}, got $e")
    }
    throw AssertionError("expected ${T::class.simpleName}, nothing thrown")
}

private fun folder(): File = Files.createTempDirectory("safekeep-kt").toFile().resolve("vault")

private fun identification(name: String, vararg more: Pair<String, Answer>) = NewEntry(
    caseId = null,
    serviceEntry = false,
    form = FormRef("victim_identification", null),
    answers = mapOf("name" to Answers.text(name)) + more,
    draft = false,
)

fun aRecordIsSavedFoundAndReadAfterReopening() = runBlocking {
    val dir = folder()
    val (vault, recovery) = SafekeepVault.create(dir, pass(), FAST)
    check(recovery.replace("-", "").length == 32) { "recovery key shape" }
    val saved = vault.use {
        val saved = it.submit(
            identification(
                "Lakshmi Devi",
                "age" to Answers.integer(14),
                "sex" to Answers.choice("female"),
                "operation_date" to Answers.date(LocalDate.of(2026, 11, 2)),
            ),
        )
        check(saved.newCase && saved.missing.isEmpty()) { "saved final in a new case" }
        check(saved.form.version == "2026.11.1") { "version stored: ${saved.form}" }
        val record = it.get(saved.recordId)
        check(record.answers["minor"] == Answers.text("yes")) { "minor flag: ${record.answers}" }
        check((record.answers["operation_date"] as Answer.Date).toLocalDate() == LocalDate.of(2026, 11, 2)) { "date" }
        check(it.search("Laxmi").first().caseId == saved.caseId) { "found by another spelling" }
        saved
    }
    expect<SafekeepException.WrongPassphrase> { runBlocking { SafekeepVault.open(dir, "wrong".toCharArray(), FAST) } }
    SafekeepVault.open(dir, pass(), FAST).use {
        check(it.get(saved.recordId).answers["name"] == Answers.text("Lakshmi Devi")) { "reopened" }
        check(it.check().ok) { "check" }
    }
    SafekeepVault.recover(dir, recovery.lowercase(), FAST).use { it.changePassphrase("new one".toCharArray()) }
    SafekeepVault.open(dir, "new one".toCharArray(), FAST).close()
}

fun aRefusedSaveCarriesEveryProblemAndStoresNothing() = runBlocking {
    SafekeepVault.create(folder(), pass(), FAST).first.use { vault ->
        val entry = NewEntry(null, false, FormRef("victim_identification", null),
            mapOf("age" to Answers.integer(130), "village" to Answers.text("x")), false)
        val refused = expect<SafekeepException.Validation> { runBlocking { vault.submit(entry, "hi") } }
        val byQuestion = refused.problems.associateBy { it.question }
        check(byQuestion.keys == setOf("name", "age", "village")) { "problems: ${refused.problems}" }
        check(byQuestion["age"]?.kind == ProblemKind.CONSTRAINT) { "age constraint" }
        check(byQuestion["age"]?.text == "आयु वर्षों में, 0 से 120 के बीच होनी चाहिए।") { "Hindi: ${byQuestion["age"]}" }
        check(vault.list().isEmpty()) { "nothing stored" }
        expect<SafekeepException.InvalidInput> { runBlocking { vault.get("not-an-id") } }
        // A draft saves what is valid; finishing it is checked again.
        val draft = vault.submit(NewEntry(null, false, FormRef("consent", null),
            mapOf("consent_services" to Answers.choice("yes")), true))
        check(draft.missing.any { it.question == "consent_photos" }) { "missing: ${draft.missing}" }
        expect<SafekeepException.Validation> { runBlocking { vault.edit(draft.recordId, mapOf("consent_sharing" to Answers.choice("no"))) } }
    }
}

fun theScreenFollowsTheAnswers() = runBlocking {
    SafekeepVault.create(folder(), pass(), FAST).first.use { vault ->
        val form = FormRef("victim_identification", null)
        val empty = vault.screen(form, emptyMap(), "hi")
        val name = empty.questions.first { it.name == "name" }
        check(name.required && name.label == "नाम या उपनाम (जैसा बताया गया)") { "label in Hindi: $name" }
        check(empty.questions.none { it.name == "age_estimated" }) { "age_estimated hidden without an age" }
        val withAge = vault.screen(form, mapOf("age" to Answers.integer(15)))
        check(withAge.questions.any { it.name == "age_estimated" }) { "shown once an age is given" }
        val sex = withAge.questions.first { it.name == "sex" }
        check(sex.questionType == "select_one" && sex.choices.any { it.name == "female" }) { "choices: $sex" }
    }
}

fun thePlatformKeyOpensAndAFailingKeyStoreIsAnError() = runBlocking {
    val dir = folder()
    SafekeepVault.create(dir, pass(), FAST).first.use { it.setPlatformKey(XorKeys(0x5A)) }
    SafekeepVault.open(dir, XorKeys(0x5A), FAST).use { vault ->
        vault.lock()
        check(vault.isLocked) { "locked" }
        expect<SafekeepException.WrongPlatformKey> { runBlocking { vault.unlock(XorKeys(0x11)) } }
        expect<SafekeepException.Locked> { runBlocking { vault.list() } }
        vault.unlock(pass())
        expect<SafekeepException.KeyStore> { runBlocking { vault.setPlatformKey(XorKeys(1, fail = true)) } }
    }
}

fun duplicatesAreRankedAndLinkedAcrossThreads() = runBlocking {
    SafekeepVault.create(folder(), pass(), FAST).first.use { vault ->
        val pool = Executors.newFixedThreadPool(8)
        val threads = pool.asCoroutineDispatcher()
        try {
            (0 until 8).map { i ->
                async(threads) {
                    repeat(5) { j -> vault.raw.submit(identification("Person $i $j"), null) }
                }
            }.awaitAll()
        } finally {
            pool.shutdown()
        }
        check(vault.list(RecordFilter(RecordKind.SUBMISSION, null, null)).size == 40) { "40 saved from 8 threads" }
        val first = vault.submit(identification("Mohammad Rafiq", "sex" to Answers.choice("male"), "age" to Answers.integer(17)))
        val again = vault.submit(identification("Mohd Rafik", "sex" to Answers.choice("male"), "age" to Answers.integer(17)))
        val ranked = vault.duplicates(again.recordId)
        check(ranked.firstOrNull()?.caseId == first.caseId) { "ranked: $ranked" }
        vault.link(again.caseId, first.caseId)
        check(vault.get(first.caseId).samePerson == listOf(again.caseId)) { "linked" }
        check(vault.persons().size == 41) { "42 cases, 41 persons" }
    }
}

fun aPartlyFilledIdentificationRendersInHindiAndAServiceIsLogged() = runBlocking {
    SafekeepVault.create(folder(), pass(), FAST).first.use { vault ->
        val draft = vault.submit(NewEntry(null, false, FormRef("victim_identification", null),
            mapOf("age" to Answers.integer(15), "nationality" to Answers.choice("other")), true))
        check(draft.missing.map { it.question } == listOf("name")) { "only the name is missing: ${draft.missing}" }
        val screen = vault.screen(draft.recordId, "hi")
        val shown = screen.questions.map { it.name }
        check("age_estimated" in shown && "nationality_other" in shown) { "relevance applied: $shown" }
        check("minor_note" in shown) { "a 15-year-old is a minor: $shown" }
        val age = screen.questions.first { it.name == "age" }
        check(age.label == "आयु (वर्ष)" && age.value == Answers.integer(15)) { "Hindi label and value: $age" }
        val service = vault.submit(NewEntry(draft.caseId, true, FormRef("restoration_service", null), mapOf(
            "service_type" to Answers.choice("counselling"),
            "status" to Answers.choice("delivered"),
            "service_date" to Answers.date(LocalDate.of(2026, 11, 5)),
        ), false))
        val entries = vault.list(RecordFilter(RecordKind.SERVICE_ENTRY, draft.caseId, null))
        check(entries.map { it.id } == listOf(service.recordId)) { "service logged in the case" }
    }
}

/** Counts progress calls and stops after [after]. */
class StopAfter(private val after: Long) : org.safekeep.ffi.ProgressListener {
    var calls = 0
    override fun progress(done: ULong, total: ULong): Boolean {
        calls++
        return done.toLong() < after
    }
}

fun aBulkSaveReportsProgressAndCanBeCancelled() = runBlocking {
    SafekeepVault.create(folder(), pass(), FAST).first.use { vault ->
        val entries = (1..10).map { identification("Imported $it") }
        val listener = StopAfter(4)
        val report = vault.raw.submitAll(entries, listener, null)
        check(report.cancelled && report.saved.size == 4 && listener.calls == 4) { "stopped after 4: $report" }
        check(vault.list(RecordFilter(RecordKind.SUBMISSION, null, null)).size == 4) { "4 stored" }
    }
}

fun aClosedObjectGivesAClearExceptionNotACrash() = runBlocking {
    val (vault, _) = SafekeepVault.create(folder(), pass(), FAST)
    val saved = vault.submit(identification("Asha"))
    vault.raw.closeVault()
    expect<SafekeepException.Locked> { runBlocking { vault.get(saved.recordId) } }
    vault.close()
    val gone = expect<IllegalStateException> { vault.raw.isLocked() }
    check(gone.message?.contains("destroyed") == true) { "clear message: ${gone.message}" }
}

/** A coordinator's vault and a field worker's, in one team, in temp folders. */
private suspend fun teamOfTwo(): Pair<SafekeepVault, SafekeepVault> {
    val coordinator = SafekeepVault.create(folder(), pass(), FAST).first
    val field = SafekeepVault.create(folder(), pass(), FAST).first
    val team = coordinator.createTeam("Kolkata shelter")
    check(team.role == TeamRole.COORDINATOR && team.epoch == 1u) { "team: $team" }
    val invite = coordinator.createInvite(TeamRole.FIELD)
    check(invite.role == TeamRole.FIELD && invite.expires.isAfter(java.time.Instant.now())) { "invite: $invite" }
    val joined = field.joinTeam(invite.invite, invite.secret.lowercase())
    check(joined.id == team.id && joined.role == TeamRole.FIELD && joined.name == "Kolkata shelter") { "joined: $joined" }
    return coordinator to field
}

/** Everything [from] has that [to] lacks, through [to]'s summary; returns changes applied. */
private suspend fun send(from: SafekeepVault, to: SafekeepVault): Long =
    from.exportBundles(to.summary()).sumOf { to.importBundle(it.bytes).applied.toLong() }

fun twoDevicesExchangeBundlesAndAgreeAfterTheCoordinatorResolves() = runBlocking {
    val (coordinator, field) = teamOfTwo()
    coordinator.use { field.use {
        val rekha = field.submit(identification("Rekha", "notes" to Answers.text("found at the kiln")))
        val farida = coordinator.submit(identification("Farida"))
        check(send(field, coordinator) == 2L) { "case and identification sent" }
        check(send(coordinator, field) == 2L) { "and back" }
        check(send(field, coordinator) == 0L) { "nothing left to send" }
        check(coordinator.list().size == 4 && field.list().size == 4) { "both hold both cases" }
        check(field.get(farida.recordId).answers["name"] == Answers.text("Farida")) { "received" }

        // Both edit the same field without seeing each other's change.
        field.edit(rekha.recordId, mapOf("notes" to Answers.text("moved to shelter B")))
        coordinator.edit(rekha.recordId, mapOf("notes" to Answers.text("mother contacted")))
        send(field, coordinator)
        send(coordinator, field)
        val a = coordinator.conflicts()
        val b = field.conflicts()
        check(a.size == 1 && a == b) { "the same conflict on both: $a / $b" }
        val conflict = a.single()
        check(conflict.subject == ConflictSubject.Field("notes") && conflict.recordId == rekha.recordId) { "about notes: $conflict" }
        check(conflict.values.map { it.value }.toSet() ==
            setOf(Answers.text("moved to shelter B"), Answers.text("mother contacted"))) { "values: ${conflict.values}" }
        check(field.get(rekha.recordId).hasConflict) { "flagged on the record" }

        // A value that arrives after the listing is never decided unseen.
        val warning = Answers.text("agent seen near the shelter")
        field.edit(rekha.recordId, mapOf("notes" to warning))
        send(field, coordinator)
        expect<SafekeepException.ConflictChanged> {
            runBlocking { coordinator.resolve(conflict.id, ResolveChoice.Keep(conflict.values.first().id)) }
        }
        val relisted = coordinator.conflicts().single()
        check(relisted.values.any { it.value == warning && it.kind == ConflictValueKind.FIELD }) { "listed again with the new value: $relisted" }

        val keep = relisted.values.first { it.value == warning }
        expect<SafekeepException.NotCoordinator> { runBlocking { field.resolve(relisted.id, ResolveChoice.Keep(keep.id)) } }
        coordinator.resolve(relisted.id, ResolveChoice.Keep(keep.id))
        expect<SafekeepException.ConflictNotFound> { runBlocking { coordinator.resolve(relisted.id, ResolveChoice.Keep(keep.id)) } }
        send(coordinator, field)
        send(field, coordinator)
        check(coordinator.conflicts().isEmpty() && field.conflicts().isEmpty()) { "no conflicts left" }
        val mine = coordinator.get(rekha.recordId)
        val theirs = field.get(rekha.recordId)
        check(mine.answers == theirs.answers && mine.answers["notes"] == warning) { "agree: $mine / $theirs" }
        check(!theirs.hasConflict) { "flag cleared" }
        check(coordinator.check().ok && field.check().ok) { "both intact" }
    } }
}

fun aTamperedBundleIsRejectedAndChangesNothing() = runBlocking {
    val (coordinator, field) = teamOfTwo()
    coordinator.use { field.use {
        val saved = field.submit(identification("Sokha"))
        field.appendNote(saved.recordId, "first visit done")
        val bundle = field.exportBundles(coordinator.summary()).single()
        check(bundle.info.opCount == 3u && bundle.info.batch == 1uL) { "one bundle of 3 changes: ${bundle.info}" }
        val tampered = bundle.bytes.copyOf()
        tampered[tampered.size - 20] = (tampered[tampered.size - 20].toInt() xor 0x40).toByte()
        val refused = expect<SafekeepException.BundleRejected> { runBlocking { coordinator.importBundle(tampered) } }
        check(refused.reason == BundleProblem.UNAUTHENTIC) { "reason: ${refused.reason}" }
        expect<SafekeepException.BundleRejected> { runBlocking { coordinator.verifyBundle(tampered) } }
        check(coordinator.list().isEmpty() && coordinator.conflicts().isEmpty()) { "nothing applied" }
        check(coordinator.verifyBundle(bundle.bytes) == bundle.info) { "the good one verifies" }

        var last = 0L to 0L
        val report = coordinator.importBundle(bundle.bytes) { done, total -> last = done to total }
        check(report.applied == 3uL && last == (3L to 3L)) { "applied with progress: $report, $last" }
        check(coordinator.importBundle(bundle.bytes).duplicates == 3uL) { "a second import changes nothing" }
        val notes = coordinator.get(saved.recordId).logs["notes"]?.map { it.value }
        check(notes == listOf(Answers.text("first visit done"))) { "note received: $notes" }

        // What a joining screen branches on.
        expect<SafekeepException.NotCoordinator> { runBlocking { field.createInvite(TeamRole.FIELD) } }
        val invite = coordinator.createInvite(TeamRole.AFTERCARE, java.time.Duration.ofMinutes(10))
        SafekeepVault.create(folder(), pass(), FAST).first.use { newcomer ->
            expect<SafekeepException.NoTeam> { runBlocking { newcomer.summary() } }
            expect<SafekeepException.InvalidInvite> { runBlocking { newcomer.joinTeam("SKINV1:AAAA", invite.secret) } }
            expect<SafekeepException.WrongInviteSecret> { runBlocking { newcomer.joinTeam(invite.invite, "AAAA-BBBB") } }
            check(newcomer.team() == null) { "not in a team" }
            check(newcomer.joinTeam(invite.invite, invite.secret).role == TeamRole.AFTERCARE) { "joined" }
        }
    } }
}

fun main() {
    val tests = listOf(
        "a record is saved, found and read after reopening" to ::aRecordIsSavedFoundAndReadAfterReopening,
        "a refused save carries every problem and stores nothing" to ::aRefusedSaveCarriesEveryProblemAndStoresNothing,
        "the screen follows the answers" to ::theScreenFollowsTheAnswers,
        "the platform key opens and a failing key store is an error" to ::thePlatformKeyOpensAndAFailingKeyStoreIsAnError,
        "duplicates are ranked and linked, saves from 8 threads at once" to ::duplicatesAreRankedAndLinkedAcrossThreads,
        "a partly filled identification renders in Hindi and a service is logged" to ::aPartlyFilledIdentificationRendersInHindiAndAServiceIsLogged,
        "a bulk save reports progress and can be cancelled" to ::aBulkSaveReportsProgressAndCanBeCancelled,
        "a closed object gives a clear exception, not a crash" to ::aClosedObjectGivesAClearExceptionNotACrash,
        "two devices exchange bundles and agree after the coordinator resolves" to ::twoDevicesExchangeBundlesAndAgreeAfterTheCoordinatorResolves,
        "a tampered bundle is rejected and changes nothing" to ::aTamperedBundleIsRejectedAndChangesNothing,
        "three devices sync through a real server and a removed phone is wiped" to ::threeDevicesSyncThroughARealServerAndARemovedPhoneIsWiped,
    )
    var failed = 0
    for ((name, test) in tests) {
        try {
            test()
            println("ok      $name")
        } catch (e: Throwable) {
            failed++
            println("FAILED  $name: $e")
        }
    }
    println("${tests.size - failed} passed, $failed failed")
    if (failed > 0) exitProcess(1)
}
