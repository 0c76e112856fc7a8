//! What travels inside the reliable message stream: one tag byte, then the body.
//!
//! Records (agent → client) are binary, many to a message: see [`super::batch`]. Everything
//! else is JSON. A Start is the tag, the tool's name (one length byte, then the name), then that tool's Spec
//! as JSON: the agent looks the name up before it reads the Spec, so an agent without that
//! tool, or one that refuses the Spec (every field is validated as it decodes), answers with a
//! clear error instead of ending the session over an undecodable message.
//!
//! JSON for the rest because Spec, Done and Pong already have their serde shapes, so the agent
//! and the client can never disagree on a field; they are a handful per run. Decoding happens
//! only after a datagram authenticated, and messages from a client are capped in size first.

use serde::{Deserialize, Serialize};

use super::batch::{self, BatchEncoder, DecodeError, RecordBuf, RECORDS};
use crate::record::Record;
use crate::tools::Spec;

const START: u8 = 1;
const STOP: u8 = 2;
const PING: u8 = 3;
// 10 was one record as JSON, up to protocol version 3; records are now `batch::RECORDS`.
const DONE: u8 = 11;
const PONG: u8 = 12;

/// Client → agent.
#[derive(Debug, Clone, PartialEq)]
pub enum ToAgent {
    /// Run this. Only the first Start of a session runs; later ones are ignored (idempotent).
    Start(Box<Spec>),
    /// Stop the run (each Stop counts: the second asks to hurry, like a second Ctrl-C).
    Stop,
    Ping,
}

/// A well-formed Start the agent will not run; it answers with an error saying why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No tool of that name here (an older agent, or a name this build does not have).
    NoTool(String),
    /// A tool that runs only where its input is (`parse`).
    LocalOnly(String),
    /// The tool's Spec did not decode: a field refused by its validation, or a Spec of another
    /// version.
    BadSpec { tool: String, message: String },
}

impl Refusal {
    /// The error the agent sends back; `version` is the agent's.
    pub fn message(&self, version: &str) -> String {
        match self {
            Refusal::NoTool(t) => format!("this agent (version {version}) has no tool {t:?}"),
            Refusal::LocalOnly(t) => format!("{t} runs only locally, never on an agent"),
            Refusal::BadSpec { tool, message } => {
                format!("this agent (version {version}) refused the {tool} request: {message}")
            }
        }
    }
}

/// Longest tool name a Start may carry.
const MAX_TOOL_NAME: usize = 64;

/// Agent → client.
#[derive(Debug, Clone, PartialEq)]
pub enum ToClient {
    /// One record. On the wire records travel in batches ([`ToClient::decode_into`]); this is
    /// how a message holding one reads, for callers that take messages one at a time.
    Record(Box<Record>),
    /// The run ended; no record follows.
    Done(Outcome),
    Pong(AgentInfo),
}

/// How a run ended, as the agent rendered it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Ok,
    Error {
        message: String,
        hint: Option<String>,
        detail: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentInfo {
    pub version: String,
    pub kernel: String,
}

fn tagged(tag: u8, body: impl Serialize) -> Vec<u8> {
    let mut out = vec![tag];
    // Serialising our own plain data types to a Vec cannot fail.
    serde_json::to_writer(&mut out, &body).expect("serialising to memory");
    out
}

impl ToAgent {
    pub fn encode(&self) -> Vec<u8> {
        match self {
            ToAgent::Start(s) => {
                let name = s.tool().as_bytes();
                let mut out = vec![START, name.len() as u8];
                out.extend_from_slice(name);
                out.extend_from_slice(&s.body_json());
                out
            }
            ToAgent::Stop => vec![STOP],
            ToAgent::Ping => vec![PING],
        }
    }

    /// A message the agent can act on, or `None` when it is not one.
    pub fn decode(b: &[u8]) -> Option<ToAgent> {
        Self::receive(b).and_then(Result::ok)
    }

    /// What the agent received: a message, a Start it refuses (and why), or `None` for bytes
    /// that are no message at all (a protocol violation).
    pub fn receive(b: &[u8]) -> Option<Result<ToAgent, Refusal>> {
        let (&tag, body) = b.split_first()?;
        match tag {
            START => {
                let (&len, rest) = body.split_first()?;
                let len = usize::from(len);
                if len == 0 || len > MAX_TOOL_NAME || rest.len() < len {
                    return None;
                }
                let (name, spec) = rest.split_at(len);
                let name = std::str::from_utf8(name).ok()?;
                let Some(tool) = crate::tools::find(name) else {
                    return Some(Err(Refusal::NoTool(name.to_string())));
                };
                if !tool.remote() {
                    return Some(Err(Refusal::LocalOnly(name.to_string())));
                }
                Some(
                    tool.decode(spec)
                        .map(|s| ToAgent::Start(Box::new(s)))
                        .map_err(|message| Refusal::BadSpec {
                            tool: name.to_string(),
                            message,
                        }),
                )
            }
            STOP if body.is_empty() => Some(Ok(ToAgent::Stop)),
            PING if body.is_empty() => Some(Ok(ToAgent::Ping)),
            _ => None,
        }
    }
}

impl ToClient {
    pub fn encode(&self) -> Vec<u8> {
        match self {
            ToClient::Record(r) => {
                let mut enc = BatchEncoder::new();
                let _ = enc.push(r);
                enc.take().unwrap_or_default()
            }
            ToClient::Done(o) => tagged(DONE, o),
            ToClient::Pong(i) => tagged(PONG, i),
        }
    }

    /// A message holding one record, a Done or a Pong; `None` for anything else (a batch of
    /// several records included: see [`ToClient::decode_into`]).
    pub fn decode(b: &[u8]) -> Option<ToClient> {
        let mut records = RecordBuf::new();
        match Self::decode_into(b, &mut records) {
            Ok(Some(m)) => Some(m),
            Ok(None) if records.len() == 1 => records
                .drain()
                .next()
                .map(|r| ToClient::Record(Box::new(r))),
            _ => None,
        }
    }

    /// Decodes a message: the records of a Records message onto the end of `records`
    /// (`Ok(None)`), any other message returned. An error is a message no agent of this
    /// version sends.
    pub fn decode_into(b: &[u8], records: &mut RecordBuf) -> Result<Option<ToClient>, DecodeError> {
        let (&tag, body) = b.split_first().ok_or(DecodeError::UnknownTag(0))?;
        let json = |e: serde_json::Error| DecodeError::Json(e.to_string());
        match tag {
            RECORDS => batch::decode(b, records).map(|()| None),
            DONE => serde_json::from_slice(body)
                .map(|o| Some(ToClient::Done(o)))
                .map_err(json),
            PONG => serde_json::from_slice(body)
                .map(|i| Some(ToClient::Pong(i)))
                .map_err(json),
            other => Err(DecodeError::UnknownTag(other)),
        }
    }
}

impl Outcome {
    pub fn from_result(r: &crate::Result<()>) -> Outcome {
        match r {
            Ok(()) => Outcome::Ok,
            // The reader went away: that is how a stopped run ends, not a failure.
            Err(e) if e.is_closed_output() => Outcome::Ok,
            Err(e) => Outcome::Error {
                message: e.to_string(),
                hint: e.hint(),
                detail: e.detail(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::NoticeLevel;
    use crate::tools::ctl::CtlSpec;

    #[test]
    fn messages_round_trip() {
        for m in [
            ToAgent::Start(Box::new(Spec::Ctl(CtlSpec::Status))),
            ToAgent::Stop,
            ToAgent::Ping,
        ] {
            assert_eq!(ToAgent::decode(&m.encode()), Some(m));
        }
        for m in [
            ToClient::Record(Box::new(Record::notice(NoticeLevel::Info, "hi"))),
            ToClient::Done(Outcome::Ok),
            ToClient::Done(Outcome::Error {
                message: "m".into(),
                hint: Some("h".into()),
                detail: None,
            }),
            ToClient::Pong(AgentInfo {
                version: "1".into(),
                kernel: "6.1".into(),
            }),
        ] {
            assert_eq!(ToClient::decode(&m.encode()), Some(m));
        }
        assert_eq!(ToAgent::decode(&[9]), None);
        assert_eq!(ToAgent::receive(&[START, b'{']), None);
        assert_eq!(
            ToAgent::receive(b"\x01\x03fooxyz"),
            Some(Err(Refusal::NoTool("foo".into())))
        );
        assert_eq!(
            ToAgent::receive(b"\x01\x05parse{\"file\":null}"),
            Some(Err(Refusal::LocalOnly("parse".into())))
        );
        let Some(Err(Refusal::BadSpec { tool, .. })) = ToAgent::receive(b"\x01\x03ctl{") else {
            panic!("a broken Spec is refused, not a violation")
        };
        assert_eq!(tool, "ctl");
    }

    #[test]
    fn client_messages_of_another_shape_are_refused() {
        let mut records = RecordBuf::new();
        // Version 3's record (tag 10, JSON) is no message of version 4.
        let old = b"\x0a{\"type\":\"notice\",\"level\":\"info\",\"message\":\"x\"}";
        assert_eq!(
            ToClient::decode_into(old, &mut records),
            Err(DecodeError::UnknownTag(10))
        );
        assert_eq!(
            ToClient::decode_into(&[], &mut records),
            Err(DecodeError::UnknownTag(0))
        );
        assert!(matches!(
            ToClient::decode_into(&[DONE, b'{'], &mut records),
            Err(DecodeError::Json(_))
        ));
        // A batch of several records is not one message to `decode`, but decodes in full.
        let mut enc = BatchEncoder::new();
        for i in 0..3 {
            assert!(enc
                .push(&Record::notice(NoticeLevel::Info, format!("n{i}")))
                .is_none());
        }
        let m = enc.take().unwrap();
        assert_eq!(ToClient::decode(&m), None);
        assert_eq!(ToClient::decode_into(&m, &mut records), Ok(None));
        assert_eq!(records.len(), 3);
    }
}
