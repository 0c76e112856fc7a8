//! The numbers of funcgraph and funcslower.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{shown, ValueError};

bounded!(
    /// How deep a function graph goes (`funcgraph -m`, `max_graph_depth`): the kernel keeps
    /// 50 returns per task on older kernels, so deeper changes nothing.
    GraphDepth,
    u32,
    "the depth",
    1,
    50
);

bounded!(
    /// A duration in microseconds (`funcslower latency_us`, `funcgraph --min-us`,
    /// `tracing_thresh`): at least 1 (0 turns the threshold off), at most 100 s.
    Micros,
    u64,
    "the microseconds",
    1,
    100_000_000
);
