//! What can go wrong in a request, and the status code each kind answers with.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::email_address::{AddressError, NameError};
use crate::web::pages;
use crate::web::topics_form::FieldProblem;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// The address typed into the form is not usable (400).
    #[error(transparent)]
    InvalidAddress(#[from] AddressError),
    /// The name typed into the form is not usable (400).
    #[error(transparent)]
    InvalidName(#[from] NameError),
    /// A topics field (categories, pause, action) is not usable (400); the message names the field and value.
    #[error(transparent)]
    InvalidField(#[from] FieldProblem),
    /// The request itself is wrong: malformed JSON or form data (400/422), too large (413), a content type that is
    /// neither (415). The message says what.
    #[error("{message}")]
    BadRequest { status: StatusCode, message: String },
    /// The store or another part of the server failed (500); the details go to the log, not to the client.
    #[error("something went wrong on our side; please try again in a minute")]
    Internal(#[source] anyhow::Error),
}

impl WebError {
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::InvalidAddress(_) | WebError::InvalidName(_) | WebError::InvalidField(_) => {
                StatusCode::BAD_REQUEST
            }
            WebError::BadRequest { status, .. } => *status,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Logs server-side failures with their cause chain (once, here).
    pub(crate) fn log(&self) {
        if let WebError::Internal(error) = self {
            tracing::error!("request failed: {error:#}");
        }
    }
}

impl From<anyhow::Error> for WebError {
    fn from(error: anyhow::Error) -> WebError {
        WebError::Internal(error)
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        self.log();
        let status = self.status();
        (status, pages::problem(status, &self.to_string())).into_response()
    }
}
