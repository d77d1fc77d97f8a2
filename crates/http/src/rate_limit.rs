//! Rate limits per client address and per API token: a one-minute window each, kept in
//! this process (several processes behind a load balancer each count their own requests).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

/// Requests per minute allowed to one client address and to one API token; `None`: no limit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateLimits {
    /// Requests without a valid API token, per client address.
    pub per_ip: Option<u32>,
    /// Requests with a valid API token, per token.
    pub per_token: Option<u32>,
}

impl RateLimits {
    pub fn is_off(&self) -> bool {
        self.per_ip.is_none() && self.per_token.is_none()
    }
}

/// `N/min`, `N/minute` or `N`, as the flags take it; `0` or empty: no limit.
pub fn parse_per_minute(text: &str) -> Result<Option<u32>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let number = text.strip_suffix("/minute").or_else(|| text.strip_suffix("/min")).unwrap_or(text).trim();
    let n: u32 = number.parse().map_err(|_| format!("not a rate (N/min): {text:?}"))?;
    Ok((n > 0).then_some(n))
}

/// What a request is counted against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    Ip(IpAddr),
    /// A token's id (`jti`), never the token.
    Token(String),
}

/// The outcome of counting one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the window ends.
    pub reset: u64,
}

const WINDOW: u64 = 60;

/// Each key's window: it opens with the key's first request and lasts a minute, so keys do
/// not all start afresh at the same moment.
#[derive(Default)]
pub struct Limiter {
    state: Mutex<Windows>,
}

#[derive(Default)]
struct Windows {
    /// Each key's window start (seconds on the limiter's clock) and requests counted in it.
    counts: HashMap<Key, (u64, u32)>,
    /// Past this many keys, ended windows are dropped.
    prune_at: usize,
    clock: Option<Instant>,
}

impl Limiter {
    /// Counts a request of `key` against `limit` per minute.
    pub fn check(&self, key: Key, limit: u32) -> Decision {
        let mut windows = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = windows.clock.get_or_insert_with(Instant::now).elapsed().as_secs();
        windows.check_at(key, limit, now)
    }
}

impl Windows {
    fn check_at(&mut self, key: Key, limit: u32, now: u64) -> Decision {
        if self.counts.len() >= self.prune_at.max(1024) {
            self.counts.retain(|_, (start, _)| now < *start + WINDOW);
            self.prune_at = self.counts.len() * 2;
        }
        let (start, count) = self.counts.entry(key).or_insert((now, 0));
        if now >= *start + WINDOW {
            *start = now;
            *count = 0;
        }
        let reset = (*start + WINDOW - now).max(1);
        if *count >= limit {
            return Decision { allowed: false, limit, remaining: 0, reset };
        }
        *count += 1;
        Decision { allowed: true, limit, remaining: limit - *count, reset }
    }
}

/// The client's address: the peer, or — when the peer is a trusted proxy — the nearest address
/// in `X-Forwarded-For` that is not one.
pub fn client_address(
    peer: Option<IpAddr>,
    forwarded_for: Option<&str>,
    trusted: &[IpAddr],
) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let Some(forwarded) = forwarded_for else { return Some(peer) };
    let mut nearest = peer;
    for hop in forwarded.rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) => {
                nearest = ip;
                if !trusted.contains(&ip) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    Some(nearest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_counts_then_refuses_then_resets() {
        let mut windows = Windows::default();
        let ip = Key::Ip(IpAddr::from([192, 0, 2, 1]));
        let first = windows.check_at(ip.clone(), 2, 120);
        assert_eq!((first.allowed, first.remaining, first.reset), (true, 1, 60));
        assert!(windows.check_at(ip.clone(), 2, 130).allowed);
        let refused = windows.check_at(ip.clone(), 2, 170);
        assert_eq!((refused.allowed, refused.remaining, refused.reset), (false, 0, 10));
        assert!(windows.check_at(Key::Token("t".into()), 2, 170).allowed);
        let renewed = windows.check_at(ip, 2, 180);
        assert_eq!((renewed.allowed, renewed.remaining, renewed.reset), (true, 1, 60));
    }

    #[test]
    fn rates_parse() {
        assert_eq!(parse_per_minute("60/min"), Ok(Some(60)));
        assert_eq!(parse_per_minute("5"), Ok(Some(5)));
        assert_eq!(parse_per_minute(""), Ok(None));
        assert_eq!(parse_per_minute("0"), Ok(None));
        assert!(parse_per_minute("fast").is_err());
    }

    #[test]
    fn forwarded_addresses_count_only_behind_trusted_proxies() {
        let proxy = IpAddr::from([10, 0, 0, 1]);
        let client = IpAddr::from([192, 0, 2, 7]);
        let forged = "198.51.100.1, 192.0.2.7";
        assert_eq!(client_address(Some(proxy), Some(forged), &[]), Some(proxy));
        assert_eq!(client_address(Some(proxy), Some(forged), &[proxy]), Some(client));
        assert_eq!(client_address(Some(client), Some("203.0.113.9"), &[proxy]), Some(client));
        assert_eq!(client_address(Some(proxy), None, &[proxy]), Some(proxy));
    }
}
