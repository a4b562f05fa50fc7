import Foundation

/// The sync transport over `URLSession`: the core signs every request; this only moves
/// bytes. The core calls `send` on the background queue that runs the sync, one request
/// at a time, so it waits for the answer. Use an `https://` server (App Transport
/// Security applies). A large bundle over 2G can take minutes, hence the long timeout.
/// Errors carry the method and the error's code only, never the URL or a body.
public final class URLSessionHttpClient: HttpClient, @unchecked Sendable {
    private let session: URLSession

    public init(timeout: TimeInterval = 300) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        session = URLSession(configuration: configuration)
    }

    public func send(request: HttpRequest) throws -> HttpResponse {
        guard let url = URL(string: request.url) else {
            throw HttpError.Network(detail: "\(request.method): not a URL")
        }
        var urlRequest = URLRequest(url: url)
        urlRequest.httpMethod = request.method
        for header in request.headers {
            urlRequest.setValue(header.value, forHTTPHeaderField: header.name)
        }
        if request.method != "GET" {
            urlRequest.httpBody = request.body
        }
        let done = DispatchSemaphore(value: 0)
        var outcome: Result<HttpResponse, HttpError> = .failure(.Network(detail: "\(request.method): no answer"))
        let task = session.dataTask(with: urlRequest) { data, response, error in
            defer { done.signal() }
            if let error = error as NSError? {
                outcome = .failure(.Network(detail: "\(request.method): \(error.domain) \(error.code)"))
                return
            }
            guard let http = response as? HTTPURLResponse else { return }
            // A 4xx or 5xx is an answer: the core reads its JSON error.
            let headers = http.allHeaderFields.compactMap { key, value -> HttpHeader? in
                guard let name = key as? String, let value = value as? String else { return nil }
                return HttpHeader(name: name.lowercased(), value: value)
            }
            outcome = .success(HttpResponse(status: UInt16(clamping: http.statusCode), headers: headers, body: data ?? Data()))
        }
        task.resume()
        done.wait()
        return try outcome.get()
    }
}
