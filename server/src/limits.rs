//! Request limits: body size, and a per-device token bucket so one device (or a stolen
//! key) cannot flood the server.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use crate::storage::Id;

/// Limits a server enforces.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest request body (a pushed bundle, a JSON request), bytes.
    pub max_body: usize,
    /// Largest pull answer a device may ask for, bytes.
    pub max_pull: usize,
    /// Sustained requests per second per device.
    pub rate_per_sec: f64,
    /// Requests a device may make at once before the rate applies.
    pub burst: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            // A bundle is split at 4 MiB; room for its header and framing.
            max_body: 8 * 1024 * 1024,
            max_pull: 8 * 1024 * 1024,
            rate_per_sec: 20.0,
            burst: 200.0,
        }
    }
}

/// Per-device token buckets (in this process: several server processes each allow
/// the rate, which still bounds a flood).
#[derive(Default)]
pub struct RateLimiter {
    buckets: Mutex<HashMap<Id, (f64, Instant)>>,
}

impl RateLimiter {
    /// Takes one token for `device`; false when it has none left.
    pub fn allow(&self, device: &Id, limits: &Limits) -> bool {
        let Ok(mut buckets) = self.buckets.lock() else {
            return true;
        };
        let now = Instant::now();
        let (tokens, last) = buckets.entry(*device).or_insert((limits.burst, now));
        let refill = now.duration_since(*last).as_secs_f64() * limits.rate_per_sec;
        *tokens = (*tokens + refill).min(limits.burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}
