//! Request ids: every response carries `X-Request-Id`, and every log line written while the
//! request is handled — on the worker's task or on a blocking thread it hands work to — can ask
//! for it with [`current_request_id`].

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};

use actix_web::http::header::HeaderMap;
use actix_web::web;

pub const HEADER: &str = "x-request-id";

tokio::task_local! {
    /// The id of the request whose future is being polled.
    static TASK_ID: Arc<str>;
}

thread_local! {
    /// The id of the request whose blocking work this thread runs.
    static THREAD_ID: RefCell<Option<Arc<str>>> = const { RefCell::new(None) };
}

/// The id the client sent, when it is sane: 1 to 128 visible ASCII characters.
pub fn sent(headers: &HeaderMap) -> Option<Arc<str>> {
    let value = headers.get(HEADER)?.as_bytes();
    let sane = !value.is_empty() && value.len() <= 128 && value.iter().all(|b| (0x21..=0x7e).contains(b));
    if !sane {
        return None;
    }
    std::str::from_utf8(value).ok().map(Arc::from)
}

/// A new id: 32 hexadecimal digits, the process's random half (drawn once, so that nodes'
/// ids differ) and then how many ids it made before (no system call per request).
pub fn generate() -> Arc<str> {
    static PROCESS: LazyLock<u64> = LazyLock::new(|| uuid::Uuid::new_v4().as_u64_pair().0);
    static MADE: AtomicU64 = AtomicU64::new(0);
    let made = MADE.fetch_add(1, Ordering::Relaxed);
    let value = (u128::from(*PROCESS) << 64) | u128::from(made);
    let mut digits = [0u8; 32];
    for (i, digit) in digits.iter_mut().enumerate() {
        *digit = b"0123456789abcdef"[((value >> (124 - 4 * i)) & 0xf) as usize];
    }
    Arc::from(std::str::from_utf8(&digits).unwrap_or_default())
}

/// Runs `future` as the handling of request `id`.
pub async fn scope<F: Future>(id: Arc<str>, future: F) -> F::Output {
    TASK_ID.scope(id, future).await
}

/// The id of the request being handled on this task or thread, if any.
pub fn current_request_id() -> Option<Arc<str>> {
    TASK_ID.try_with(Arc::clone).ok().or_else(|| THREAD_ID.with(|id| id.borrow().clone()))
}

/// `web::block` that keeps the request id for the log lines of the blocking work.
pub async fn block<F, R>(work: F) -> Result<R, actix_web::error::BlockingError>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let id = current_request_id();
    web::block(move || {
        let previous = THREAD_ID.with(|slot| slot.replace(id));
        let result = work();
        THREAD_ID.with(|slot| *slot.borrow_mut() = previous);
        result
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    fn headers(value: &[u8]) -> HeaderMap {
        let mut map = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_bytes(value) {
            map.insert(actix_web::http::header::HeaderName::from_static(HEADER), value);
        }
        map
    }

    #[test]
    fn sane_ids_are_kept_others_are_not() {
        assert_eq!(sent(&headers(b"abc-123")).as_deref(), Some("abc-123"));
        assert_eq!(sent(&headers(&[b'a'; 128])).map(|id| id.len()), Some(128));
        assert_eq!(sent(&headers(&[b'a'; 129])), None);
        assert_eq!(sent(&headers(b"has space")), None);
        assert_eq!(sent(&headers(b"")), None);
        assert_eq!(sent(&headers("caf\u{e9}".as_bytes())), None);
    }

    #[test]
    fn generated_ids_are_sane_and_never_repeat() {
        let ids: Vec<_> = (0..1000).map(|_| generate()).collect();
        for id in &ids {
            assert_eq!(id.len(), 32);
            assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
            assert!(sent(&headers(id.as_bytes())).is_some());
            assert_eq!(id[..16], ids[0][..16], "one process, one random half");
        }
        let distinct: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len());
    }
}
