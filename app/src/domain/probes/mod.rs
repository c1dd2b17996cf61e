//! Live probes, the pure part: definitions and their validation, status
//! rules, schedule math, compact check blocks, latency rollups and the
//! reading of Prometheus metrics. Nothing here does I/O.
pub mod assertions;
pub mod blocks;
pub mod definition;
pub mod headers;
pub mod metrics;
#[cfg(feature = "ssr")]
pub mod rollup;
pub mod schedule;
pub mod selector;
pub mod status;
pub mod status_codes;
pub mod target;
#[cfg(feature = "ssr")]
pub mod toml_file;
#[cfg(feature = "ssr")]
pub mod verdict;

#[cfg(test)]
mod fixtures;
