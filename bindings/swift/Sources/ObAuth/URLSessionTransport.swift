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

/// `HttpTransport` over `URLSession` (an ephemeral session by default: no cookies, no cache).
public final class URLSessionTransport: HttpTransport, @unchecked Sendable {
    // @unchecked: URLSession is thread-safe; the stored properties are immutable.
    private let session: URLSession

    /// A transport over a session with `configuration` that refuses redirects.
    public init(configuration: URLSessionConfiguration = .ephemeral) {
        configuration.httpCookieStorage = nil
        configuration.urlCache = nil
        session = URLSession(configuration: configuration, delegate: NoRedirects(), delegateQueue: nil)
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
        let task = session.dataTask(with: urlRequest) { data, response, error in
            if let error {
                let code = (error as NSError).code
                if (error as NSError).domain == NSURLErrorDomain && code == NSURLErrorTimedOut {
                    completion.failed(error: .Timeout)
                } else {
                    // The error's description, never the request's headers or body.
                    completion.failed(error: .Network(detail: "URLSession error \(code): \(error.localizedDescription)"))
                }
                return
            }
            guard let http = response as? HTTPURLResponse else {
                completion.failed(error: .Network(detail: "no HTTP response"))
                return
            }
            var headers: [HttpHeader] = []
            for (name, value) in http.allHeaderFields {
                if let name = name as? String, let value = value as? String {
                    headers.append(HttpHeader(name: name.lowercased(), value: Secret(value)))
                }
            }
            completion.succeeded(response: HttpTransportResponse(
                status: UInt16(clamping: http.statusCode), headers: headers, body: data ?? Data()
            ))
        }
        task.resume()
    }
}

/// Hands every redirect back to the caller as the response it is.
private final class NoRedirects: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    func urlSession(
        _ session: URLSession, task: URLSessionTask,
        willPerformHTTPRedirection response: HTTPURLResponse, newRequest request: URLRequest,
        completionHandler: @escaping @Sendable (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }
}
