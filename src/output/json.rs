//! JSON Lines: every Record as one object per line, tagged with `"type"` (docs/json.md).
//!
//! Nothing else is written to stdout in this mode, notices included, so that a pipeline reading
//! the output sees one well-formed stream.

use std::io::Write;

use crate::record::{Hosted, Record, Sink, SinkError};

/// Renders each Record as one line of JSON.
pub struct JsonSink<'a> {
    out: Box<dyn Write + 'a>,
}

impl<'a> JsonSink<'a> {
    pub fn new(out: Box<dyn Write + 'a>) -> JsonSink<'a> {
        JsonSink { out }
    }
}

/// One record as its JSON line, newline included.
pub fn line(record: &Record) -> Result<Vec<u8>, SinkError> {
    to_line(record)
}

/// One record of a multi-host run as its JSON line: the record's fields, then `"host"`.
pub fn hosted_line(host: &str, record: Record) -> Result<Vec<u8>, SinkError> {
    to_line(&Hosted {
        record,
        host: Some(host.to_string()),
    })
}

fn to_line(v: &impl serde::Serialize) -> Result<Vec<u8>, SinkError> {
    // Serialising into memory first keeps serde errors (impossible for these types, but typed
    // all the same) apart from I/O errors, which must go through `SinkError::from_io`.
    let mut buf = serde_json::to_vec(v).map_err(|e| SinkError::Io(std::io::Error::other(e)))?;
    buf.push(b'\n');
    Ok(buf)
}

/// Records that arrive one by one while a trace runs: a reader should see each at once.
pub(crate) fn is_stream(record: &Record) -> bool {
    matches!(
        record,
        Record::Event(_) | Record::Lost(_) | Record::Stack(_) | Record::Span(_)
    )
}

impl JsonSink<'_> {
    fn write(&mut self, buf: &[u8], stream: bool) -> Result<(), SinkError> {
        self.out.write_all(buf).map_err(SinkError::from_io)?;
        if stream {
            self.out.flush().map_err(SinkError::from_io)?;
        }
        Ok(())
    }
}

impl Sink for JsonSink<'_> {
    fn emit(&mut self, record: Record) -> Result<(), SinkError> {
        let buf = line(&record)?;
        self.write(&buf, is_stream(&record))
    }

    fn emit_from(&mut self, host: &str, record: Record) -> Result<(), SinkError> {
        let stream = is_stream(&record);
        let buf = hosted_line(host, record)?;
        self.write(&buf, stream)
    }

    fn flush(&mut self) -> Result<(), SinkError> {
        self.out.flush().map_err(SinkError::from_io)
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

    #[test]
    fn broken_pipe_is_closed() {
        let mut sink = JsonSink::new(Box::new(Broken));
        let r = sink.emit(Record::notice(NoticeLevel::Info, "x"));
        assert!(matches!(r, Err(SinkError::Closed)));
    }
}
