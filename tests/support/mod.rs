//! Shared support for integration tests.

pub mod vm;
