//! The HTTP API (`docs/server-protocol.md`). Each handler authenticates, checks the
//! device's team and role, and calls storage off the async workers.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value as JsonValue, json};

use crate::auth::{self, Signed, hex, parse_hex, parse_hex_vec};
use crate::error::ApiError;
use crate::limits::{Limits, RateLimiter};
use crate::metrics::Metrics;
use crate::protocol;
use crate::storage::{Device, Role, Storage, StorageError};

/// What every handler shares.
pub struct AppState {
    /// Where everything is kept.
    pub storage: Arc<dyn Storage>,
    /// Size and rate limits.
    pub limits: Limits,
    /// Per-device request budget.
    pub rate: RateLimiter,
    /// Counters for `/metrics`.
    pub metrics: Metrics,
}

type Shared = State<Arc<AppState>>;

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn path_and_query(uri: &Uri) -> &str {
    uri.path_and_query().map_or("/", |p| p.as_str())
}

fn body_of(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "the request body is larger than this server accepts",
            )
        } else {
            ApiError::bad_request("the request body could not be read")
        }
    })
}

fn json_body<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|_| ApiError::bad_request("the JSON body is malformed"))
}

/// Runs blocking storage work off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|_| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server could not complete the request",
        )
    })?
}

/// Authenticates an enrolled device and takes one request from its rate budget.
async fn signed_device(
    state: &Arc<AppState>,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Device, ApiError> {
    let (state, headers, method, pq, body) = (
        state.clone(),
        headers.clone(),
        method.as_str().to_owned(),
        path_and_query(uri).to_owned(),
        body.clone(),
    );
    blocking(move || {
        let request = auth::Request {
            headers: &headers,
            method: &method,
            path_and_query: &pq,
            body: &body,
        };
        let limits = state.limits;
        auth::device(&*state.storage, &request, now_ms(), |id| {
            state.rate.allow(id, &limits)
        })
    })
    .await
}

fn coordinator(device: &Device) -> Result<(), ApiError> {
    if device.role == Role::Coordinator {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "only a coordinator's device can do this",
        ))
    }
}

fn counted(state: &AppState, route: &str, result: Result<Response, ApiError>) -> Response {
    let response = result.unwrap_or_else(IntoResponse::into_response);
    state.metrics.request(route, response.status().as_u16());
    tracing::info!(route, status = response.status().as_u16(), "request");
    response
}

/// `GET /v1/health`.
pub async fn health() -> Json<JsonValue> {
    Json(json!({ "status": "ok" }))
}

/// `GET /metrics`.
pub async fn metrics(State(state): Shared) -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

#[derive(Deserialize)]
struct NewTeam {
    team: String,
    device: String,
    public_key: String,
    /// The device's X25519 key for key rotation (hex); absent from older devices.
    #[serde(default)]
    kx_public: Option<String>,
    /// The team key epoch the coordinator holds.
    #[serde(default = "first_epoch")]
    epoch: u32,
    /// The device's membership proof (hex); absent from older devices.
    #[serde(default)]
    membership: Option<String>,
}

fn first_epoch() -> u32 {
    1
}

/// Longest membership proof kept: a chain of 32 links (sixteen generations of
/// coordinators) and its signature.
const MAX_MEMBERSHIP: usize = 4096;

/// A signed proof given in hex (a membership or a removal), kept as given: the server
/// cannot check it, since it does not know which root key the team's members trust.
fn proof_bytes(given: &str) -> Option<Vec<u8>> {
    parse_hex_vec(given).filter(|p| !p.is_empty() && p.len() <= MAX_MEMBERSHIP)
}

/// An optional membership proof (see [`proof_bytes`]).
fn membership(given: Option<&str>) -> Result<Option<Vec<u8>>, ApiError> {
    given
        .map(|g| proof_bytes(g).ok_or(ApiError::bad_request("bad membership proof")))
        .transpose()
}

/// A device as listed; `lacks` are the key epochs a coordinator still owes it.
fn device_json(d: &Device, lacks: &[u32]) -> JsonValue {
    json!({
        "device": hex(&d.id),
        "team": hex(&d.team),
        "role": d.role.name(),
        "enrolled_ms": d.enrolled_ms,
        "revoked_ms": d.revoked_ms,
        "kx_public": d.kx_public.as_ref().map(|k| hex(k)),
        "joined_epoch": d.joined_epoch,
        "lacks": lacks,
        "enrolled_by": d.enrolled_by.as_ref().map(|c| hex(c)),
        "public_key": hex(&d.public_key),
        "membership": d.membership.as_ref().map(|m| hex(m)),
        "confirmation": d.confirmation.as_ref().map(|c| hex(c)),
    })
}

/// An optional X25519 public key given in hex. A key of small order (which would give
/// every sender the same shared secret) is refused, so a grant sealed to a listed key
/// is always sealed to a secret only its device holds.
fn kx_key(given: Option<&str>) -> Result<Option<[u8; 32]>, ApiError> {
    let Some(given) = given else {
        return Ok(None);
    };
    let key = parse_hex::<32>(given).ok_or(ApiError::bad_request("bad key-exchange key"))?;
    if !crate::storage::usable_kx(&key) {
        return Err(ApiError::bad_request(
            "the key-exchange key is of small order",
        ));
    }
    Ok(Some(key))
}

/// A key epoch given by a device: the first is 1.
fn epoch_given(epoch: u32) -> Result<u32, ApiError> {
    if epoch == 0 {
        return Err(ApiError::bad_request("key epochs start at 1"));
    }
    Ok(epoch)
}

/// `POST /v1/teams`: the operator registers a team and its coordinator's device.
pub async fn create_team(
    State(state): Shared,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = async {
        let body = body_of(body)?;
        let token = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(ApiError::unauthenticated("the operator token is missing"))?
            .trim()
            .to_owned();
        let request: NewTeam = json_body(&body)?;
        let team = parse_hex::<16>(&request.team).ok_or(ApiError::bad_request("bad team id"))?;
        let id = parse_hex::<16>(&request.device).ok_or(ApiError::bad_request("bad device id"))?;
        let public_key =
            parse_hex::<32>(&request.public_key).ok_or(ApiError::bad_request("bad public key"))?;
        let kx_public = kx_key(request.kx_public.as_deref())?;
        let membership = membership(request.membership.as_deref())?;
        let joined_epoch = epoch_given(request.epoch)?;
        if ed25519_dalek::VerifyingKey::from_bytes(&public_key).is_err() {
            return Err(ApiError::bad_request(
                "the public key is not an Ed25519 key",
            ));
        }
        let storage = state.storage.clone();
        let device = blocking(move || {
            let expected = storage
                .operator()?
                .ok_or(ApiError::unauthenticated("the operator token is wrong"))?;
            let given = protocol::token_hash(token.as_bytes());
            if !constant_time_eq(&given, &expected) {
                return Err(ApiError::unauthenticated("the operator token is wrong"));
            }
            let device = Device {
                id,
                team,
                public_key,
                role: Role::Coordinator,
                enrolled_ms: now_ms(),
                revoked_ms: None,
                kx_public,
                joined_epoch,
                enrolled_by: None,
                membership,
                revocation: None,
                confirmation: None,
            };
            storage.create_team(&team, &device)?;
            Ok(device)
        })
        .await?;
        Ok((StatusCode::CREATED, Json(device_json(&device, &[]))).into_response())
    }
    .await;
    counted(&state, "teams", result)
}

fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[derive(Deserialize)]
struct NewEnrollment {
    token_hash: String,
    role: String,
    expires_ms: u64,
}

/// `POST /v1/enrollments`: a coordinator lets one more device join, by the hash of a
/// one-time token carried by the invite.
pub async fn add_enrollment(
    State(state): Shared,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = async {
        let body = body_of(body)?;
        let device = signed_device(&state, &method, &uri, &headers, &body).await?;
        coordinator(&device)?;
        let request: NewEnrollment = json_body(&body)?;
        let token_hash =
            parse_hex::<32>(&request.token_hash).ok_or(ApiError::bad_request("bad token hash"))?;
        let role = Role::parse(&request.role).ok_or(ApiError::bad_request("unknown role"))?;
        if request.expires_ms > now_ms().saturating_add(protocol::MAX_ENROLLMENT_MS) {
            return Err(ApiError::bad_request(
                "an enrollment token is valid for 30 days at most",
            ));
        }
        let storage = state.storage.clone();
        blocking(move || {
            Ok(storage.add_enrollment(
                &device.team,
                &token_hash,
                role,
                request.expires_ms,
                &device.id,
            )?)
        })
        .await?;
        Ok((StatusCode::CREATED, Json(json!({ "role": role.name() }))).into_response())
    }
    .await;
    counted(&state, "enrollments", result)
}

#[derive(Deserialize)]
struct Enroll {
    team: String,
    token: String,
    public_key: String,
    /// The device's X25519 key for key rotation (hex); absent from older devices.
    #[serde(default)]
    kx_public: Option<String>,
    /// The newest team key epoch its invite carried: later epochs are owed to it.
    #[serde(default = "first_epoch")]
    epoch: u32,
    /// Its membership proof, made with its invite (hex); absent from older devices.
    #[serde(default)]
    membership: Option<String>,
}

/// `POST /v1/enroll`: a new device joins with an enrollment token, signing the request
/// with the key it registers (so it holds that key).
pub async fn enroll(
    State(state): Shared,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = async {
        let body = body_of(body)?;
        let request: Enroll = json_body(&body)?;
        let team = parse_hex::<16>(&request.team).ok_or(ApiError::bad_request("bad team id"))?;
        let public_key =
            parse_hex::<32>(&request.public_key).ok_or(ApiError::bad_request("bad public key"))?;
        let kx_public = kx_key(request.kx_public.as_deref())?;
        let membership = membership(request.membership.as_deref())?;
        let joined_epoch = epoch_given(request.epoch)?;
        let token_hash = protocol::token_hash(request.token.trim().as_bytes());
        let (pq, method) = (path_and_query(&uri).to_owned(), method.as_str().to_owned());
        let limits = state.limits;
        let state2 = state.clone();
        let device = blocking(move || {
            let storage = &*state2.storage;
            let signed = Signed::from_headers(&headers)?;
            let now = now_ms();
            // Cheap refusals first: nothing is written for a request without a valid
            // token, a valid signature and room in the rate.
            if !storage.enrollment_open(&team, &token_hash, now)? {
                return Err(ApiError::from(StorageError::BadEnrollment));
            }
            signed.check(&public_key, &method, &pq, &body, now)?;
            if !state2.rate.allow(&signed.device, &limits) {
                return Err(ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    "too many requests from this device; retry shortly",
                ));
            }
            signed.use_nonce(storage, now)?;
            let device = Device {
                id: signed.device,
                team,
                public_key,
                role: Role::Field,
                enrolled_ms: now,
                revoked_ms: None,
                kx_public,
                joined_epoch,
                enrolled_by: None,
                membership,
                revocation: None,
                confirmation: None,
            };
            Ok(storage.enroll(&team, &token_hash, &device, now)?)
        })
        .await?;
        Ok((StatusCode::CREATED, Json(device_json(&device, &[]))).into_response())
    }
    .await;
    counted(&state, "enroll", result)
}

/// The query of a push.
#[derive(Deserialize)]
pub struct PushQuery {
    /// The pushing device's batch number (one bundle per batch).
    pub batch: u64,
}

/// `POST /v1/bundles?batch=N`: stores a sealed bundle once per (device, batch).
pub async fn push(
    State(state): Shared,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    query: Result<Query<PushQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = async {
        let body = body_of(body)?;
        let query = query.ok();
        let size = body.len();
        let (state2, pq) = (state.clone(), path_and_query(&uri).to_owned());
        // Authenticated and stored on one blocking thread: a push is the hot path.
        let pushed = blocking(move || {
            let request = auth::Request {
                headers: &headers,
                method: method.as_str(),
                path_and_query: &pq,
                body: &body,
            };
            let storage = &*state2.storage;
            let limits = state2.limits;
            let (device, nonce) = auth::pusher(storage, &request, now_ms(), |id| {
                state2.rate.allow(id, &limits)
            })?;
            // A removed device gets the wipe instruction, with the coordinator's signed
            // removal, whatever else is wrong with its request.
            let refused = |err: ApiError| match storage.device(&device.id)? {
                Some(d) if d.revoked_ms.is_some() => Err(auth::revoked(&d)),
                _ => Err(err),
            };
            let batch = match query {
                Some(Query(PushQuery { batch })) if batch != 0 && i64::try_from(batch).is_ok() => {
                    batch
                }
                _ => {
                    return refused(ApiError::bad_request(
                        "the batch number is missing or out of range",
                    ));
                }
            };
            if body.is_empty() {
                return refused(ApiError::bad_request("the bundle is empty"));
            }
            let now = now_ms();
            let nonce = (nonce, auth::forget_nonces_before(now));
            match storage.push(&device.team, &device.id, batch, &body, now, nonce) {
                Err(StorageError::Revoked) => refused(auth::REVOKED),
                other => Ok(other?),
            }
        })
        .await?;
        if !pushed.duplicate {
            state.metrics.stored(size);
        }
        Ok(Json(json!({ "seq": pushed.seq, "duplicate": pushed.duplicate })).into_response())
    }
    .await;
    counted(&state, "push", result)
}

/// The query of a pull.
#[derive(Deserialize)]
pub struct PullQuery {
    /// The last team sequence number the device holds.
    #[serde(default)]
    pub after: u64,
    /// How many bundle bytes to send at most (at least one bundle is sent).
    pub max_bytes: Option<usize>,
}

/// `GET /v1/bundles?after=N&max_bytes=B`: the team's bundles after a cursor, framed as
/// `seq (8 bytes BE) ‖ length (4 bytes BE) ‖ bundle`, up to the byte budget; header
/// `x-safekeep-more: 1` when more follow.
pub async fn pull(
    State(state): Shared,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    query: Result<Query<PullQuery>, QueryRejection>,
) -> Response {
    let result = async {
        let device = signed_device(&state, &method, &uri, &headers, &Bytes::new()).await?;
        let Query(PullQuery { after, max_bytes }) =
            query.map_err(|_| ApiError::bad_request("the query is malformed"))?;
        let budget = max_bytes
            .unwrap_or(state.limits.max_pull)
            .clamp(1, state.limits.max_pull);
        let storage = state.storage.clone();
        let (bundles, more) =
            blocking(move || Ok(storage.pull(&device.team, after, budget)?)).await?;
        let mut out = Vec::with_capacity(bundles.iter().map(|b| b.body.len() + 12).sum());
        for bundle in &bundles {
            out.extend_from_slice(&bundle.seq.to_be_bytes());
            out.extend_from_slice(&(bundle.body.len() as u32).to_be_bytes());
            out.extend_from_slice(&bundle.body);
        }
        state.metrics.served(out.len());
        let mut response = out.into_response();
        response.headers_mut().insert(
            "x-safekeep-more",
            HeaderValue::from_static(if more { "1" } else { "0" }),
        );
        Ok(response)
    }
    .await;
    counted(&state, "pull", result)
}

/// `GET /v1/devices`: the team's devices (coordinator only).
pub async fn devices(
    State(state): Shared,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let device = signed_device(&state, &method, &uri, &headers, &Bytes::new()).await?;
        coordinator(&device)?;
        let storage = state.storage.clone();
        let (list, lacking) = blocking(move || {
            Ok((
                storage.devices(&device.team)?,
                storage.lacking_grants(&device.team)?,
            ))
        })
        .await?;
        let listed = list
            .iter()
            .map(|d| {
                let lacks: Vec<u32> = lacking
                    .iter()
                    .filter(|(id, _)| *id == d.id)
                    .map(|(_, epoch)| *epoch)
                    .collect();
                device_json(d, &lacks)
            })
            .collect::<Vec<_>>();
        Ok(Json(json!({ "devices": listed })).into_response())
    }
    .await;
    counted(&state, "devices", result)
}

/// A coordinator's signed statement about another device (a removal, a
/// confirmation), as `{"proof": HEX}`.
#[derive(Deserialize)]
struct Proof {
    proof: String,
}

/// What `POST /v1/devices/{id}/...` carries, once checked: the coordinator that sent
/// it, the device it is about, and its proof (`bad_proof` when there is none).
async fn coordinator_about_device(
    state: &Arc<AppState>,
    (method, uri, headers): (&Method, &Uri, &HeaderMap),
    id: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
    bad_proof: &'static str,
) -> Result<(Device, [u8; 16], Vec<u8>), ApiError> {
    let body = body_of(body)?;
    let device = signed_device(state, method, uri, headers, &body).await?;
    coordinator(&device)?;
    let target = id
        .ok()
        .and_then(|Path(id)| parse_hex::<16>(&id))
        .ok_or(ApiError::bad_request("bad device id"))?;
    let request: Proof = json_body(&body)?;
    let proof = proof_bytes(&request.proof).ok_or(ApiError::bad_request(bad_proof))?;
    Ok((device, target, proof))
}

/// `POST /v1/devices/{id}/revoke`: removes a device from the team (coordinator only).
/// Its next request is answered with the wipe instruction and nothing else.
pub async fn revoke(
    State(state): Shared,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = async {
        // The removal signed by the coordinator: the removed device wipes itself only
        // on a removal it can check, so none goes out without one.
        let request = (&method, &uri, &headers);
        let (device, target, proof) =
            coordinator_about_device(&state, request, id, body, "bad removal proof").await?;
        if target == device.id {
            return Err(ApiError::bad_request("a device cannot revoke itself"));
        }
        let storage = state.storage.clone();
        let found =
            blocking(move || Ok(storage.revoke(&device.team, &target, now_ms(), &proof)?)).await?;
        if !found {
            return Err(ApiError::not_found("no such device in this team"));
        }
        Ok(Json(json!({ "revoked": hex(&target) })).into_response())
    }
    .await;
    counted(&state, "revoke", result)
}

/// `POST /v1/devices/{id}/confirm`: a coordinator confirms another coordinator's key
/// (one that joined with a coordinator invite), which can sign for the team only once
/// it holds a confirmation. Kept as given and listed with the device.
pub async fn confirm(
    State(state): Shared,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = async {
        // The proof: the confirming coordinator's chain from the team's root, extended
        // to the confirmed coordinator's key.
        let request = (&method, &uri, &headers);
        let (device, target, proof) =
            coordinator_about_device(&state, request, id, body, "bad confirmation").await?;
        let storage = state.storage.clone();
        let found = blocking(move || Ok(storage.confirm(&device.team, &target, &proof)?)).await?;
        if !found {
            return Err(ApiError::not_found(
                "no such unrevoked coordinator in this team",
            ));
        }
        Ok(Json(json!({ "confirmed": hex(&target) })).into_response())
    }
    .await;
    counted(&state, "confirm", result)
}

/// One device's sealed copy of a new team key.
#[derive(Deserialize)]
struct GrantIn {
    device: String,
    sealed: String,
}

/// The body of `POST /v1/grants`.
#[derive(Deserialize)]
struct Grants {
    epoch: u32,
    grants: Vec<GrantIn>,
    /// Grants of an epoch already started, for devices that joined before it.
    #[serde(default)]
    top_up: bool,
}

/// At most this many grants in one request (one per device of a team).
const MAX_GRANTS: usize = 10_000;
/// A grant is a key sealed to a device: a few hundred bytes at most.
const MAX_GRANT_BYTES: usize = 1024;

/// `POST /v1/grants`: after a revocation, a coordinator delivers the team's new key,
/// sealed to each remaining device's key-exchange key (the server cannot open them).
pub async fn put_grants(
    State(state): Shared,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = async {
        let body = body_of(body)?;
        let device = signed_device(&state, &method, &uri, &headers, &body).await?;
        coordinator(&device)?;
        let request: Grants = json_body(&body)?;
        if request.grants.len() > MAX_GRANTS || request.epoch < 2 {
            return Err(ApiError::bad_request("bad epoch or too many grants"));
        }
        let grants = request
            .grants
            .iter()
            .map(|g| {
                let id = parse_hex::<16>(&g.device)?;
                let sealed = parse_hex_vec(&g.sealed).filter(|b| b.len() <= MAX_GRANT_BYTES)?;
                Some((id, sealed))
            })
            .collect::<Option<Vec<_>>>()
            .ok_or(ApiError::bad_request("bad grant"))?;
        let storage = state.storage.clone();
        let count = grants.len();
        blocking(move || {
            Ok(storage.put_grants(
                &device.team,
                &device.id,
                request.epoch,
                &grants,
                request.top_up,
                now_ms(),
            )?)
        })
        .await?;
        Ok((StatusCode::CREATED, Json(json!({ "stored": count }))).into_response())
    }
    .await;
    counted(&state, "grants", result)
}

/// The query of `GET /v1/grants`.
#[derive(Deserialize)]
pub struct GrantsQuery {
    /// The device's current epoch: only newer grants are answered.
    #[serde(default)]
    pub after: u32,
}

/// `GET /v1/grants?after=E`: the new team keys sealed to the asking device.
pub async fn grants(
    State(state): Shared,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    query: Result<Query<GrantsQuery>, QueryRejection>,
) -> Response {
    let result = async {
        let device = signed_device(&state, &method, &uri, &headers, &Bytes::new()).await?;
        let Query(query) = query.map_err(|_| ApiError::bad_request("bad query"))?;
        let storage = state.storage.clone();
        let list = blocking(move || Ok(storage.grants(&device.id, query.after)?)).await?;
        let list: Vec<JsonValue> = list
            .iter()
            .map(|(epoch, sealed)| json!({ "epoch": epoch, "sealed": hex(sealed) }))
            .collect();
        Ok(Json(json!({ "grants": list })).into_response())
    }
    .await;
    counted(&state, "grants", result)
}

/// Any path that is not an endpoint.
pub async fn no_route(State(state): Shared) -> Response {
    counted(
        &state,
        "unknown",
        Err(ApiError::not_found("no such endpoint")),
    )
}

/// An endpoint asked with the wrong method.
pub async fn wrong_method(State(state): Shared) -> Response {
    counted(
        &state,
        "unknown",
        Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this endpoint does not take this method",
        )),
    )
}
