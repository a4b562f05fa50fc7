//! The hybrid logical clock: physical milliseconds, a counter, and the device id as the
//! final tie-break. Stamps from one device only ever increase, across restarts (the
//! high-water mark is every op's own stamp, read back at unlock) and when the system
//! clock jumps back.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::ids::DeviceId;

/// One reading of the hybrid logical clock. Ordered by time, then counter, then device,
/// so two stamps from different devices are never equal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Stamp {
    /// Milliseconds since the Unix epoch (physical part).
    pub wall_ms: u64,
    /// Logical counter for readings within the same millisecond or after a clock jump.
    pub counter: u32,
    /// The device that made the reading.
    pub device: DeviceId,
}

impl Stamp {
    /// The reading as a UTC date-time, for display.
    pub fn datetime(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        chrono::DateTime::from_timestamp_millis(i64::try_from(self.wall_ms).ok()?)
    }
}

/// The physical clock the hybrid clock reads. Injected so tests can set it back.
pub trait Clock: Send + Sync {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64;
}

/// The system's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }
}

/// A device's hybrid logical clock.
pub struct Hlc {
    clock: Arc<dyn Clock>,
    device: DeviceId,
    last: Stamp,
}

impl Hlc {
    /// Resumes from the persisted high-water mark `last` (or zero for a new device).
    pub fn resume(clock: Arc<dyn Clock>, device: DeviceId, last: Option<Stamp>) -> Self {
        let last = last.unwrap_or(Stamp {
            wall_ms: 0,
            counter: 0,
            device,
        });
        Self {
            clock,
            device,
            last: Stamp { device, ..last },
        }
    }

    /// The next stamp: strictly greater than every stamp this device issued or observed.
    pub fn tick(&mut self) -> Stamp {
        let now = self.clock.now_ms();
        let next = if now > self.last.wall_ms {
            Stamp {
                wall_ms: now,
                counter: 0,
                device: self.device,
            }
        } else if self.last.counter == u32::MAX {
            Stamp {
                wall_ms: self.last.wall_ms + 1,
                counter: 0,
                device: self.device,
            }
        } else {
            Stamp {
                counter: self.last.counter + 1,
                device: self.device,
                ..self.last
            }
        };
        self.last = next;
        next
    }

    /// The high-water mark to persist.
    pub fn last(&self) -> Stamp {
        self.last
    }

    /// The physical clock's reading, in milliseconds.
    pub fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    /// Takes in a stamp received from another device, so that later local stamps sort
    /// after it. A stamp more than [`MAX_AHEAD_MS`] ahead of this device's clock is
    /// not followed (one phone with a wrong date must not drag every device into the
    /// future); returns false for such a stamp so the caller can report it. The op is
    /// still applied unchanged: merge never depends on whose clock is right.
    pub fn observe(&mut self, remote: Stamp) -> bool {
        let now = self.clock.now_ms();
        if remote.wall_ms > now.saturating_add(MAX_AHEAD_MS) {
            return false;
        }
        if (remote.wall_ms, remote.counter) > (self.last.wall_ms, self.last.counter) {
            self.last = Stamp {
                device: self.device,
                ..remote
            };
        }
        true
    }
}

/// How far ahead of this device's clock a received stamp may be and still be followed
/// by this device's clock: one hour.
pub const MAX_AHEAD_MS: u64 = 60 * 60 * 1000;

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    struct SetClock(AtomicU64);
    impl Clock for SetClock {
        fn now_ms(&self) -> u64 {
            self.0.load(Ordering::SeqCst)
        }
    }

    #[test]
    fn stamps_keep_rising_when_the_phone_clock_jumps_back() {
        let clock = Arc::new(SetClock(AtomicU64::new(1_000_000)));
        let device = DeviceId([1; 16]);
        let mut hlc = Hlc::resume(clock.clone(), device, None);
        let a = hlc.tick();
        let b = hlc.tick();
        clock.0.store(5_000, Ordering::SeqCst);
        let c = hlc.tick();
        assert!(a < b && b < c);
        assert_eq!(c.wall_ms, 1_000_000);
        // A restart resumes from the persisted mark (the newest op's stamp).
        let mut again = Hlc::resume(clock.clone(), device, Some(c));
        assert!(again.tick() > c);
        clock.0.store(2_000_000, Ordering::SeqCst);
        assert_eq!(again.tick().wall_ms, 2_000_000);
    }

    #[test]
    fn counter_overflow_moves_to_the_next_millisecond() {
        let clock = Arc::new(SetClock(AtomicU64::new(10)));
        let device = DeviceId([2; 16]);
        let start = Stamp {
            wall_ms: 10,
            counter: u32::MAX - 1,
            device,
        };
        let mut hlc = Hlc::resume(clock, device, Some(start));
        let a = hlc.tick();
        let b = hlc.tick();
        assert!(start < a && a < b);
        assert_eq!(b.wall_ms, 11);
    }
}
