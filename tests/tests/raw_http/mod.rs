//! A reply read from a raw HTTP/1.1 connection, for the tests that write their
//! requests byte by byte.

// Each test file that includes this module uses a different part of it.
#![allow(dead_code)]

use serde_json::Value;

/// Status line, header block and body of a raw HTTP/1.1 reply.
#[derive(Debug)]
pub struct Reply {
    /// The status code, or 0 when the connection closed before a status line.
    pub status: u16,
    /// The status line and the header lines, without the blank line after them.
    pub head: String,
    pub body: Vec<u8>,
}

impl Reply {
    /// Returns the value of header `name`, compared ignoring ASCII case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Parses the body as JSON, and fails the test when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|err| {
            panic!(
                "body is not JSON ({err}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}
