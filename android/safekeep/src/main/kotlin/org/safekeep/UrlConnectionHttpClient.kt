package org.safekeep

import java.io.IOException
import java.net.HttpURLConnection
import java.net.URL
import java.time.Duration
import org.safekeep.ffi.HttpClient
import org.safekeep.ffi.HttpException
import org.safekeep.ffi.HttpHeader
import org.safekeep.ffi.HttpRequest
import org.safekeep.ffi.HttpResponse

/**
 * The sync transport over `java.net.HttpURLConnection`, which Android and every JVM
 * have: no extra dependency. The core signs every request; this only moves bytes.
 * Use an `https://` server (the platform's TLS and any network security config
 * apply). A large bundle over 2G can take minutes, hence the long read timeout.
 * Errors carry the method and the exception's class only, never the URL or a body.
 */
class UrlConnectionHttpClient(
    private val connectTimeout: Duration = Duration.ofSeconds(20),
    private val readTimeout: Duration = Duration.ofMinutes(5),
) : HttpClient {
    override fun send(request: HttpRequest): HttpResponse {
        val connection = try {
            URL(request.url).openConnection() as HttpURLConnection
        } catch (e: IOException) {
            throw HttpException.Network("${request.method}: ${e.javaClass.simpleName}")
        } catch (e: IllegalArgumentException) {
            throw HttpException.Network("${request.method}: not a URL")
        }
        try {
            connection.requestMethod = request.method
            connection.connectTimeout = connectTimeout.toMillis().toInt()
            connection.readTimeout = readTimeout.toMillis().toInt()
            connection.instanceFollowRedirects = false
            connection.useCaches = false
            for (header in request.headers) connection.setRequestProperty(header.name, header.value)
            if (request.method != "GET") {
                // Buffered, not streaming mode: in streaming mode the JVM's client throws
                // on a 401 before its body (the core needs the error code: stale,
                // replayed) can be read. Bodies are at most a few MiB.
                connection.doOutput = true
                connection.outputStream.use { it.write(request.body) }
            }
            val status = connection.responseCode
            if (status !in 100..599) throw IOException("not an HTTP answer")
            // A 4xx or 5xx is an answer: the core reads its JSON error.
            val stream = if (status >= 400) connection.errorStream else connection.inputStream
            val body = stream?.use { readAtMost(it, MAX_ANSWER_BYTES) } ?: ByteArray(0)
            val headers = connection.headerFields
                .filterKeys { it != null }
                .flatMap { (name, values) -> values.map { HttpHeader(name.lowercase(), it) } }
            // The connection stays open for the next request (keep-alive saves a TLS
            // handshake per request on a slow link); closed only after a failure.
            return HttpResponse(status.toUShort(), headers, body)
        } catch (e: HttpException) {
            connection.disconnect()
            throw e
        } catch (e: Exception) {
            connection.disconnect()
            // The class only: messages can hold the URL.
            throw HttpException.Network("${request.method}: ${e.javaClass.simpleName}")
        }
    }

    private companion object {
        /** Answers are at most 8 MiB (the server's pull budget) and a little framing. */
        const val MAX_ANSWER_BYTES = 16 * 1024 * 1024

        fun readAtMost(stream: java.io.InputStream, limit: Int): ByteArray {
            val out = java.io.ByteArrayOutputStream()
            val buffer = ByteArray(64 * 1024)
            while (true) {
                val n = stream.read(buffer)
                if (n < 0) return out.toByteArray()
                if (out.size() + n > limit) throw IOException("answer too large")
                out.write(buffer, 0, n)
            }
        }
    }
}
