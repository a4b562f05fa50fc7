//! Every refusal is a 4xx with a JSON body `{"error": CODE, "message": TEXT}` that says
//! what was wrong with the request, never what a stored bundle holds.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::storage::StorageError;

/// A refused or failed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable code a client branches on.
    pub code: &'static str,
    /// Human-readable cause.
    pub message: &'static str,
    /// For the wipe instruction: the coordinator's signed removal (hex), which the
    /// device checks before it wipes.
    pub proof: Option<String>,
}

impl ApiError {
    /// A refusal with a status, code and message.
    pub const fn new(status: StatusCode, code: &'static str, message: &'static str) -> Self {
        Self {
            status,
            code,
            message,
            proof: None,
        }
    }

    /// 400: malformed request.
    pub const fn bad_request(message: &'static str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 401: the request is not signed by an enrolled device, or not validly.
    pub const fn unauthenticated(message: &'static str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", message)
    }

    /// 403: signed, but the device's role does not allow it.
    pub const fn forbidden(message: &'static str) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 404.
    pub const fn not_found(message: &'static str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 409: contradicts what is stored.
    pub const fn conflict(message: &'static str) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message)
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::TeamExists => ApiError::conflict("the team is already registered"),
            StorageError::DeviceExists => ApiError::conflict("the device is already enrolled"),
            StorageError::BadEnrollment => ApiError::new(
                StatusCode::FORBIDDEN,
                "bad_enrollment",
                "the enrollment token is unknown, used or expired",
            ),
            StorageError::TokenExists => {
                ApiError::conflict("this enrollment token is already registered")
            }
            StorageError::EpochTaken => ApiError::new(
                StatusCode::CONFLICT,
                "epoch_taken",
                "another coordinator already started this key epoch",
            ),
            StorageError::NotInTeam => ApiError::not_found("no such device in this team"),
            StorageError::EpochOutOfOrder => ApiError::new(
                StatusCode::CONFLICT,
                "epoch_out_of_order",
                "a new key epoch must follow the team's newest epoch",
            ),
            StorageError::GrantsIncomplete => ApiError::new(
                StatusCode::CONFLICT,
                "grants_incomplete",
                "the new key epoch leaves out an enrolled device; list the devices again",
            ),
            StorageError::NoSuchEpoch => ApiError::not_found("no such key epoch"),
            StorageError::Revoked => crate::auth::REVOKED,
            StorageError::Replayed => crate::auth::REPLAYED,
            StorageError::BatchReused => {
                ApiError::conflict("this batch number was already used for a different bundle")
            }
            StorageError::NewerSchema { .. } | StorageError::Database(_) => {
                tracing::error!(detail = %e, "storage failed");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the server could not complete the request",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = match self.proof {
            Some(proof) => json!({ "error": self.code, "message": self.message, "proof": proof }),
            None => json!({ "error": self.code, "message": self.message }),
        };
        (self.status, Json(body)).into_response()
    }
}
