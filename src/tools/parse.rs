//! parse: saved ftrace text (`trace` or `trace_pipe` format, from any machine) into the same
//! records kprobe prints, so old captures go through `--json | jq` too.
