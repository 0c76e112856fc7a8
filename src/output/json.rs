//! JSON Lines: every Record as one object per line, tagged with `"type"` (docs/json.md).
//!
//! Nothing else is written to stdout in this mode, notices included, so that a pipeline reading
//! the output sees one well-formed stream.

mod write;

use std::io::Write;

use crate::record::{Record, Sink, SinkError};

/// Renders each Record as one line of JSON.
///
/// Lines are gathered in `buf` and written out when it is full and on [`Sink::flush`]: the
/// tools call that after each read of their input (the kernel's pipe, parse's file or pipe, a
/// remote batch), that is before they can block, so a reader still sees every record as soon as
/// it is complete, without one `write(2)` per line. Records are rendered straight into `buf`
/// (no line buffer, no second copy).
pub struct JsonSink<'a> {
    out: Box<dyn Write + 'a>,
    buf: Vec<u8>,
}

impl<'a> JsonSink<'a> {
    pub fn new(out: Box<dyn Write + 'a>) -> JsonSink<'a> {
        JsonSink {
            out,
            buf: Vec::with_capacity(super::OUT_BUFFER + 4096),
        }
    }
}

/// One record as its JSON line, newline included.
pub fn line(record: &Record) -> Result<Vec<u8>, SinkError> {
    let mut buf = Vec::new();
    render(&mut buf, record, None)?;
    Ok(buf)
}

/// One record of a multi-host run as its JSON line: the record's fields, then `"host"`.
pub fn hosted_line(host: &str, record: Record) -> Result<Vec<u8>, SinkError> {
    let mut buf = Vec::new();
    render(&mut buf, &record, Some(host))?;
    Ok(buf)
}

/// Appends the record's JSON line to `buf`.
fn render(buf: &mut Vec<u8>, record: &Record, host: Option<&str>) -> Result<(), SinkError> {
    // Rendering into memory first keeps serde errors (impossible for these types, but typed
    // all the same) apart from I/O errors, which must go through `SinkError::from_io`.
    write::record(buf, record, host).map_err(|e| SinkError::Io(std::io::Error::other(e)))?;
    buf.push(b'\n');
    Ok(())
}

impl JsonSink<'_> {
    fn emit_line(&mut self, record: &Record, host: Option<&str>) -> Result<(), SinkError> {
        let start = self.buf.len();
        if let Err(e) = render(&mut self.buf, record, host) {
            // Nothing of a record that failed goes out.
            self.buf.truncate(start);
            return Err(e);
        }
        if self.buf.len() >= super::OUT_BUFFER {
            self.write_out()?;
        }
        Ok(())
    }

    fn write_out(&mut self) -> Result<(), SinkError> {
        let r = self.out.write_all(&self.buf).map_err(SinkError::from_io);
        self.buf.clear();
        // Keep the buffer's size unless one huge record made it huge.
        self.buf.shrink_to(super::OUT_BUFFER + 4096);
        r
    }
}

impl Sink for JsonSink<'_> {
    fn emit(&mut self, record: Record) -> Result<(), SinkError> {
        self.emit_line(&record, None)
    }

    fn emit_ref(&mut self, record: &Record) -> Result<(), SinkError> {
        self.emit_line(record, None)
    }

    fn emit_from(&mut self, host: &str, record: Record) -> Result<(), SinkError> {
        self.emit_line(&record, Some(host))
    }

    fn flush(&mut self) -> Result<(), SinkError> {
        if !self.buf.is_empty() {
            self.write_out()?;
        }
        self.out.flush().map_err(SinkError::from_io)
    }
}

impl Drop for JsonSink<'_> {
    /// Like a BufWriter: what is buffered still goes out when a run ends without a flush (an
    /// error path); a failure here has nowhere to be reported.
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Count, Counts, Lost, NoticeLevel};

    #[test]
    fn one_line_per_record() {
        let mut out = Vec::new();
        {
            let mut sink = JsonSink::new(Box::new(&mut out));
            sink.emit(Record::Lost(Lost {
                cpu: Some(0),
                count: Some(2760),
            }))
            .unwrap();
            sink.emit(Record::notice(NoticeLevel::Warning, "x"))
                .unwrap();
            sink.emit_from(
                "pi",
                Record::Counts(Counts {
                    backend: "profiler".into(),
                    duration_s: 1.0,
                    time: 1700000000.5,
                    counts: vec![Count {
                        name: "vfs_read".into(),
                        count: 3,
                        keys: None,
                    }],
                }),
            )
            .unwrap();
            sink.flush().unwrap();
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            concat!(
                r#"{"type":"lost","cpu":0,"count":2760}"#,
                "\n",
                r#"{"type":"notice","level":"warning","message":"x"}"#,
                "\n",
                r#"{"type":"counts","backend":"profiler","duration_s":1.0,"time":1700000000.5,"counts":[{"name":"vfs_read","count":3}],"host":"pi"}"#,
                "\n"
            )
        );
    }

    struct Broken;
    impl Write for Broken {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// A closed pipe shows when the buffer goes out: at a flush, or once it is full.
    #[test]
    fn broken_pipe_is_closed() {
        let mut sink = JsonSink::new(Box::new(Broken));
        sink.emit(Record::notice(NoticeLevel::Info, "x")).unwrap();
        assert!(matches!(sink.flush(), Err(SinkError::Closed)));
        let mut sink = JsonSink::new(Box::new(Broken));
        let big = Record::notice(NoticeLevel::Info, "x".repeat(super::super::OUT_BUFFER));
        assert!(matches!(sink.emit(big), Err(SinkError::Closed)));
    }

    /// Nothing reaches the writer before a flush (one write per burst, not per line); all of
    /// it does at the flush.
    #[test]
    fn records_wait_for_the_flush() {
        let out = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        struct Shared(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);
        impl Write for Shared {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.borrow_mut().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut sink = JsonSink::new(Box::new(Shared(out.clone())));
        for cpu in 0..3 {
            sink.emit(Record::Lost(Lost {
                cpu: Some(cpu),
                count: None,
            }))
            .unwrap();
        }
        assert!(out.borrow().is_empty());
        sink.flush().unwrap();
        assert_eq!(out.borrow().iter().filter(|&&b| b == b'\n').count(), 3);
    }
}
