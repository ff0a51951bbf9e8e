//! An error as the client sees it: what was wrong and where, never the server's insides.

use crate::live::LiveError;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A failed request: its status and a sentence for the person or program that sent it.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// Seconds to wait before trying again (a locked sign-in or PIN).
    pub retry_after: Option<i64>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            retry_after: None,
        }
    }

    /// A fault of the server: logged in full, answered with nothing internal.
    pub fn internal(detail: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %detail, "request failed");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the server could not complete this; it is in the server's log",
        )
    }

    /// The answer for a production that does not exist or that the caller is not on: the same,
    /// so that ids of one production tell nothing to another's crew.
    pub fn no_production(raw: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("there is no production {raw:?}"),
        )
    }
}

impl From<LiveError> for ApiError {
    fn from(e: LiveError) -> Self {
        match e {
            LiveError::NoProduction(id) => ApiError::no_production(id.as_str()),
            LiveError::Invalid(inv) => ApiError::new(
                match inv.kind {
                    setguard_core::InvalidKind::NotFound => StatusCode::NOT_FOUND,
                    setguard_core::InvalidKind::Conflict => StatusCode::CONFLICT,
                    setguard_core::InvalidKind::BadRequest => StatusCode::BAD_REQUEST,
                },
                inv.message,
            ),
            LiveError::Forbidden(why) => ApiError::new(StatusCode::FORBIDDEN, why),
            LiveError::Busy => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
            LiveError::Ledger(_) | LiveError::Internal(_) => ApiError::internal(e),
        }
    }
}

/// A body that is not the JSON expected: 400 naming the field (axum reports the path of the
/// field that failed), 413 when too large, 415 when not JSON.
impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        // axum says 422 for well-formed JSON of the wrong shape; to the client it is one kind
        // of mistake, a body that is not the command, named by its field.
        let status = match r.status() {
            StatusCode::UNPROCESSABLE_ENTITY => StatusCode::BAD_REQUEST,
            s => s,
        };
        let message = match &r {
            JsonRejection::JsonDataError(_) | JsonRejection::JsonSyntaxError(_) => r
                .body_text()
                .replace(
                    "Failed to deserialize the JSON body into the target type: ",
                    "",
                )
                .replace("Failed to parse the request body as JSON: ", "not JSON: "),
            JsonRejection::MissingJsonContentType(_) => {
                "send the body as JSON (Content-Type: application/json)".to_owned()
            }
            _ if status == StatusCode::PAYLOAD_TOO_LARGE => {
                "the body is too large: no request is over 64 KiB".to_owned()
            }
            _ => r.body_text(),
        };
        ApiError::new(status, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (
            self.status,
            Json(serde_json::json!({ "error": self.message })),
        )
            .into_response();
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res
    }
}
