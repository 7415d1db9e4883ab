//! The body of an answer the proxy gives: whole (read and checked, or its own 502), or
//! streamed on (past the body cap: what was read, then the rest as it comes).

use std::pin::Pin;
use std::task::{Context, Poll};

use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Bytes, Frame, SizeHint};

use crate::host::BoxError;

/// The body of an answer the proxy gives.
pub type ProxyBody = http_body_util::combinators::UnsyncBoxBody<Bytes, BoxError>;

/// A body held whole.
pub(super) fn whole(bytes: Vec<u8>) -> ProxyBody {
    full(Full::new(Bytes::from(bytes)))
}

/// A body built whole.
pub(super) fn full(full: Full<Bytes>) -> ProxyBody {
    full.map_err(|never| match never {}).boxed_unsync()
}

/// `read`, then the rest of `rest`'s body as it comes: nothing past what was read is held.
pub(super) fn streamed(read: Vec<u8>, rest: reqwest::Response) -> ProxyBody {
    let rest = http::Response::<reqwest::Body>::from(rest).into_body();
    Streamed {
        read: (!read.is_empty()).then(|| Bytes::from(read)),
        rest,
    }
    .boxed_unsync()
}

/// What was read of a body, then the rest of it.
struct Streamed {
    read: Option<Bytes>,
    rest: reqwest::Body,
}

impl Body for Streamed {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        context: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        if let Some(read) = this.read.take() {
            return Poll::Ready(Some(Ok(Frame::data(read))));
        }
        Pin::new(&mut this.rest)
            .poll_frame(context)
            .map_err(BoxError::from)
    }

    fn is_end_stream(&self) -> bool {
        self.read.is_none() && self.rest.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        let read = self.read.as_ref().map_or(0, |read| read.len() as u64);
        let rest = self.rest.size_hint();
        let mut hint = SizeHint::new();
        hint.set_lower(rest.lower() + read);
        if let Some(upper) = rest.upper() {
            hint.set_upper(upper + read);
        }
        hint
    }
}
