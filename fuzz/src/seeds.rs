//! Seed inputs for every target: real provider bodies (as in the unit tests and the providers'
//! documentation), redirect URLs with codes, states, errors and percent-encoding, real
//! snapshots from every phase, RFC 3339 and IMF dates. `scripts/fuzz.sh seeds` writes them to
//! `fuzz/corpus/<target>/seed-*`; fuzzing adds to them and `-merge=1` keeps the corpus small.

use crate::common::snapshot_of;

/// Aiia's example code: base64 with `+`, `/` and `=`.
pub const CODE: &str = "qgAAAAVDaXBoZXJ0ZXh0AHAAAAAAhc3pqKXxpxfZnLBlBK8FZApw9cEVp7Fp9d0tcRGsx7Q9/t0gmKcPuh0jsny/VjT4Y7WTXZLPvmFjuCYUyKWgFeZs3iFVygNXZrtwHIocNFbRYSVHcIalV3Oleyc9JV4XcD4o/p++gDBWKRsSzipqQwVJdgAQAAAAABSXV44SuwfpjExvUiTg6IsQS2V5SWQAAAAAAAA=";
/// A short code, percent-encoded once.
pub const CODE_ENCODED: &str = "qgAAAAVDaXBo%2BZXh0%2FAHAAAA%3D%3D";
/// [`CODE_ENCODED`], decoded.
pub const CODE_DECODED: &str = "qgAAAAVDaXBo+ZXh0/AHAAAA==";

const INIT_OK: &str =
    r#"{"authUrl":"https://bank.example.com/start?startToken=abc%3D%3D","sessionId":"s-1"}"#;
const TOKENS_OK: &str = r#"{"success":true,"session":{"expires":"2030-01-23T13:30:07.1389724+00:00","accessToken":"mgAAAAVDaXBoZXJ0ZXh0AGAAAAAA69Csw1VJ3snS4yDpfbxkSi24XPA88dmRGTtuzAcPVHrUHz0EnV97mDfCtL9vJauLg8GUs5hLaQO3unwDzm2YZx7Q6yNfXlh8/6hx2EIGE21O3abi11+nRgu19x+5HXwABUl2ABAAAAAAdR+4hq3HXxUdwszLM8VP2RBLZXlJZAAAAAAAAA=="},"login":{"providerId":"DemoBank","expires":"2030-07-25T13:20:07.141971Z","loginToken":"-ELT2-CgQAAAVDaXBoZXJ0ZXh0ANADAAAATNw5KNeoZU+ApQjbJkKb++e3sc","supportsUnattended":true,"label":"DemoBank 1/23/2019 1:12:33 PM","subjectId":"abc"},"providerId":"DemoBank"}"#;
const OAUTH_OK: &str = r#"{"access_token":"eyJhbGciOiJIUzI1NiJ9.eyJ1c2VySWQiOiJmYTE4OTI3MSJ9.7QD6zGcdonYy79384buXOqsykWrbWa3L6LW4d9uzb-zA","expires_in":3600,"redirect_uri":"https://httpbin.org/anything","refresh_token":"eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiUmVmcmVzaFRva2VuIn0.5-x0NNg5lMxPnZRYtu983764q0sbPcSb7U9b23e3Zwx0Ss9I","token_type":"bearer"}"#;
const PKCE_OK: &str = r#"{"access_token":"AT-pkce","token_type":"Bearer","expires_in":300,"scope":"openid","id_token":"$ID_TOKEN"}"#;
const ID_TOKEN: &str = r#"{"iss":"https://id.example.com/oidc","sub":"user-1","aud":"$CLIENT_ID","exp":$EXP,"iat":$NOW,"nonce":"$NONCE"}"#;

fn owned(list: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
    list.iter()
        .map(|(n, s)| ((*n).to_owned(), s.as_bytes().to_vec()))
        .collect()
}

/// Supervised-login scripts, one per phase and per notable answer. A redirect is only a hint:
/// it moves the login to confirming (status with `pollTimeout=0`), and the status answer
/// decides.
pub fn supervised_scripts() -> Vec<(&'static str, String)> {
    let awaiting = format!("at 0\nstart\nrespond initialize 200 {INIT_OK}\n");
    let redirect = "https://app.example.com/aiia/callback";
    let confirming = format!("{awaiting}at 5\nredirect {redirect}?code={CODE_ENCODED}\n");
    let exchanging = format!(
        "{confirming}respond status 200 {{\"state\":\"Succeeded\",\"code\":\"{CODE_DECODED}\"}}\n"
    );
    let polled = format!(
        "{awaiting}at 30\nrespond status 200 {{\"state\":\"Succeeded\",\"code\":\"{CODE}\"}}\n"
    );
    let relay = format!(
        "relay\nat 0\nstart\nrespond initialize 200 {INIT_OK}\nat 5\nredirect {redirect}?code={CODE_ENCODED}\n"
    );
    vec![
        ("created", format!("redirect {redirect}?code=early\n")),
        ("initializing", "at 0\nstart\n".into()),
        ("awaiting", awaiting.clone()),
        (
            "in-progress",
            format!(
                "{awaiting}at 2\nrespond status 200 {{\"state\":\"InProgress\"}}\nat 30\ntimer next-poll\nat 31\nrespond status 200 {{\"state\":\"InProgress\"}}\n"
            ),
        ),
        ("confirming", confirming.clone()),
        ("exchanging-redirect", exchanging.clone()),
        (
            "forged-redirect",
            format!(
                "{awaiting}at 5\nredirect {redirect}?code=attacker-code\nredirect {redirect}?code=second\nat 6\nrespond status 200 {{\"state\":\"Succeeded\",\"code\":\"{CODE}\"}}\nat 7\nrespond exchange 200 {TOKENS_OK}\n"
            ),
        ),
        (
            "redirect-not-confirmed",
            format!(
                "{confirming}at 6\nrespond status 200 {{\"state\":\"InProgress\"}}\ntimer next-poll\nat 36\nrespond status 200 {{\"state\":\"InProgress\"}}\nat 40\nredirect {redirect}?code=again\n"
            ),
        ),
        (
            "confirming-status-down",
            format!(
                "{confirming}respond status 503 \ntimer retry-status\ntransport status network\nentropy 3\ntimer retry-status\nrespond status 200 {{\"state\":\"Succeeded\"}}\ntimer next-poll\nresume\nat 910\ntimer deadline\n"
            ),
        ),
        (
            "confirming-restore",
            format!("{confirming}restore\nat 8\nresume\nrespond status 200 {{\"state\":\"Succeeded\",\"code\":\"{CODE_DECODED}\"}}\n"),
        ),
        (
            "error-redirect-confirmed",
            format!("{awaiting}redirect {redirect}?error=server_error&error_description=Bank%20unavailable\nrespond status 200 {{\"state\":\"Failed\"}}\n"),
        ),
        (
            "cancel-redirect-confirmed",
            format!("{awaiting}redirect {redirect}?error=access_denied\nrespond status 200 {{\"state\":\"Cancelled\"}}\n"),
        ),
        (
            "error-redirect-succeeded",
            format!("{awaiting}redirect {redirect}?error=access_denied\nrespond status 200 {{\"state\":\"Succeeded\",\"code\":\"{CODE}\"}}\n"),
        ),
        (
            "clock-changes",
            format!(
                "code-lifetime 30\n{confirming}respond status 200 {{\"state\":\"Succeeded\",\"code\":\"{CODE_DECODED}\"}}\nrespond exchange 503 \nwall -3600\ntimer retry-exchange\nmono 29\ntransport exchange timeout\nwall 99999\nmono 1\ntimer retry-exchange\n"
            ),
        ),
        ("relay-confirming", relay.clone()),
        (
            "relay-app-token-rejected",
            format!(
                "{relay}respond status 200 {{\"state\":\"Succeeded\",\"code\":\"{CODE_DECODED}\"}}\nrestore\nresume\ntransport exchange app-token\n"
            ),
        ),
        (
            "relay-authenticated",
            format!(
                "{relay}respond status 200 {{\"state\":\"Succeeded\",\"code\":\"{CODE_DECODED}\"}}\nrespond exchange 200 {TOKENS_OK}\n"
            ),
        ),
        ("exchanging-poll", polled.clone()),
        (
            "authenticated",
            format!(
                "{exchanging}at 6\nheader X-Access-Token-Expires: 2030-02-01T10:00:00.5Z\nrespond exchange 200 {TOKENS_OK}\nredirect {redirect}?code=late\n"
            ),
        ),
        (
            "authenticated-poll",
            format!("{polled}at 31\nrespond exchange 200 {TOKENS_OK}\n"),
        ),
        (
            "failed",
            format!("{awaiting}at 3\nrespond status 200 {{\"state\":\"Failed\"}}\n"),
        ),
        (
            "cancelled-status",
            format!("{awaiting}respond status 200 {{\"state\":\"Cancelled\"}}\n"),
        ),
        (
            "cancelled-redirect",
            format!("{awaiting}redirect {redirect}?error=access_denied&error_description=User%20cancelled\n"),
        ),
        (
            "error-redirect",
            format!("{awaiting}redirect {redirect}?error=server_error&error_description=Bank%20unavailable\n"),
        ),
        ("cancelled-app", format!("{awaiting}cancel\n")),
        (
            "not-applicable",
            format!("{awaiting}respond status 200 {{\"state\":\"NotApplicable\"}}\n"),
        ),
        ("timed-out", format!("{awaiting}at 900\ntimer deadline\n")),
        (
            "session-not-found",
            format!("{awaiting}respond status 404 {{\"errorType\":\"SessionNotFound\",\"message\":\"no such session\"}}\n"),
        ),
        (
            "status-retries",
            format!(
                "{awaiting}header Retry-After: 3\nrespond status 429 \ntimer retry-status\nrespond status 503 <html>busy</html>\nentropy 99\ntimer retry-status\ntransport status timeout\ntimer retry-status\nrespond status 200 {{\"state\":\"Weird\"}}\nrespond status 200 {{\"state\":\"Succeeded\"}}\nrespond status 200 not json\n"
            ),
        ),
        (
            "initialize-retries",
            "start\nheader Retry-After: Sun, 06 Nov 1994 08:49:37 GMT\nrespond initialize 503 \ntimer retry-initialize\ntransport initialize network\ntimer retry-initialize\nrespond initialize 200 {\"authUrl\":\"http://evil.example.com/\",\"sessionId\":\"s\"}\n".into(),
        ),
        (
            "initialize-bad-auth",
            "start\nrespond initialize 401 {\"error\":\"Unauthorized\"}\n".into(),
        ),
        (
            "initialize-session-id",
            "start\nrespond initialize 200 {\"authUrl\":\"http://127.0.0.1:8080/v1/authentication/start\",\"sessionId\":\"../a/b?c#d\"}\nrespond status 200 {\"state\":\"InProgress\"}\n".into(),
        ),
        (
            "exchange-retries",
            format!(
                "{exchanging}header retry-after: 20\nrespond exchange 503 \nat 30\ntimer retry-exchange\nat 70\ntransport exchange timeout\n"
            ),
        ),
        (
            "code-rejected",
            format!("{exchanging}respond exchange 400 {{\"errorType\":\"InvalidCode\"}}\n"),
        ),
        (
            "code-expired-restore",
            format!("{exchanging}restore\nat 200\nresume\n"),
        ),
        (
            "restore-awaiting",
            format!("{awaiting}restore\nat 10\nresume\nrespond status 200 {{\"state\":\"InProgress\"}}\n"),
        ),
        (
            "tokens-malformed",
            format!(
                "{exchanging}respond exchange 200 {{\"success\":true,\"session\":{{\"expires\":\"yesterday\",\"accessToken\":\"A\"}},\"login\":{{\"expires\":\"2030-01-01T00:00:00Z\",\"loginToken\":\"L\"}}}}\n"
            ),
        ),
        (
            "redirect-odd",
            format!(
                "{awaiting}redirect {redirect}?code=a&code=b\nredirect {redirect}?code=a&error=x\nredirect {redirect}?state=1\nredirect {redirect}?code=%FF\nredirect https://APP.example.com:443/aiia/callback?code=a%252Bb\nredirect https://app.example.com/aiia/callback/x?code=a\n"
            ),
        ),
        (
            "loopback",
            "redirect-url http://127.0.0.1:8123/cb\npoll-timeout 1\ntimeout 60\ncode-lifetime 5\nstart\nrespond initialize 200 {\"authUrl\":\"https://bank.example.com/\",\"sessionId\":\"s-2\"}\nredirect http://localhost:8123/cb?code=x\nredirect http://127.0.0.1:8123/cb?code=x%2By\nrespond status 200 {\"state\":\"Succeeded\",\"code\":\"x+y\"}\n".into(),
        ),
        (
            "custom-scheme",
            "user-hash abcdefgh-1234\nredirect-url com.example.app:/oauth2redirect\nstart\nrespond initialize 200 {\"authUrl\":\"https://bank.example.com/\",\"sessionId\":\"s-3\"}\nredirect com.example.app:/oauth2redirect?code=c0de\nrespond status 200 {\"state\":\"NotApplicable\"}\n".into(),
        ),
    ]
}

/// Authorization-code scripts (connect and PKCE).
pub fn authorization_scripts() -> Vec<(&'static str, String)> {
    let cb = "https://mydomain.com/aiia-callback/tenant-7";
    let connect = "flow connect\ngroup-name Group A\nat 0\nstart\n".to_owned();
    let connect_x = format!(
        "{connect}at 4\nredirect {cb}?code={CODE_ENCODED}&state=$STATE&consentId=consent-1\n"
    );
    let pkce = format!("flow pkce\nid-token {ID_TOKEN}\nat 0\nstart\n");
    let pkce_x =
        format!("{pkce}at 3\nredirect https://app.example.com/cb?code=c%2Bd%2F%3D&state=$STATE\n");
    vec![
        ("connect-created", format!("flow connect\nredirect {cb}?code=x&state=$STATE\n")),
        ("connect-awaiting", connect.clone()),
        ("connect-exchanging", connect_x.clone()),
        (
            "connect-authenticated",
            format!("{connect_x}at 5\nrespond exchange 200 {OAUTH_OK}\nredirect {cb}?code=again&state=$STATE\n"),
        ),
        (
            "connect-declined",
            format!("{connect}redirect {cb}?error=access_denied&state=$STATE\n"),
        ),
        (
            "connect-error",
            format!("{connect}redirect {cb}?error=invalid_request&error_description=bad%20%3Cscope%3E&state=$STATE\n"),
        ),
        (
            "connect-forged",
            format!(
                "{connect}redirect {cb}?code=x&state=wrong\nredirect {cb}?code=x\nredirect {cb}?error=access_denied\nredirect https://mydomain.com/aiia-callbackEVIL?code=x&state=$STATE\nredirect {cb}?code=x&state=$STATE&state=$STATE\n"
            ),
        ),
        (
            "connect-invalid-grant",
            format!("{connect_x}respond exchange 400 {{\"error\":\"invalid_grant\",\"error_description\":\"code used\"}}\n"),
        ),
        (
            "connect-bad-client",
            format!("{connect_x}respond exchange 401 {{\"error\":\"invalid_client\"}}\n"),
        ),
        (
            "connect-retries",
            format!(
                "{connect_x}header Retry-After: 2\nrespond exchange 429 \ntimer retry-exchange\ntransport exchange network\nat 70\ntimer retry-exchange\n"
            ),
        ),
        (
            "connect-restore",
            format!("{connect_x}restore\nat 20\nresume\nrespond exchange 200 {{\"access_token\":\"A\",\"expires_in\":\"60\"}}\n"),
        ),
        ("connect-timeout", format!("{connect}at 900\ntimer deadline\n")),
        ("connect-cancel", format!("{connect}cancel\n")),
        (
            "connect-pattern",
            "flow connect\nredirect-uri https://mydomain.com/aiia-callback/a/b\npattern https://mydomain.com/aiia-callback/*\nscope accounts  offline_access\ngroup-id 42\nstart\nredirect https://mydomain.com/aiia-callback/other?code=z&state=$STATE\n".into(),
        ),
        ("pkce-awaiting", pkce.clone()),
        ("pkce-exchanging", pkce_x.clone()),
        (
            "pkce-authenticated",
            format!("{pkce_x}at 4\nrespond exchange 200 {PKCE_OK}\n"),
        ),
        (
            "pkce-wrong-nonce",
            format!(
                "flow pkce\nid-token {{\"aud\":[\"other\",\"$CLIENT_ID\"],\"exp\":$EXP,\"nonce\":\"evil\"}}\nstart\nredirect https://app.example.com/cb?code=c&state=$STATE\nrespond exchange 200 {PKCE_OK}\n"
            ),
        ),
        (
            "pkce-expired-id-token",
            format!(
                "flow pkce\nid-token {{\"aud\":\"$CLIENT_ID\",\"exp\":1,\"nonce\":\"$NONCE\"}}\nstart\nredirect https://app.example.com/cb?code=c&state=$STATE\nrespond exchange 200 {PKCE_OK}\n"
            ),
        ),
        (
            "pkce-no-id-token",
            format!("{pkce_x}respond exchange 200 {{\"access_token\":\"A\",\"token_type\":\"DPoP\",\"expires_in\":null}}\n"),
        ),
        (
            "pkce-not-a-jwt",
            format!("{pkce_x}respond exchange 200 {{\"access_token\":\"A\",\"id_token\":\"a.!!!.b\"}}\n"),
        ),
        (
            "pkce-no-openid",
            "flow pkce\nscope accounts\nstart\nredirect https://app.example.com/cb?code=c&state=$STATE\nrespond exchange 200 {\"access_token\":\"A\",\"refresh_token\":\"\",\"expires_in\":18446744073709551615}\n".into(),
        ),
        (
            "pkce-loopback",
            "flow pkce\nredirect-uri http://127.0.0.1:8123/cb\nauthorize-endpoint http://localhost:9000/authorize\ntoken-endpoint http://localhost:9000/token\nstart\nredirect http://127.0.0.1:8123/cb?code=x&state=$STATE\n".into(),
        ),
        (
            "pkce-private-scheme",
            "flow pkce\nredirect-uri com.example.app:/oauth2redirect\nstart\nredirect com.example.app:/oauth2redirect?state=$STATE&code=abc\n".into(),
        ),
        (
            "pkce-server-error",
            format!("{pkce_x}respond exchange 500 \nat 100\ntimer retry-exchange\n"),
        ),
    ]
}

/// The seeds of `target`, named.
pub fn for_target(target: &str) -> Vec<(String, Vec<u8>)> {
    match target {
        "supervised_responses" => supervised_scripts()
            .into_iter()
            .map(|(n, s)| (n.to_owned(), s.into_bytes()))
            .collect(),
        "authorization_responses" => authorization_scripts()
            .into_iter()
            .map(|(n, s)| (n.to_owned(), s.into_bytes()))
            .collect(),
        "snapshot_restore" => {
            let mut out: Vec<(String, Vec<u8>)> = Vec::new();
            for (name, script) in supervised_scripts() {
                if let Some(m) = crate::supervised::run(script.as_bytes()) {
                    out.push((format!("supervised-{name}"), snapshot_of(&m).into_bytes()));
                }
            }
            for (name, script) in authorization_scripts() {
                if let Some((m, _)) = crate::authorization::run(script.as_bytes()) {
                    out.push((name.to_owned(), snapshot_of(&m).into_bytes()));
                }
            }
            // Regression: an authorize endpoint that is not a URL (state() used to panic).
            if let Some((_, awaiting)) = out.iter().find(|(n, _)| n == "connect-awaiting") {
                let text = String::from_utf8_lossy(awaiting).replace(
                    "\"authorize_endpoint\":\"https://api.example.com/v1/oauth/connect\"",
                    "\"authorize_endpoint\":\"not a url\"",
                );
                out.push(("regression-authorize-endpoint".into(), text.into_bytes()));
            }
            out.extend(owned(&[
                ("future-version", r#"{"version":2,"kind":"pkce","flow":{}}"#),
                ("unknown-kind", r#"{"version":1,"kind":"teleport","flow":{}}"#),
                ("version-text", r#"{"version":"one"}"#),
                // Structured mode (not starting with '{'): edits to the base snapshots.
                ("edits-1", "\u{3}\u{1}\u{0}\u{0}\u{0}\u{7}\u{0}\u{6}\u{0}\u{0}\u{0}\u{1}"),
                ("edits-2", "\u{9}\u{1}\u{2}\u{0}\u{0}\u{0}\u{11}\u{0}\u{4}\u{0}\u{0}\u{0}"),
                ("edits-3", "\u{11}\u{1}\u{0}\u{0}\u{0}\u{5}\u{0}\u{7}\u{0}\u{0}\u{0}\u{e0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}"),
            ]));
            out
        }
        "redirect" => owned(&[
            (
                "exact",
                "https://app.example.com/aiia/callback\nhttps://app.example.com/aiia/callback?code=qgAAAAVDaXBoZXJ0%2BZXh0%2FAHAAAA%3D%3D&state=s\nhttps://APP.example.com:443/aiia/callback?code=a+b/c=\nhttps://app.example.com/aiia/callback/x?code=1\nhttps://app.example.com.evil.com/aiia/callback?code=1\nhttp://app.example.com/aiia/callback?code=1",
            ),
            (
                "wildcard",
                "https://mydomain.com/aiia-callback/*\nhttps://mydomain.com/aiia-callback/tenant-7?code=x&state=y\nhttps://mydomain.com/aiia-callback/\nhttps://mydomain.com/aiia-callbackx?code=1\nhttps://mydomain.com/aiia-callback/../evil?code=1\nhttps://mydomain.com/aiia-callback/%2e%2e/evil",
            ),
            (
                "bad-wildcards",
                "https://*.mydomain.com/cb\nhttps://mydomain.com/a*/b\nhttps://mydomain.com/aiia-callback*",
            ),
            (
                "loopback",
                "http://127.0.0.1:8123/cb\nhttp://127.0.0.1:8123/cb?code=a%252Bb&error=x\nhttp://[::1]:8123/cb?code=1\nhttp://localhost:8123/cb?code=1",
            ),
            (
                "private-scheme",
                "com.example.app:/oauth2redirect\ncom.example.app:/oauth2redirect?code=x&state=y\ncom.evil.app:/oauth2redirect?code=x\nmyapp://callback/done?code=%F0%9F%98%80",
            ),
            (
                "duplicates",
                "https://a.b/cb\nhttps://a.b/cb?code=a&code=b&&=&state\nhttps://a.b/cb?code=%FF%FE",
            ),
            (
                "refused",
                "http://example.com/cb\nmailto:someone@example.com\nhttps://app.example.com/cb#frag\nhttps://u:p@app.example.com/cb?x=1#y",
            ),
            (
                "value",
                "https://app.example.com/cb\nqgAAAAVDaXBo+ZXh0/AHAAAA== %E2%82%AC &code=x =",
            ),
            // Regression: an encoded '*' host was accepted and did not round-trip.
            (
                "regression-star-host",
                "https:/%2a/cb\nhttps://%2A/cb?code=x",
            ),
            // Regressions: a file URL that re-parsed with another host; an empty-path wildcard.
            (
                "regression-file-host",
                "file://2//a:/cb\nfile://2//a:/cb?code=1",
            ),
            (
                "empty-path-wildcard",
                "h://*\nh://\nh:///x?code=1\nh://evil/x",
            ),
        ]),
        "navigation" => owned(&[
            (
                "classic",
                "https://app.example.com/aiia/callback\nmobilebank.example.com,.bank.example.org\nhttps://app.example.com/aiia/callback?code=x\nhttps://bank.example.com/login\nhttp://127.0.0.1:8080/v1/authentication/start\nhttp://bank.example.com/login\nhttps://x.mobilebank.example.com/open\nhttps://evilmobilebank.example.com/\nbankid:///?autostarttoken=1\nintent://scan/#Intent;scheme=zxing;end\ntel:+4512345678\njavascript:alert(1)\ndata:text/html,hi\nfile:///etc/passwd\nabout:blank\nabout:config\nnot a url",
            ),
            (
                "wildcard",
                "https://mydomain.com/aiia-callback/*\n\nhttps://mydomain.com/aiia-callback/t?code=1\nhttps://MYDOMAIN.com:443/aiia-callback/\nhttps://mydomain.com/aiia-callbackx\n  JavaScript:alert(1)\njava\tscript:alert(1)\nblob:https://a.b/uuid\nvbscript:x\nfilesystem:https://a.b/x\ncontent://media/1",
            ),
            (
                "custom",
                "com.example.app:/oauth2redirect\nMobileBank.Example.com\ncom.example.app:/oauth2redirect?code=1\nhttps://mobilebank.example.com@evil.com/\nhttps://mobilebank.example.com./x\nmailto:a@b.c\nhttp://[::1]:9/x\nhttp://localhost./x",
            ),
        ]),
        "headers_timestamps" => owned(&[
            (
                "rfc3339",
                "2019-01-23T13:30:07.1389724+00:00\n2019-07-25T13:20:07.141971Z\n2019-12-04T18:16:42.7870000Z\n2019-12-04T20:16:42+02:00\n2019-12-04T18:16:42\n2016-12-31T23:59:60Z\n2000-02-29t00:00:00z",
            ),
            (
                "edges",
                "0000-01-01T00:00:00Z\n9999-12-31T23:59:59.999Z\n0000-01-01T00:00:00+00:01\n9999-12-31T23:59:59-23:59\n1970-01-01 00:00:00.000-00:00",
            ),
            (
                "garbage",
                "yesterday\n2019-13-01T00:00:00Z\n2019-02-30T00:00:00Z\n2019-01-01T24:00:00Z\n2019-01-01T00:00:00.Z\n2019-01-01T00:00:00+0100\n2019-01-01T00:00:00ZSECRET-token",
            ),
            (
                "retry-after",
                "7\n0\n18446744073709551615\n  120  \n-1\n3.5\nSun, 06 Nov 1994 08:49:37 GMT\nWed, 21 Oct 2015 07:28:00 GMT\nSunday, 06-Nov-94 08:49:37 GMT\nSun Nov  6 08:49:37 1994",
            ),
        ]),
        "token_and_discovery" => owned(&[
            ("token-aiia", &format!("token exchange\n{OAUTH_OK}")),
            (
                "token-string-expiry",
                "token refresh\n{\"access_token\":\"A\",\"expires_in\":\"60\",\"token_type\":\"DPoP\",\"scope\":\"accounts\"}",
            ),
            (
                "token-aritma",
                "token refresh 100\n{ \"access_token\": \"eyJ0eXAiOiJKV1QifQ.e30.sig\", \"expires_in\": 3600, \"token_type\": \"Bearer\", \"scope\": \"banking.channel.psd2 banking.ais.read\" }",
            ),
            (
                "token-odd",
                "token exchange -5\n{\"access_token\":\"A\",\"expires_in\":18446744073709551615,\"refresh_token\":\"\",\"id_token\":null}",
            ),
            (
                "token-bad",
                "token exchange\n{\"access_token\":\"\",\"expires_in\":1.5}",
            ),
            (
                "tokenset",
                "tokenset\n{\"access_token\":\"A\",\"token_type\":\"Bearer\",\"expires_at\":\"2030-01-01T00:00:00.000Z\",\"refresh_token\":\"R\",\"scope\":null,\"id_token\":null,\"consent_id\":\"c\"}",
            ),
            (
                "discovery",
                "discovery https://auth.apiture.com/oidc/\n{\"issuer\":\"https://auth.apiture.com/oidc\",\"authorization_endpoint\":\"https://auth.apiture.com/oidc/authorize\",\"token_endpoint\":\"https://auth.apiture.com/oidc/token\",\"code_challenge_methods_supported\":[\"S256\"],\"token_endpoint_auth_methods_supported\":[\"client_secret_basic\",\"client_secret_post\"]}",
            ),
            (
                "discovery-mismatch",
                "discovery https://id.example.com/oidc\n{\"issuer\":\"https://evil.example.com/oidc\",\"token_endpoint\":\"http://id.example.com/t\"}",
            ),
            (
                "discovery-loopback",
                "discovery http://127.0.0.1:9000\n{\"issuer\":\"http://127.0.0.1:9000/\",\"token_endpoint\":\"http://127.0.0.1:9000/token\",\"authorization_endpoint\":\"javascript:alert(1)\"}",
            ),
            (
                "error-grant",
                "error 400 exchange\n{\"error\":\"invalid_grant\",\"error_description\":\"The code has expired\"}",
            ),
            (
                "error-client",
                "error 401 refresh\n{\"error\":\"invalid_client\"}",
            ),
            (
                "error-aiia",
                "error 404 status\n{\"errorType\":\"SessionNotFound\",\"message\":\"<script>x</script>\"}",
            ),
            (
                "error-code",
                "error 409 api\n{\"code\":\"Conflict \u{1}\u{2} with spaces and a very long tail that goes on and on and on and on\"}",
            ),
            (
                "error-html",
                "error 502 discovery\n<html><body>Bad gateway</body></html>",
            ),
            (
                "renewal-refresh",
                &format!("renewal refresh\n200 {OAUTH_OK}"),
            ),
            (
                "renewal-retry",
                "renewal client-credentials\n503 \ntimeout\n200 {\"access_token\":\"new\",\"expires_in\":60}",
            ),
            (
                "renewal-fail",
                "renewal refresh-expired\nnetwork\n500 \n429 ",
            ),
            (
                "renewal-grant",
                "renewal refresh\n400 {\"error\":\"invalid_grant\"}",
            ),
            ("renewal-session", "renewal session"),
        ]),
        _ => Vec::new(),
    }
}
