//! Prometheus metrics: requests by route and status, bundles and bytes stored and
//! served. Counts only; no ids.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    status: u16,
}

/// The server's counters.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    bundles_stored: Counter,
    bytes_stored: Counter,
    bytes_served: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("safekeep");
        let requests = Family::<RequestLabels, Counter>::default();
        let bundles_stored = Counter::default();
        let bytes_stored = Counter::default();
        let bytes_served = Counter::default();
        registry.register("requests", "Requests by route and status", requests.clone());
        registry.register(
            "bundles_stored",
            "Bundles stored (duplicates not counted)",
            bundles_stored.clone(),
        );
        registry.register(
            "bundle_bytes_stored",
            "Bytes of bundles stored",
            bytes_stored.clone(),
        );
        registry.register(
            "bundle_bytes_served",
            "Bytes of bundles served to pulls",
            bytes_served.clone(),
        );
        Self {
            registry,
            requests,
            bundles_stored,
            bytes_stored,
            bytes_served,
        }
    }
}

impl Metrics {
    /// Counts one answered request.
    pub fn request(&self, route: &str, status: u16) {
        self.requests
            .get_or_create(&RequestLabels {
                route: route.to_owned(),
                status,
            })
            .inc();
    }

    /// Counts a newly stored bundle.
    pub fn stored(&self, bytes: usize) {
        self.bundles_stored.inc();
        self.bytes_stored.inc_by(bytes as u64);
    }

    /// Counts bundle bytes sent to a pull.
    pub fn served(&self, bytes: usize) {
        self.bytes_served.inc_by(bytes as u64);
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}
