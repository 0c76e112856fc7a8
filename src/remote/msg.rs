//! What travels inside the reliable message stream: one tag byte, then JSON.
//!
//! JSON because Spec and Record already have their serde shapes (the same ones `--json`
//! prints), so the agent and the client can never disagree on a field. Decoding happens only
//! after a datagram authenticated, and messages from a client are capped in size first.

use serde::{Deserialize, Serialize};

use crate::record::Record;
use crate::tools::Spec;

const START: u8 = 1;
const STOP: u8 = 2;
const PING: u8 = 3;
const RECORD: u8 = 10;
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

/// Agent → client.
#[derive(Debug, Clone, PartialEq)]
pub enum ToClient {
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
            ToAgent::Start(s) => tagged(START, s),
            ToAgent::Stop => vec![STOP],
            ToAgent::Ping => vec![PING],
        }
    }

    pub fn decode(b: &[u8]) -> Option<ToAgent> {
        let (&tag, body) = b.split_first()?;
        match tag {
            START => serde_json::from_slice(body)
                .ok()
                .map(|s| ToAgent::Start(Box::new(s))),
            STOP if body.is_empty() => Some(ToAgent::Stop),
            PING if body.is_empty() => Some(ToAgent::Ping),
            _ => None,
        }
    }
}

impl ToClient {
    pub fn encode(&self) -> Vec<u8> {
        match self {
            ToClient::Record(r) => tagged(RECORD, r),
            ToClient::Done(o) => tagged(DONE, o),
            ToClient::Pong(i) => tagged(PONG, i),
        }
    }

    pub fn decode(b: &[u8]) -> Option<ToClient> {
        let (&tag, body) = b.split_first()?;
        match tag {
            RECORD => serde_json::from_slice(body)
                .ok()
                .map(|r| ToClient::Record(Box::new(r))),
            DONE => serde_json::from_slice(body).ok().map(ToClient::Done),
            PONG => serde_json::from_slice(body).ok().map(ToClient::Pong),
            _ => None,
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
        assert_eq!(ToAgent::decode(&[START, b'{']), None);
    }
}
