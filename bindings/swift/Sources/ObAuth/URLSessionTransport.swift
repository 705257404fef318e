// The host side of the platform-networking flavour on Apple platforms (and Linux, through
// FoundationNetworking): ObAuth's HTTP requests sent with URLSession, so the app's networking
// policy applies (App Transport Security, certificate pinning in a session delegate, proxies,
// MDM VPNs) and the library ships without an HTTP client or TLS stack of its own.
//
// Install it once, before the first client is built:
//
//     setHttpTransport(transport: URLSessionTransport())
//
// The core keeps every decision: it refuses plain http to non-loopback hosts before calling
// here, enforces the time-out and the body limit again, and retries by its own rules. This class
// only moves bytes: it never follows redirects (the WebView does that, not the API client) and
// reports failures as typed errors.

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import ObAuthFFI

/// `HttpTransport` over `URLSession` (an ephemeral session by default: no cookies, no cache, no
/// credential storage).
///
/// Delegate-driven tasks, not completion-handler ones: FoundationNetworking consults the delegate
/// about redirects only for delegate-driven tasks, and a redirect must come back as the response
/// it is.
public final class URLSessionTransport: HttpTransport, @unchecked Sendable {
    // @unchecked: URLSession is thread-safe; the stored properties are immutable.
    private let session: URLSession
    private let exchanges: ExchangeCollector

    /// A transport over a session with `configuration`.
    public init(configuration: URLSessionConfiguration = .ephemeral) {
        configuration.httpCookieStorage = nil
        configuration.urlCache = nil
        configuration.urlCredentialStorage = nil
        let exchanges = ExchangeCollector()
        self.exchanges = exchanges
        session = URLSession(configuration: configuration, delegate: exchanges, delegateQueue: nil)
    }

    public func send(request: HttpTransportRequest, completion: HttpCompletion) throws {
        guard let url = URL(string: request.url) else {
            throw HttpTransportError.Network(detail: "not a URL")
        }
        var urlRequest = URLRequest(url: url)
        urlRequest.httpMethod = request.method
        urlRequest.timeoutInterval = Double(request.timeoutMs) / 1000
        urlRequest.httpShouldHandleCookies = false
        for header in request.headers {
            urlRequest.setValue(header.value.expose(), forHTTPHeaderField: header.name)
        }
        if let body = request.body {
            urlRequest.httpBody = Data(body.expose().utf8)
        }
        let task = session.dataTask(with: urlRequest)
        exchanges.start(task) { result in
            switch result {
            case let .success(answer):
                completion.succeeded(response: HttpTransportResponse(
                    status: UInt16(clamping: answer.status),
                    headers: answer.headers.map { HttpHeader(name: $0.name, value: Secret($0.value)) },
                    body: answer.body
                ))
            case .failure(is ExchangeCollector.NoResponse):
                completion.failed(error: .Network(detail: "no HTTP response"))
            case let .failure(error):
                let code = (error as NSError).code
                if (error as NSError).domain == NSURLErrorDomain && code == NSURLErrorTimedOut {
                    completion.failed(error: .Timeout)
                } else {
                    // The error's description, never the request's headers or body.
                    completion.failed(error: .Network(detail: "URLSession error \(code): \(error.localizedDescription)"))
                }
            }
        }
        task.resume()
    }
}

/// One HTTP exchange as a client that follows no redirect sees it: a redirect and a 401 are
/// answers like any other.
struct ExchangeAnswer: Sendable {
    let status: Int
    /// The header fields, names lower-cased.
    let headers: [(name: String, value: String)]
    let body: Data
}

/// A session's delegate for a client that follows no redirect: collects each task's response and
/// body and hands them, when the task ends, to the closure the task was started with; refuses
/// redirects and HTTP authentication prompts (both are answers for the caller to read).
/// Delegate-driven tasks only (FoundationNetworking asks no delegate about the redirects of a
/// completion-handler task). `URLSessionTransport`'s delegate, and the test suite's stand-in
/// browser's.
final class ExchangeCollector: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    // @unchecked: `exchanges` is only touched under `lock`.
    /// What a task ended with when there was no error and no HTTP response either.
    struct NoResponse: Error {}

    typealias Finish = @Sendable (Result<ExchangeAnswer, any Error>) -> Void

    private struct Exchange {
        let finish: Finish
        var response: HTTPURLResponse?
        var body = Data()
    }

    private let lock = NSLock()
    private var exchanges: [Int: Exchange] = [:]

    private func locked<T>(_ body: (inout [Int: Exchange]) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&exchanges)
    }

    /// Collects `task`'s answer for `finish`; call before resuming the task.
    func start(_ task: URLSessionTask, _ finish: @escaping Finish) {
        locked { $0[task.taskIdentifier] = Exchange(finish: finish) }
    }

    func urlSession(
        _ session: URLSession,
        task: URLSessionTask,
        willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest,
        completionHandler: @escaping @Sendable (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }

    func urlSession(
        _ session: URLSession,
        task: URLSessionTask,
        didReceive challenge: URLAuthenticationChallenge,
        completionHandler: @escaping @Sendable (URLSession.AuthChallengeDisposition, URLCredential?) -> Void
    ) {
        #if canImport(FoundationNetworking)
        // Only HTTP authentication challenges exist here (a 401 with WWW-Authenticate; TLS trust
        // is curl's). FoundationNetworking would wait forever for a credential, or send the
        // request again with the proposed one: cancel, and the 401 collected so far is delivered
        // below.
        completionHandler(.cancelAuthenticationChallenge, nil)
        #else
        // Server trust: the platform's (and the app's ATS) evaluation. HTTP authentication:
        // no credential storage, so the 401 is delivered as it is.
        completionHandler(.performDefaultHandling, nil)
        #endif
    }

    func urlSession(
        _ session: URLSession,
        dataTask: URLSessionDataTask,
        didReceive response: URLResponse,
        completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void
    ) {
        locked { $0[dataTask.taskIdentifier]?.response = response as? HTTPURLResponse }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        locked { $0[dataTask.taskIdentifier]?.body.append(data) }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        guard let exchange = locked({ $0.removeValue(forKey: task.taskIdentifier) }) else { return }
        let response = exchange.response ?? (task.response as? HTTPURLResponse)
        if let response, error == nil || response.statusCode == 401 {
            var headers: [(name: String, value: String)] = []
            for (name, value) in response.allHeaderFields {
                if let name = name as? String, let value = value as? String {
                    headers.append((name: name.lowercased(), value: value))
                }
            }
            exchange.finish(.success(ExchangeAnswer(status: response.statusCode, headers: headers, body: exchange.body)))
        } else {
            exchange.finish(.failure(error ?? NoResponse()))
        }
    }
}
