//! A `log` backend that keeps every record of a test binary at every level, so
//! that tests can check what the library and actix-web log.
//!
//! `log` takes one backend per process, so the records of every test in a binary
//! share one list. A check for a leaked secret therefore fails every test that
//! makes it after the leak, not only the test whose request leaked.

// Each test file that includes this module uses a different part of it.
#![allow(dead_code)]

use std::sync::{Mutex, MutexGuard, PoisonError};

static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct CapturingLogger;

impl log::Log for CapturingLogger {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        let line = format!("{} {}: {}", record.level(), record.target(), record.args());

        lines().push(line);
    }

    fn flush(&self) {}
}

/// Locks the captured lines. A failed assertion may hold the lock while a server
/// logs, so a poisoned lock is taken over rather than turned into a second panic.
fn lines() -> MutexGuard<'static, Vec<String>> {
    LINES.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Installs the backend for this test binary, if no test has yet, with every
/// level enabled.
pub fn install() {
    static LOGGER: CapturingLogger = CapturingLogger;

    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(log::LevelFilter::Trace);
    }
}

/// Returns the captured lines that contain `needle`, each written
/// `<level> <target>: <message>`.
pub fn lines_with(needle: &str) -> Vec<String> {
    lines()
        .iter()
        .filter(|line| line.contains(needle))
        .cloned()
        .collect()
}

/// Returns the captured lines of `level` that contain `needle`.
pub fn lines_at(level: log::Level, needle: &str) -> Vec<String> {
    let prefix = format!("{level} ");

    lines_with(needle)
        .into_iter()
        .filter(|line| line.starts_with(&prefix))
        .collect()
}

/// Fails when a captured line contains one of `secrets`, and lists those lines.
pub fn assert_no_line_contains(secrets: &[&str]) {
    let leaked: Vec<String> = lines()
        .iter()
        .filter(|line| secrets.iter().any(|secret| line.contains(secret)))
        .cloned()
        .collect();

    assert!(leaked.is_empty(), "a secret reached the log: {leaked:#?}");
}
