//! What faultplan accepts at most, so that any input fails fast with a clear
//! message instead of exhausting memory or time (docs/formats.md, Limits). Each
//! is far above a real fleet and low enough that counts and sums of user numbers
//! cannot overflow the integer and float arithmetic of later stages.

/// Bytes of one CSV file (inventory files and placement.csv).
pub const CSV_BYTES: u64 = 64 << 20;
/// Bytes of services.toml or scenarios.toml.
pub const TOML_BYTES: u64 = 4 << 20;
/// Fields on one CSV line.
pub const CSV_FIELDS: usize = 1_000;
/// Data rows of one CSV file (so at most this many servers, racks, ...).
pub const CSV_ROWS: usize = 1_000_000;
/// Services in services.toml.
pub const SERVICES: usize = 100_000;
/// Distinct survive words over services.toml: each is expanded into scenarios.
pub const WORDS: usize = 1_000;
/// `min_replicas` and `max_replicas`.
pub const REPLICAS: u32 = 1_000_000;
/// `max_per_server`: times CSV_ROWS servers it stays below u32::MAX.
pub const PER_SERVER: u32 = 1_000;
/// Any number (watts, cores, GB): sums over CSV_ROWS rows stay finite and exact
/// well below a watt.
pub const NUMBER: f64 = 1e15;
/// Whole-number columns (`u_height`, `position`).
pub const WHOLE: u32 = 1_000_000;

/// `limit` bytes for people: "64 MiB".
pub fn bytes(limit: u64) -> String {
    match limit {
        l if l >= 1 << 20 && l % (1 << 20) == 0 => format!("{} MiB", l >> 20),
        l => format!("{l} bytes"),
    }
}
