//! The process log: stderr, filtered by `RUST_LOG`, one event per line whatever a request
//! contained.
//!
//! Handlers log request values as structured `?` fields (escaped by Debug), but a dependency
//! logging at TRACE, or a `%` slipped into a new log line, could still write a raw newline or
//! NUL from a request. [`EscapingWriter`] is the last line of defence: inside one event it
//! escapes every control character but the final newline, so no request can forge a line.

use std::io::{self, Write};

use tracing_subscriber::fmt::MakeWriter;

/// Installs the stderr subscriber (`RUST_LOG`, default `default_filter`). A second call is
/// a no-op.
pub fn init_stderr(default_filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let ansi = io::IsTerminal::is_terminal(&io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(EscapingWriter::new(io::stderr, ansi))
        .with_ansi(ansi)
        .try_init();
}

/// A [`MakeWriter`] that escapes control characters inside each formatted event.
///
/// tracing-subscriber's fmt layer formats an event into one buffer and writes it with one
/// `write_all`, so each `write` here sees a whole event and its trailing newline.
#[derive(Clone, Copy)]
pub struct EscapingWriter<M> {
    inner: M,
    /// ANSI colours are on: keep ESC (Debug-formatted fields escape a request's own ESC).
    keep_escape: bool,
}

impl<M> EscapingWriter<M> {
    /// Wraps `inner`; `keep_escape` keeps ESC bytes for ANSI colours.
    pub fn new(inner: M, keep_escape: bool) -> Self {
        EscapingWriter { inner, keep_escape }
    }
}

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for EscapingWriter<M> {
    type Writer = Escaping<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        Escaping {
            inner: self.inner.make_writer(),
            keep_escape: self.keep_escape,
        }
    }
}

/// The writer [`EscapingWriter`] hands out.
pub struct Escaping<W> {
    inner: W,
    keep_escape: bool,
}

impl<W: Write> Write for Escaping<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let (body, newline) = match buf.split_last() {
            Some((b'\n', body)) => (body, true),
            _ => (buf, false),
        };
        let clean =
            |&b: &u8| b >= 0x20 && b != 0x7f || b == b'\t' || (b == 0x1b && self.keep_escape);
        if body.iter().all(clean) {
            self.inner.write_all(buf)?;
            return Ok(buf.len());
        }
        let mut out = Vec::with_capacity(buf.len() + 16);
        for &b in body {
            if clean(&b) {
                out.push(b);
            } else {
                out.extend_from_slice(format!("\\x{b:02x}").as_bytes());
            }
        }
        if newline {
            out.push(b'\n');
        }
        self.inner.write_all(&out)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(input: &[u8], keep_escape: bool) -> Vec<u8> {
        let mut w = Escaping {
            inner: Vec::new(),
            keep_escape,
        };
        w.write_all(input).unwrap();
        w.inner
    }

    #[test]
    fn only_the_final_newline_survives() {
        assert_eq!(escaped(b"a b\tc\n", false), b"a b\tc\n");
        assert_eq!(
            escaped(b"method=zz\n2026-01-01 INFO forged\0\r\n", false),
            b"method=zz\\x0a2026-01-01 INFO forged\\x00\\x0d\n"
        );
        assert_eq!(escaped(b"\x1b[1mx\n", false), b"\\x1b[1mx\n");
        assert_eq!(escaped(b"\x1b[1mx\n", true), b"\x1b[1mx\n");
        assert_eq!(escaped("芝麻\n".as_bytes(), false), "芝麻\n".as_bytes());
    }
}
