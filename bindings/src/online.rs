//! Online sync through the team's server, over the app's own HTTP stack (OkHttp or
//! `HttpURLConnection` on Android, `URLSession` on iOS): the core builds and signs
//! each request and reads each answer; the app only moves bytes. A round pushes what
//! the server lacks, pulls until caught up, resumes after any cut without doubling
//! anything, reports progress and can be cancelled from another thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use safekeep_core::sync::{self as core_sync, Transport, TransportError};

/// One header of a request or an answer.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpHeader {
    /// Its name (the core sends lower case; read answers case-insensitively).
    pub name: String,
    /// Its value.
    pub value: String,
}

/// A request for the app's HTTP client to send as it is: method, URL, headers, body.
/// The headers carry the device's signature: change none of them, add none that the
/// server would need to see (the client may add its own, such as `User-Agent`).
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpRequest {
    /// `GET` or `POST`.
    pub method: String,
    /// The whole URL.
    pub url: String,
    /// Headers to send.
    pub headers: Vec<HttpHeader>,
    /// The body (empty for `GET`). Sealed bundles or JSON without personal data.
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

/// The server's answer, whatever its status.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpResponse {
    /// HTTP status (a 4xx or 5xx is an answer too: return it, do not throw).
    pub status: u16,
    /// Its headers.
    pub headers: Vec<HttpHeader>,
    /// Its body.
    pub body: Vec<u8>,
}

/// Why the app's HTTP client got no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum HttpError {
    /// No connection, a timeout, a connection cut mid-way: the round stops and the
    /// next one resumes where it stopped. `detail` must not carry personal data (a
    /// request's URL and status are fine).
    #[error("network: {detail}")]
    Network {
        /// What failed.
        detail: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for HttpError {
    fn from(err: uniffi::UnexpectedUniFFICallbackError) -> Self {
        HttpError::Network { detail: err.reason }
    }
}

/// Implemented by the app over its HTTP stack. Called on the thread that called the
/// vault's sync method (off the main thread), one request at a time. Use HTTPS in
/// production; a 2G link can take minutes for a large bundle, so allow long reads.
#[uniffi::export(with_foreign)]
pub trait HttpClient: Send + Sync {
    /// Sends `request` and returns the answer, or `HttpError.Network` when none came.
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError>;
}

/// The app's client as the core's transport.
pub(crate) struct Foreign(pub(crate) Arc<dyn HttpClient>);

impl Transport for Foreign {
    fn send(
        &self,
        request: core_sync::HttpRequest,
    ) -> Result<core_sync::HttpResponse, TransportError> {
        let request = HttpRequest {
            method: request.method,
            url: request.url,
            headers: request
                .headers
                .into_iter()
                .map(|(name, value)| HttpHeader { name, value })
                .collect(),
            body: request.body,
        };
        match self.0.send(request) {
            Ok(answer) => Ok(core_sync::HttpResponse {
                status: answer.status,
                headers: answer
                    .headers
                    .into_iter()
                    .map(|h| (h.name, h.value))
                    .collect(),
                body: answer.body,
            }),
            Err(HttpError::Network { detail }) => Err(TransportError::Network(detail)),
        }
    }
}

/// Where a sync round is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SyncPhase {
    /// Sending this vault's changes.
    Pushing,
    /// Receiving the team's changes.
    Pulling,
}

impl From<core_sync::SyncPhase> for SyncPhase {
    fn from(phase: core_sync::SyncPhase) -> Self {
        match phase {
            core_sync::SyncPhase::Pushing => SyncPhase::Pushing,
            core_sync::SyncPhase::Pulling => SyncPhase::Pulling,
        }
    }
}

/// Implemented by the app to show how far a sync round got. Called on the syncing
/// thread with no lock held (it may call the vault).
#[uniffi::export(with_foreign)]
pub trait SyncListener: Send + Sync {
    /// `bundles` sent so far (`Pushing`) or received so far (`Pulling`) in this round.
    fn progress(&self, phase: SyncPhase, bundles: u64);
}

/// Stops a sync round from another thread (a Cancel button, the app going to the
/// background). The round stops at the next bundle boundary with `Cancelled`; what
/// was sent or received before stays, and the next round resumes from there.
#[derive(Debug, Default, uniffi::Object)]
pub struct SyncCancel {
    cancelled: AtomicBool,
}

#[uniffi::export]
impl SyncCancel {
    /// A token not yet cancelled.
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Asks the round using this token to stop.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
    }

    /// Whether `cancel` was called.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }
}

/// What a sync round did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct SyncRound {
    /// Bundles sent (including one left over from a cut round).
    pub pushed: u64,
    /// Bundles received and applied.
    pub pulled: u64,
    /// Bundles received that could never apply (altered, another team's): skipped.
    pub refused: u64,
    /// What applying the received bundles did (conflicts among it).
    pub report: crate::types::SyncReport,
    /// New team keys received: a coordinator removed a device since the last round.
    pub new_keys: u32,
    /// The round stopped receiving at changes sealed under this team key epoch, which
    /// this phone does not hold yet (it joined with an invite made before a removal).
    /// Show "waiting for the coordinator": a coordinator's next sync sends the key, and
    /// the next round here goes on. Everything before was applied and sent.
    pub waiting_for_key: Option<u32>,
    /// This phone joined as a coordinator and waits for another coordinator to
    /// confirm it: show "waiting for a coordinator to confirm this phone". Until then
    /// it syncs records but cannot invite, remove devices or hand out keys.
    pub awaiting_confirmation: bool,
    /// New coordinators this phone confirmed in this round.
    pub confirmed: u32,
}

/// A device of the team as the server lists it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ServerDevice {
    /// The device id (32 hex digits), as `Vault.device_id()` gives it.
    pub device_id: String,
    /// Its role on the server.
    pub role: crate::types::TeamRole,
    /// When it enrolled.
    pub enrolled: std::time::SystemTime,
    /// When it was removed, if it was.
    pub revoked: Option<std::time::SystemTime>,
    /// The coordinator device whose invite enrolled it (`None` for the team's first
    /// coordinator). After a coordinator's phone is lost, check the devices it enrolled.
    pub enrolled_by: Option<String>,
    /// Whether an invite of this team vouched for this device's keys (checked on this
    /// phone, from the team's root key). New team keys reach only verified devices.
    /// Show an unverified, unrevoked device as a warning: it was enrolled by an older
    /// app (it needs a new invite) or made up by a compromised server (remove it).
    pub verified: bool,
    /// A coordinator that joined with a coordinator invite and that no coordinator has
    /// confirmed yet: a confirmed coordinator's next sync confirms it.
    pub awaiting_confirmation: bool,
}

pub(crate) fn server_device(d: core_sync::ServerDevice) -> ServerDevice {
    let at = |ms: u64| std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(ms);
    ServerDevice {
        device_id: d.device.to_string(),
        role: crate::convert::role(d.role),
        enrolled: at(d.enrolled_ms),
        revoked: d.revoked_ms.map(at),
        enrolled_by: d.enrolled_by.map(|c| c.to_string()),
        verified: d.verified,
        awaiting_confirmation: d.awaiting_confirmation,
    }
}

pub(crate) fn round(r: core_sync::SyncRound) -> SyncRound {
    SyncRound {
        pushed: r.pushed,
        pulled: r.pulled,
        refused: r.refused,
        report: crate::convert::sync_report(r.report),
        new_keys: r.new_keys,
        waiting_for_key: r.waiting_for_key,
        awaiting_confirmation: r.awaiting_confirmation,
        confirmed: r.confirmed,
    }
}
