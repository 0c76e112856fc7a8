//! The datagram decoder: header, handshake bodies, payload and fragments (every path a byte
//! from the network reaches before or after authentication), plus the agent's stateless
//! handshake answers, which must never be larger than what they answer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lktrace::remote::crypto::{CookieJar, Key};
use lktrace::remote::handshake;
use lktrace::remote::wire::{self, Header};

fuzz_target!(|data: &[u8]| {
    wire::fuzz_decode(data);
    if let Ok((h, _)) = Header::decode(data) {
        let jar = CookieJar::new().expect("randomness");
        let from = "192.0.2.1:4000".parse().expect("address");
        if let Some(r) = handshake::answer_hello(&jar, &from, &h, data, 1000) {
            assert!(r.len() <= data.len(), "amplification");
        }
        assert!(
            handshake::accept_auth(&jar, &Key::from_bytes([0; 32]), &from, &h, data, 1000)
                .is_none()
        );
    }
});
