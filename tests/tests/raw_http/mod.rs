//! Replies read from a raw HTTP/1.1 connection, for the tests that write their
//! requests byte by byte.

// Each test file that includes this module uses a different part of it.
#![allow(dead_code)]

use std::io::{ErrorKind, Read};
use std::net::TcpStream;

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

/// Reads consecutive replies from one connection, framed by `Content-Length`.
pub struct ReplyReader {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl ReplyReader {
    /// Creates a reader of `stream`, whose read timeout bounds every read.
    pub fn new(stream: TcpStream) -> Self {
        ReplyReader {
            stream,
            buffer: Vec::new(),
        }
    }

    fn fill(&mut self) -> bool {
        let mut chunk = [0; 4096];
        match self.stream.read(&mut chunk) {
            Ok(0) => false,
            Ok(read) => {
                self.buffer.extend_from_slice(&chunk[..read]);
                true
            }
            Err(err) if err.kind() == ErrorKind::ConnectionReset => false,
            Err(err) => panic!("no complete reply within the read timeout: {err}"),
        }
    }

    /// Reads the next reply, which has no body if it is the response to a HEAD request.
    pub fn next(&mut self, head_request: bool) -> Reply {
        let split = loop {
            if let Some(split) = self
                .buffer
                .windows(4)
                .position(|window| window == b"\r\n\r\n")
            {
                break split;
            }
            if !self.fill() {
                return Reply {
                    status: 0,
                    head: String::from_utf8_lossy(&self.buffer).into_owned(),
                    body: Vec::new(),
                };
            }
        };
        let head = String::from_utf8_lossy(&self.buffer[..split]).into_owned();
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or(0);
        let mut reply = Reply {
            status,
            head,
            body: Vec::new(),
        };
        let length = match head_request {
            true => 0,
            false => reply
                .header("content-length")
                .map_or(0, |value| value.parse().unwrap()),
        };
        while self.buffer.len() < split + 4 + length {
            assert!(self.fill(), "connection closed inside a body: {reply:?}");
        }
        reply.body = self.buffer[split + 4..split + 4 + length].to_vec();
        self.buffer.drain(..split + 4 + length);
        reply
    }
}
