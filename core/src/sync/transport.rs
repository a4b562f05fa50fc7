//! How a device reaches the sync server. The core builds every request (signed,
//! `docs/server-protocol.md`) and reads every answer; a transport only moves bytes,
//! so the phone shells can plug in their platform's HTTP stack (OkHttp, URLSession:
//! proxies, certificate pinning, background transfer) and the command and the tests
//! use [`HttpTransport`] (feature `http`, rustls).

/// One HTTP request, ready to send. Its `Debug` shows method and URL only: headers
/// and body can hold tokens.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// `GET` or `POST`.
    pub method: String,
    /// The full URL.
    pub url: String,
    /// Headers to send (the signature among them).
    pub headers: Vec<(String, String)>,
    /// The body (empty for `GET`).
    pub body: Vec<u8>,
}

impl std::fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// One HTTP answer, whatever its status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// Headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// A header's value (names compared without case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The request did not get an answer.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// No connection, a timeout, a cut in the middle: worth trying again later.
    #[error("network: {0}")]
    Network(String),
}

/// Sends requests to the sync server. Called from the thread that runs the sync.
pub trait Transport: Send + Sync {
    /// Sends one request and returns the server's answer, whatever its status; an
    /// error only when no answer came.
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;
}

/// The Rust HTTP transport (ureq with rustls), for the command and the tests.
#[cfg(feature = "http")]
pub struct HttpTransport {
    agent: ureq::Agent,
}

#[cfg(feature = "http")]
impl Default for HttpTransport {
    fn default() -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(std::time::Duration::from_secs(20)))
            .timeout_global(Some(std::time::Duration::from_secs(300)))
            .build()
            .into();
        Self { agent }
    }
}

#[cfg(feature = "http")]
impl Transport for HttpTransport {
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let network = |e: ureq::Error| TransportError::Network(e.to_string());
        let result = if request.method == "GET" {
            let mut req = self.agent.get(&request.url);
            for (k, v) in &request.headers {
                req = req.header(k, v);
            }
            req.call()
        } else {
            let mut req = self.agent.post(&request.url);
            for (k, v) in &request.headers {
                req = req.header(k, v);
            }
            req.send(&request.body[..])
        };
        let mut response = result.map_err(network)?;
        let headers = response
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect();
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_vec()
            .map_err(network)?;
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}
