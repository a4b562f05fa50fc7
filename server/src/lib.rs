//! The Safekeep sync relay. Devices push sealed bundles and pull the bundles of their
//! team after a cursor; the server orders them (one sequence per team), authenticates
//! every request by the device's Ed25519 key, and enforces size and rate limits. It
//! never receives a team key or a data key: what it stores is ciphertext and the
//! routing metadata needed to hand it on (team, device, batch number, size, time).

pub mod api;
pub mod auth;
pub mod error;
pub mod limits;
pub mod metrics;
pub mod protocol;
pub mod storage;
#[cfg(feature = "test-support")]
pub mod testing;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use tower_http::timeout::TimeoutLayer;
use zeroize::Zeroizing;

use crate::api::AppState;
use crate::limits::{Limits, RateLimiter};
use crate::storage::{PostgresStorage, SqliteStorage, Storage, StorageError};

/// How to run a server.
#[derive(Clone, Debug)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Where the server keeps what it holds.
    pub store: Store,
    /// Limits on requests.
    pub limits: Limits,
    /// Address for the Prometheus metrics (`GET /metrics`), apart from the devices'
    /// address: the counts say when teams are busy (a rescue under way), which is no
    /// one's business on the public address. `None`: no metrics served.
    pub metrics: Option<SocketAddr>,
}

/// Where a started server listens.
#[derive(Clone, Copy, Debug)]
pub struct Listening {
    /// The devices' address.
    pub addr: SocketAddr,
    /// The metrics address, when metrics are served.
    pub metrics: Option<SocketAddr>,
}

/// Where the server keeps what it holds.
#[derive(Clone, Debug)]
pub enum Store {
    /// The embedded SQLite store in a data directory (one server process).
    Directory(PathBuf),
    /// A PostgreSQL database, which several server processes may share.
    Postgres(DatabaseUrl),
}

/// A PostgreSQL URL. It may carry a password: never printed, wiped when dropped.
#[derive(Clone)]
pub struct DatabaseUrl(Zeroizing<String>, Option<PathBuf>);

impl DatabaseUrl {
    /// Wraps a URL given on the command line or in `SAFEKEEP_DATABASE_URL`.
    pub fn new(url: String) -> Self {
        Self(Zeroizing::new(url), None)
    }

    /// Also trusts the certificate authorities in the PEM file `ca` for the
    /// database's TLS certificate (`?sslmode=require`).
    pub fn trusting(self, ca: Option<PathBuf>) -> Self {
        Self(self.0, ca)
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DatabaseUrl(hidden)")
    }
}

impl Store {
    /// Opens (creating or migrating) the store. Blocks: call it outside the async
    /// workers.
    pub fn open(&self) -> Result<Arc<dyn Storage>, StorageError> {
        Ok(match self {
            Store::Directory(dir) => Arc::new(SqliteStorage::open(dir)?),
            Store::Postgres(url) => {
                Arc::new(PostgresStorage::connect_trusting(&url.0, url.1.as_deref())?)
            }
        })
    }
}

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The store could not be opened.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The address could not be bound, or serving failed.
    #[error("network: {0}")]
    Io(#[from] std::io::Error),
    /// No random bytes for the operator token.
    #[error("no random generator")]
    Random,
}

/// The routes over a state.
pub fn router(state: Arc<AppState>) -> Router {
    let max_body = state.limits.max_body;
    Router::new()
        .route("/v1/health", get(api::health))
        .route("/v1/teams", post(api::create_team))
        .route("/v1/enrollments", post(api::add_enrollment))
        .route("/v1/enroll", post(api::enroll))
        .route("/v1/bundles", post(api::push).get(api::pull))
        .route("/v1/devices", get(api::devices))
        .route("/v1/grants", post(api::put_grants).get(api::grants))
        .route("/v1/devices/{id}/revoke", post(api::revoke))
        .route("/v1/devices/{id}/confirm", post(api::confirm))
        .fallback(api::no_route)
        .method_not_allowed_fallback(api::wrong_method)
        .layer(DefaultBodyLimit::max(max_body))
        // Slow clients cannot hold a connection open forever (a 4 MiB bundle over 2G
        // takes a few minutes).
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            std::time::Duration::from_secs(600),
        ))
        .with_state(state)
}

/// Creates the operator token on first start: returns it (to print once) when new;
/// only its hash is kept.
pub fn init_operator(storage: &dyn Storage) -> Result<Option<Zeroizing<String>>, ServerError> {
    if storage.operator()?.is_some() {
        return Ok(None);
    }
    let mut raw = Zeroizing::new([0u8; 24]);
    getrandom::fill(raw.as_mut()).map_err(|_| ServerError::Random)?;
    let token = Zeroizing::new(format!(
        "skop_{}",
        raw.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ));
    let created = storage.init_operator(&protocol::token_hash(token.as_bytes()))?;
    Ok(created.then_some(token))
}

/// The metrics address's routes: `GET /metrics` only.
fn metrics_router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/metrics", get(api::metrics))
        .fallback(api::no_route)
        .with_state(state)
}

/// Opens the store, binds, and serves until the process ends. `started` is called
/// once listening, with the bound addresses and the new operator token on first start.
pub async fn run(
    config: Config,
    started: impl FnOnce(Listening, Option<Zeroizing<String>>),
) -> Result<(), ServerError> {
    // Bound first: a busy port fails before the store is opened.
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let metrics_listener = match config.metrics {
        Some(at) => Some(tokio::net::TcpListener::bind(at).await?),
        None => None,
    };
    let bound = Listening {
        addr,
        metrics: match &metrics_listener {
            Some(l) => Some(l.local_addr()?),
            None => None,
        },
    };
    let store = config.store.clone();
    let (storage, token) = tokio::task::spawn_blocking(move || {
        let storage = store.open()?;
        let token = init_operator(&*storage)?;
        Ok::<_, ServerError>((storage, token))
    })
    .await
    .map_err(|_| ServerError::Storage(StorageError::Database("opening failed".into())))??;
    // The store's blocking clients must also be dropped off the async workers (the
    // PostgreSQL client runs its own runtime to close): this handle is the last one.
    let last = storage.clone();
    let state = Arc::new(AppState {
        storage,
        limits: config.limits,
        rate: RateLimiter::default(),
        metrics: metrics::Metrics::default(),
    });
    tracing::info!(%addr, "listening");
    if let Some(metrics) = metrics_listener {
        let app = metrics_router(state.clone());
        tokio::spawn(async move {
            if let Err(e) = axum::serve(metrics, app).await {
                tracing::error!(error = %e, "the metrics address stopped");
            }
        });
    }
    started(bound, token);
    let served = axum::serve(listener, router(state)).await;
    let _ = tokio::task::spawn_blocking(move || drop(last)).await;
    Ok(served?)
}

/// Runs the server in the foreground as a command does: logs to stderr (structured, no
/// personal data: there is none to log), the operator token (first start only) and the
/// address on stdout, then serves until the process is stopped.
pub fn serve_forever(config: Config) -> Result<(), ServerError> {
    use std::io::Write;
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .try_init();
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(run(config, |bound, token| {
        let mut out = std::io::stdout().lock();
        if let Some(token) = token {
            let _ = writeln!(
                out,
                "operator token (shown once; only its hash is kept): {}",
                token.as_str()
            );
        }
        if let Some(metrics) = bound.metrics {
            let _ = writeln!(out, "metrics on {metrics}");
        }
        let _ = writeln!(out, "listening on {}", bound.addr);
        let _ = out.flush();
    }))
}
