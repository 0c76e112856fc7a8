//! The remote mode: `lktrace agent` on the target, `--remote HOST` on any tool.
//! See docs/protocol.md.
